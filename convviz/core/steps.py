"""The gradient paths as stages and steps: what to show, in what order, which cells light up.

A *path* is an ordered list of *stages*; a stage shows named tensors (each with its role
and shape), a plain sentence and a formula. A stage that computes cell by cell has
*steps*, produced lazily: ``stage.step(k)`` costs only the terms of step k, so a
1024×1024 scene builds no per-cell objects up front. Every number is computed through
the engine (``Pipeline.op``).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from collections.abc import Sequence
from typing import Callable

import numpy as np

from .activations import FORMULAS as ACT_FORMULAS
from . import links
from .activations import derivative
from .losses import FORMULAS as LOSS_FORMULAS
from .pipeline import Pipeline
from .reference import gather_pads
from .spec import ConvSpec

PATHS = ("forward", "pool", "activation", "db", "dw", "dx-gather", "dx-scatter", "im2col", "jacobian")
PATH_TITLES = {
    "forward": "Forward pass", "pool": "Pooling distribution", "activation": "Activation gate σ′",
    "db": "db", "dw": "dW: shifted X", "dx-gather": "dX: gather with the flipped kernel",
    "dx-scatter": "dX: scope of impact", "im2col": "im2col", "jacobian": "Jacobian",
}
JACOBIAN_LIMIT = 4096          # entries of X (per sample) and of Z for the dense ∂Z/∂X
GRADIENT_ROLES = {"dP", "dA", "dZ", "dZ↑0", "dZ_pad", "dW", "dW_eff", "dX", "dX_pad", "db", "dX_col",
                  "σ′(Z)"}
MAX_SHOWN_TERMS = 9


def short_number(v: float) -> str:
    """A number as the cells print it, at most about 5 characters: 0.25, −3.5, 2446, 1.2e+05, 3.1e−04."""
    if v == 0:
        return "0"
    a = abs(v)
    if 100 <= a < 99999.5:
        return f"{v:.0f}".replace("-", "−")
    s = f"{v:.2f}" if 0.01 <= a < 100 else f"{v:.1e}"
    if "." in s and "e" not in s:
        s = s.rstrip("0").rstrip(".")
    return s.replace("-", "−")


def fmt(v: float) -> str:
    """A number in a formula: written as its cell shows it, in parentheses when negative."""
    s = short_number(v)
    return f"({s})" if v < 0 else s


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _zeros_between(stride) -> str:
    """'1 zero row and 1 zero column', saying nothing of an axis with stride 1."""
    parts = [f"{s - 1} zero {word}" + ("" if s == 2 else "s") for s, word in zip(stride, ("row", "column")) if s > 1]
    return " and ".join(parts)


def shape_label(shape) -> str:
    return "×".join(str(s) for s in shape)


@dataclass
class Shown:
    """A tensor on screen: its role in the mathematics and its data."""
    role: str
    data: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.role} {shape_label(self.data.shape)}"

    @property
    def signed(self) -> bool:
        return self.role in GRADIENT_ROLES or bool(np.nanmin(self.data, initial=0.0) < 0)


@dataclass
class Term:
    a: float
    b: float
    a_label: str
    b_label: str

    @property
    def product(self) -> float:
        return float(np.float64(self.a) * np.float64(self.b))


class LazyTerms(Sequence):
    """Terms a[i]·b[i] made on demand: a dW step of a big image has thousands of them,
    and the formula line shows the first few."""

    def __init__(self, a: np.ndarray, b: np.ndarray, a_cells: list, b_cells: list, a_role: str, b_role: str):
        self.a, self.b = a, b
        self._cells = (a_cells, b_cells)
        self._roles = (a_role, b_role)

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        (ac, bc), (ar, br) = self._cells, self._roles
        return Term(float(self.a[i]), float(self.b[i]), f"{ar}{list(ac[i])}", f"{br}{list(bc[i])}")


@dataclass
class Step:
    index: int
    role: str                      # the tensor being written
    cell: tuple                    # the cell being computed (or the source cell of a stamp)
    terms: list[Term]
    value: float                   # what the step writes into cell (gather) or stamps (scatter)
    highlights: dict[str, list[tuple]]
    formula: str
    constant: float = 0.0          # the bias, where there is one
    writes: list[tuple] = field(default_factory=list)   # scatter steps: (cell, amount)

    @property
    def partial_sums(self) -> list[float]:
        if not len(self.terms):
            return [self.constant]
        if isinstance(self.terms, LazyTerms):
            products = self.terms.a.astype(np.float64) * self.terms.b.astype(np.float64)
        else:
            products = [t.product for t in self.terms]
        return list(np.cumsum(products) + self.constant)

    @property
    def channel(self) -> tuple:
        return self.cell[:2]


@dataclass
class Stage:
    key: str
    title: str
    text: str
    formula: str
    tensors: list[Shown]
    n_steps: int = 0
    step_fn: Callable[[int], Step] | None = None
    state_fn: Callable[[int], list[Shown]] | None = None      # tensors after step k (accumulating stages)
    _last: tuple | None = field(default=None, init=False, repr=False, compare=False)   # (k, step)

    def step(self, k: int) -> Step:
        if not 0 <= k < self.n_steps:
            raise IndexError(f"stage {self.key!r} has {self.n_steps} steps; asked for step {k}")
        if self._last is None or self._last[0] != k:   # the window asks for a step and its tensors: build once
            self._last = (k, self.step_fn(k))
        return self._last[1]

    def tensors_at(self, k: int | None) -> list[Shown]:
        """The tensors as they stand after step k.

        Accumulating stages say so themselves (``state_fn``). A stage that computes the
        cells of one tensor in row-major order shows that tensor filling up: the cells
        after step k are NaN (not computed yet), so nothing gives the next value away.
        """
        if k is None or self.step_fn is None:
            return self.tensors
        if self.state_fn is not None:
            return self.state_fn(k)
        step = self.step(k)
        out = []
        for s in self.tensors:
            if (s.role == step.role and not step.writes and len(step.cell) == s.data.ndim
                    and int(np.ravel_multi_index(step.cell, s.data.shape)) == k):
                filling = np.array(s.data, dtype=np.float32, copy=True)
                filling.reshape(-1)[k + 1:] = np.nan
                s = replace(s, data=filling)
            out.append(s)
        return out


@dataclass
class Path:
    name: str
    title: str
    stages: list[Stage]

    @property
    def n_positions(self) -> int:
        return sum(max(1, s.n_steps) for s in self.stages)

    def position(self, p: int) -> tuple[int, int | None]:
        """The (stage, step) at flat position p, in O(number of stages)."""
        if not 0 <= p < self.n_positions:
            raise IndexError(f"path {self.name!r} has {self.n_positions} positions; asked for {p}")
        for i, s in enumerate(self.stages):
            n = max(1, s.n_steps)
            if p < n:
                return i, (p if s.n_steps else None)
            p -= n
        raise AssertionError

    @property
    def last(self) -> Stage:
        return self.stages[-1]


def _terms_formula(lhs: str, terms: list[Term], value: float, constant: float | None = None,
                   const_label: str = "b") -> str:
    shown = [f"{fmt(t.a)}·{fmt(t.b)}" for t in terms[:MAX_SHOWN_TERMS]]
    if len(terms) > MAX_SHOWN_TERMS:
        shown.append(f"… ({len(terms)} terms)")
    if constant:                       # a zero bias adds nothing: left out
        shown.append(f"{fmt(constant)} ({const_label})")
    return f"{lhs} = {' + '.join(shown) if shown else '0'} = {fmt(value)}"


def _cell(shape, k) -> tuple:
    return tuple(int(i) for i in np.unravel_index(k, shape))


# ================================================================ correlation steps (forward, dX gather)

def correlation_step(k: int, inp: np.ndarray, ker: np.ndarray, out: np.ndarray, groups: int,
                     stride, dilation, *, in_role: str, ker_role: str, out_role: str,
                     bias: np.ndarray | None = None) -> Step:
    """out[n,q,i,j] = Σ_{c,m,n'} inp[n, g·Cin_g + c, s·i + d·m, s·j + d·n'] · ker[q, c, m, n'] (+ b[q])."""
    n, q, i, j = cell = _cell(out.shape, k)
    cout, cin_g, kh, kw = ker.shape
    g = q // (cout // groups)
    (sh, sw), (dh, dw) = stride, dilation
    terms, hx, hw_ = [], [], []
    for c in range(cin_g):
        for m in range(kh):
            for nn in range(kw):
                xc = (n, g * cin_g + c, sh * i + dh * m, sw * j + dw * nn)
                wc = (q, c, m, nn)
                terms.append(Term(float(inp[xc]), float(ker[wc]), f"{in_role}{list(xc)}", f"{ker_role}{list(wc)}"))
                hx.append(xc)
                hw_.append(wc)
    const = float(bias[q]) if bias is not None else 0.0
    value = float(out[cell])
    lhs = f"{out_role}[{n},{q},{i},{j}]"
    return Step(k, out_role, cell, terms, value, {in_role: hx, ker_role: hw_, out_role: [cell]},
                _terms_formula(lhs, terms, value, const if bias is not None else None, f"b[{q}]"), const)


# ================================================================ the paths

class StepModel:
    """Builds the paths of a pipeline's current results. Cheap: tensors only, no per-cell work."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.r = pipeline.compute()
        self.spec: ConvSpec = self.r.spec
        self._paths: dict[str, Path] = {}

    def path(self, name: str) -> Path:
        if name not in PATHS:
            raise ValueError(f"unknown path {name!r}; the paths are: {', '.join(PATHS)}")
        if name not in self._paths:
            self._paths[name] = getattr(self, "_" + name.replace("-", "_"))()
        return self._paths[name]

    def all_paths(self) -> dict[str, Path]:
        return {n: self.path(n) for n in self.available()}

    def available(self) -> list[str]:
        r = self.r
        per_sample = int(np.prod(self.pipeline.tensors.x.shape[1:]))
        out = [p for p in PATHS if not (p == "pool" and self.pipeline.config.pool == "none")]
        if per_sample > JACOBIAN_LIMIT or int(np.prod(r.z.shape[1:])) > JACOBIAN_LIMIT:
            out.remove("jacobian")
        return out

    @property
    def x(self) -> np.ndarray:
        return np.ascontiguousarray(self.pipeline.tensors.x, dtype=np.float32)

    def op(self, name, *args):
        return self.pipeline.op(name, *args)

    # ------------------------------------------------------------ forward

    def _forward(self) -> Path:
        r, c, spec = self.r, self.pipeline.config, self.spec
        t, b, l, rr = spec.padding
        stages = [Stage("pad", "Pad X", f"Pad the input ({spec.padding_mode}): {_count(t, 'row')} above, {b} below; "
                        f"{_count(l, 'column')} left, {rr} right.", spec.formula(self.x.shape[2:]),
                        [Shown("X", self.x), Shown("X_pad", r.x_pad)])]
        ker = "K′" if c.true_convolution else "W"        # the kernel that slides, named as the lesson names it
        if c.true_convolution:
            stages.append(Stage("flip", "True convolution flips the kernel",
                                "True convolution is cross-correlation with the kernel rotated 180°: K → K′.",
                                "K′[m, n] = K[kh−1−m, kw−1−n]",
                                [Shown("K", self.pipeline.tensors.w), Shown(ker, r.w_eff)]))
        bias = self.pipeline.tensors.b
        stages.append(Stage(
            "slide", "Slide the window", "Each output cell is the sum of the window's products with the kernel, "
            "plus the bias.", f"Z[n,q,i,j] = Σ_c Σ_m Σ_n′ X_pad[n, c, s·i + d·m, s·j + d·n′] · {ker}[q,c,m,n′] + b[q]",
            [Shown("X_pad", r.x_pad), Shown(ker, r.w_eff), Shown("Z", r.z)]
            + ([Shown("b", bias)] if bias is not None else []),
            r.z.size, lambda k: correlation_step(k, r.x_pad, r.w_eff, r.z, spec.groups, spec.stride,
                                                 spec.dilation, in_role="X_pad", ker_role=ker, out_role="Z",
                                                 bias=bias)))
        f, _ = ACT_FORMULAS[c.activation]
        stages.append(Stage("activate", "Activation", f"Apply σ = {c.activation} to every cell.", f,
                            [Shown("Z", r.z), Shown("A", r.a)], r.a.size, self._activation_step))
        if c.pool != "none":
            stages.append(Stage("pool", f"{c.pool} pooling",
                                f"Each P cell is the {'maximum' if c.pool == 'max' else 'mean'} of its window of A.",
                                "P[n,c,i,j] = " + ("max" if c.pool == "max" else "mean") + " of A over the window",
                                [Shown("A", r.a), Shown("P", r.p)], r.p.size, self._pool_forward_step))
        stages.append(self._loss_stage())
        return Path("forward", PATH_TITLES["forward"], stages)

    def _activation_step(self, k: int) -> Step:
        r = self.r
        cell = _cell(r.a.shape, k)
        z, a = float(r.z[cell]), float(r.a[cell])
        return Step(k, "A", cell, [], a, {"Z": [cell], "A": [cell]},
                    f"A{list(cell)} = σ({fmt(z)}) = {fmt(a)}", a)

    def _pool_window(self, cell) -> list[tuple]:
        return links.pool_window(self.r.pool_spec, self.r.a.shape, cell)

    def _pool_forward_step(self, k: int) -> Step:
        r, c = self.r, self.pipeline.config
        cell = _cell(r.p.shape, k)
        window = self._pool_window(cell)
        vals = [float(r.a[w]) for w in window]
        value = float(r.p[cell])
        if c.pool == "max":
            arg = int(r.argmax[cell])
            win_cell = (cell[0], cell[1], arg // r.a.shape[3], arg % r.a.shape[3])
            terms = [Term(float(r.a[win_cell]), 1.0, f"A{list(win_cell)}", "1")]
            formula = f"P{list(cell)} = max({', '.join(fmt(v) for v in vals)}) = {fmt(value)}"
            hl = {"A": window, "P": [cell], "A_max": [win_cell]}
        else:
            kk = r.pool_spec.kernel[0] * r.pool_spec.kernel[1]
            terms = [Term(float(r.a[w]), 1.0 / kk, f"A{list(w)}", f"1/{kk}") for w in window]
            formula = _terms_formula(f"P{list(cell)}", terms, value)
            hl = {"A": window, "P": [cell]}
        return Step(k, "P", cell, terms, value, hl, formula)

    def _loss_stage(self) -> Stage:
        r, c = self.r, self.pipeline.config
        shown = [Shown("P", r.p)]
        if c.loss == "half_squared_error":
            shown.append(Shown("T", self.pipeline.tensors.target))
        shown.append(Shown("dP", r.dp))
        return Stage("loss", "Loss and upstream gradient", f"L = {fmt(r.loss)}; its gradient dP starts "
                     "the backward pass.", LOSS_FORMULAS[c.loss], shown)

    # ------------------------------------------------------------ pooling distribution

    def _pool(self) -> Path:
        r, c = self.r, self.pipeline.config
        kk = r.pool_spec.kernel[0] * r.pool_spec.kernel[1]
        text = ("Each dP cell goes wholly to the (first) maximum of its window." if c.pool == "max" else
                f"Each dP cell spreads 1/{kk} of itself over its window.") + " Overlapping windows add."
        formula = ("dA[argmax of window] += dP[i,j]" if c.pool == "max" else f"dA[window] += dP[i,j] / {kk}")

        def partial(k: int) -> list[Shown]:
            masked = np.zeros_like(r.dp).reshape(-1)
            masked[:k + 1] = r.dp.reshape(-1)[:k + 1]
            masked = masked.reshape(r.dp.shape)
            da = (self.op("max_pool2d_backward", r.a, masked, r.pool_spec) if c.pool == "max" else
                  self.op("avg_pool2d_backward", r.a.shape, masked, r.pool_spec))
            return [Shown("dP", r.dp), Shown("A", r.a), Shown("dA", da)]

        stage = Stage("distribute", "Pooling distribution", text, formula,
                      [Shown("dP", r.dp), Shown("A", r.a), Shown("dA", r.da)], r.dp.size,
                      self._pool_backward_step, partial)
        return Path("pool", PATH_TITLES["pool"], [stage])

    def _pool_backward_step(self, k: int) -> Step:
        r, c = self.r, self.pipeline.config
        cell = _cell(r.dp.shape, k)
        g = float(r.dp[cell])
        if c.pool == "max":
            arg = int(r.argmax[cell])
            targets = [(cell[0], cell[1], arg // r.a.shape[3], arg % r.a.shape[3])]
            share = 1.0
        else:
            targets = self._pool_window(cell)
            share = 1.0 / (r.pool_spec.kernel[0] * r.pool_spec.kernel[1])
        terms = [Term(g, share, f"dP{list(cell)}", fmt(share)) for _ in targets]
        writes = [(t, t_.product) for t, t_ in zip(targets, terms)]
        formula = f"dA{list(targets[0]) if len(targets) == 1 else '[window]'} += {fmt(g)}·{fmt(share)} = {fmt(g * share)}"
        return Step(k, "dA", cell, terms, g * share, {"dP": [cell], "A": self._pool_window(cell), "dA": targets},
                    formula, writes=writes)

    # ------------------------------------------------------------ activation gate

    def _activation(self) -> Path:
        r, c = self.r, self.pipeline.config
        gate = derivative(r.z, c.activation, c.slope).astype(np.float32)
        _, f = ACT_FORMULAS[c.activation]

        def step(k):
            cell = _cell(r.dz.shape, k)
            terms = [Term(float(r.da[cell]), float(gate[cell]), f"dA{list(cell)}", f"σ′(Z{list(cell)})")]
            return Step(k, "dZ", cell, terms, float(r.dz[cell]), {"dA": [cell], "Z": [cell], "σ′(Z)": [cell],
                                                                  "dZ": [cell]},
                        f"dZ{list(cell)} = {fmt(terms[0].a)}·σ′({fmt(float(r.z[cell]))}) = "
                        f"{fmt(terms[0].a)}·{fmt(terms[0].b)} = {fmt(float(r.dz[cell]))}")

        return Path("activation", PATH_TITLES["activation"], [Stage(
            "gate", "The activation gate", "dZ = dA ⊙ σ′(Z): the gradient passes where σ is steep.",
            f"dZ = dA ⊙ σ′(Z),  {f}", [Shown("dA", r.da), Shown("Z", r.z), Shown("σ′(Z)", gate), Shown("dZ", r.dz)],
            r.dz.size, step)])

    # ------------------------------------------------------------ db

    def _db(self) -> Path:
        r = self.r

        def step(q):
            cells = [(n, q, i, j) for n in range(r.dz.shape[0]) for i in range(r.dz.shape[2])
                     for j in range(r.dz.shape[3])]
            terms = [Term(float(r.dz[c]), 1.0, f"dZ{list(c)}", "1") for c in cells]
            return Step(q, "db", (q,), terms, float(r.db[q]), {"dZ": cells, "db": [(q,)]},
                        _terms_formula(f"db[{q}]", terms, float(r.db[q])))

        return Path("db", "db", [Stage("sum", "db sums dZ", "Every output cell adds its bias once, so db[q] is the "
                                       "sum of dZ over channel q (and the batch).", "db[q] = Σ_n Σ_i Σ_j dZ[n,q,i,j]",
                                       [Shown("dZ", r.dz), Shown("db", r.db)], r.db.size, step)])

    # ------------------------------------------------------------ dW

    def _dw(self) -> Path:
        r, spec = self.r, self.spec
        dw_role = "dW_eff" if self.pipeline.config.true_convolution else "dW"

        def step(k):
            tap = _cell(r.dw_eff.shape, k)
            xa, da = links.tap_support_arrays(self.spec, r.w_eff.shape, r.dz.shape, tap)
            xs, ds = links.as_tuples(xa), links.as_tuples(da)
            sup = {"X_pad": xs, "dZ": ds}
            terms = LazyTerms(r.x_pad[tuple(xa.T)], r.dz[tuple(da.T)], xs, ds, "X_pad", "dZ")
            v = float(r.dw_eff[tap])
            return Step(k, dw_role, tap, terms, v, {**sup, dw_role: [tap]},
                        _terms_formula(f"{dw_role}{list(tap)}", terms, v))

        strided = max(spec.stride) > 1
        dz_ins = self.op("insert_zeros", r.dz, spec.stride) if strided else r.dz
        stages = [
            Stage("shift", "Shift X under dZ", "For each tap (m, n′) of the kernel, take X_pad shifted by "
                  "(d·m, d·n′), every s-th cell, multiply by dZ and add it all up.",
                  "dW[q,c,m,n′] = Σ_n Σ_i Σ_j X_pad[n, c, s·i + d·m, s·j + d·n′] · dZ[n,q,i,j]",
                  [Shown("X_pad", r.x_pad), Shown("dZ", r.dz), Shown(dw_role, r.dw_eff)], r.dw_eff.size, step),
            Stage("as-correlation", "The same thing as a correlation",
                  f"Equivalently: correlate X_pad with dZ after inserting {_zeros_between(spec.stride)} "
                  "between its cells (dilated by the stride)." if strided else
                  "Equivalently: correlate X_pad with dZ, dZ acting as the kernel.",
                  ("dW = X_pad ⋆ (dZ with s−1 zeros inserted)" if strided else "dW = X_pad ⋆ dZ")
                  + (", read every d cells" if max(spec.dilation) > 1 else ""),
                  [Shown("X_pad", r.x_pad), Shown("dZ↑0", dz_ins) if strided else Shown("dZ", r.dz),
                   Shown(dw_role, r.dw_eff)]),
        ]
        if self.pipeline.config.true_convolution:
            stages.append(Stage("unflip", "Back to the kernel as written", "The kernel was flipped for true "
                                "convolution, so its gradient is flipped back.", "dK = rot180(dW)",
                                [Shown(dw_role, r.dw_eff), Shown("dW", r.dw)]))
        return Path("dw", PATH_TITLES["dw"], stages)

    # ------------------------------------------------------------ dX, gather

    def _dx_gather(self) -> Path:
        r, spec = self.r, self.spec
        hw = self.x.shape[2:]
        strided = max(spec.stride) > 1               # at stride 1 there is nothing to insert: no such stage
        dz_ins = self.op("insert_zeros", r.dz, spec.stride) if strided else r.dz
        dz_in = Shown("dZ↑0", dz_ins) if strided else Shown("dZ", r.dz)
        pads = gather_pads(spec, hw, r.dz.shape[2:])
        dz_pad = self.op("pad_or_crop", dz_ins, pads)
        w_flip = self.op("flip_kernel", r.w_eff, spec.groups)
        plain = ConvSpec(spec.kernel, (1, 1), (0, 0, 0, 0), spec.dilation, spec.groups)
        out = self.op("conv2d", dz_pad, w_flip, None, plain)
        zeros_mode = spec.padding_mode == "zeros"
        out_role = "dX" if zeros_mode else "dX_pad"
        kh, dh = spec.kernel[0], spec.dilation[0]
        t, b, l, rr = spec.padding
        stages = [
            Stage("insert", "Insert zeros", f"Put {_zeros_between(spec.stride)} between neighbouring dZ cells, "
                  "undoing the stride.",
                  "dZ↑0[s·i, s·j] = dZ[i, j], zeros elsewhere",
                  [Shown("dZ", r.dz), dz_in]),
        ] if strided else []
        stages += [
            Stage("pad", "Pad by d(k−1)−p", "Pad by d·(k−1)−p on each side (crop where that is negative); the "
                  "rows and columns the stride never reached get zero gradient."
                  + ("" if zeros_mode else " With this padding mode the result is dX_pad, folded back at the end."),
                  f"top {dh}·({kh}−1)−{t if zeros_mode else 0} = {pads[0]}, bottom {pads[1]}, "
                  f"left {pads[2]}, right {pads[3]}",
                  [dz_in, Shown("dZ_pad", dz_pad)]),
            Stage("flip", "Flip the kernel", "Rotate every kernel 180° and swap its input and output channels.",
                  "W′[c, q, m, n′] = W[q, c, kh−1−m, kw−1−n′]",
                  [Shown("W", r.w_eff), Shown("W′", w_flip)]
                  + ([Shown("W′ dilated", self.op("dilate_kernel", w_flip, spec.dilation))]
                     if max(spec.dilation) > 1 else [])),
            Stage("correlate", "Correlate", "Slide the flipped kernel (dilated by d) over the padded dZ with "
                  "stride 1: each cell gathers every output it influenced.",
                  f"{out_role}[n,c,y,x] = Σ_q Σ_m Σ_n′ dZ_pad[n, q, y + d·m, x + d·n′] · W′[c,q,m,n′]",
                  [Shown("dZ_pad", dz_pad), Shown("W′", w_flip), Shown(out_role, out)], out.size,
                  lambda k: correlation_step(k, dz_pad, w_flip, out, spec.groups, (1, 1), spec.dilation,
                                             in_role="dZ_pad", ker_role="W′", out_role=out_role)),
        ]
        if not zeros_mode:
            stages.append(Stage("fold", "Fold the padding back", f"Each padded cell copied an input cell "
                                f"({spec.padding_mode}); its gradient goes back to that cell.",
                                "dX[y, x] = Σ of dX_pad over the padded cells that copy X[y, x]",
                                [Shown("dX_pad", out), Shown("dX", self.op("pad_backward", out, spec, hw))]))
        return Path("dx-gather", PATH_TITLES["dx-gather"], stages)

    # ------------------------------------------------------------ dX, scatter

    def _dx_scatter(self) -> Path:
        r, spec = self.r, self.spec
        hw = self.x.shape[2:]
        final_pad = self.op("conv2d_dx_scatter", r.dz, r.w_eff, spec, hw, None)

        def partial(k):
            return [Shown("dZ", r.dz), Shown("W", r.w_eff),
                    Shown("dX_pad", self.op("conv2d_dx_scatter", r.dz, r.w_eff, spec, hw, k + 1))]

        def step(k):
            cell = _cell(r.dz.shape, k)
            n, q, i, j = cell
            cout, cin_g, kh, kw = r.w_eff.shape
            g = q // (cout // spec.groups)
            (sh, sw), (dh, dw) = spec.stride, spec.dilation
            g_val = float(r.dz[cell])
            writes, terms, hx, hw_ = [], [], [], []
            for c in range(cin_g):
                for m in range(kh):
                    for nn in range(kw):
                        xc = (n, g * cin_g + c, sh * i + dh * m, sw * j + dw * nn)
                        t = Term(g_val, float(r.w_eff[q, c, m, nn]), f"dZ{list(cell)}", f"W{[q, c, m, nn]}")
                        terms.append(t)
                        writes.append((xc, t.product))
                        hx.append(xc)
                        hw_.append((q, c, m, nn))
            return Step(k, "dX_pad", cell, terms, g_val, {"dZ": [cell], "W": hw_, "dX_pad": hx},
                        f"dX_pad[window of Z{list(cell)}] += {fmt(g_val)}·W[{q}]", writes=writes)

        stages = [
            Stage("stamp", "Each dZ cell stamps dZ·W", "The scope of impact: an output cell received "
                  "from its whole window, so its gradient goes back to that window, weighted by the kernel. "
                  "The stamps add up.", "dX_pad[window of (i, j)] += dZ[i, j] · W",
                  [Shown("dZ", r.dz), Shown("W", r.w_eff), Shown("dX_pad", final_pad)], r.dz.size, step, partial),
            Stage("fold", "Drop the padding", "The padded cells are not inputs: their gradient is dropped (zeros) "
                  "or sent back to the cell they copy (other modes).", "dX = pad_backward(dX_pad)",
                  [Shown("dX_pad", final_pad), Shown("dX", self.op("pad_backward", final_pad, spec, hw))]),
        ]
        return Path("dx-scatter", PATH_TITLES["dx-scatter"], stages)

    # ------------------------------------------------------------ im2col

    def _im2col(self) -> Path:
        r, spec = self.r, self.spec
        x = self.x
        g = spec.groups
        cout = r.w_eff.shape[0]
        cols = self.op("im2col", x, spec)                                  # (G, Cin_g·kh·kw, N·OH·OW)
        w_row = np.ascontiguousarray(r.w_eff.reshape(g, cout // g, -1))    # (G, Cout_g, Cin_g·kh·kw)
        z_row = self.op("matmul", w_row, cols)                             # (G, Cout_g, N·OH·OW)
        dz_row = np.ascontiguousarray(r.dz.transpose(1, 0, 2, 3).reshape(g, cout // g, -1))
        dw_row = self.op("matmul", dz_row, np.ascontiguousarray(cols.transpose(0, 2, 1)))
        dcols = self.op("matmul", np.ascontiguousarray(w_row.transpose(0, 2, 1)), dz_row)
        dx_pad = self.op("col2im", dcols, spec, x.shape)
        dx = self.op("pad_backward", dx_pad, spec, x.shape[2:])

        def z_step(k):
            gi, row, col = _cell(z_row.shape, k)
            terms = [Term(float(w_row[gi, row, t]), float(cols[gi, t, col]), f"W_row[{gi},{row},{t}]",
                          f"X_col[{gi},{t},{col}]") for t in range(cols.shape[1])]
            v = float(z_row[gi, row, col])
            return Step(k, "Z_row", (gi, row, col), terms, v,
                        {"W_row": [(gi, row, t) for t in range(cols.shape[1])],
                         "X_col": [(gi, t, col) for t in range(cols.shape[1])], "Z_row": [(gi, row, col)]},
                        _terms_formula(f"Z_row[{gi},{row},{col}]", terms, v))

        stages = [
            Stage("unfold", "Unfold X into columns", "Every window of X_pad becomes one column of X_col.",
                  "X_col[(c·kh + m)·kw + n′, (n·OH + i)·OW + j] = X_pad[n, c, s·i + d·m, s·j + d·n′]",
                  [Shown("X", x), Shown("X_col", cols)]),
            Stage("multiply", "Z = W_row · X_col", "The convolution is one matrix product: each row of W_row is a "
                  "flattened kernel.", "Z_row = W_row · X_col",
                  [Shown("W_row", w_row), Shown("X_col", cols), Shown("Z_row", z_row)], z_row.size, z_step),
            Stage("dw", "dW = dZ · X_colᵀ", "The kernel's gradient is dZ times the transposed columns.",
                  "dW_row = dZ_row · X_colᵀ", [Shown("dZ_row", dz_row), Shown("X_col", cols), Shown("dW_row", dw_row)]),
            Stage("dx", "dX = col2im(W_rowᵀ · dZ)", "W_rowᵀ·dZ gives each column's gradient; col2im adds every "
                  "column entry back onto the cell it came from.", "dX = col2im(W_rowᵀ · dZ_row)",
                  [Shown("dX_col", dcols), Shown("dX_pad", dx_pad), Shown("dX", dx)]),
        ]
        return Path("im2col", PATH_TITLES["im2col"], stages)

    # ------------------------------------------------------------ Jacobian

    def jacobian(self, n: int = 0) -> np.ndarray:
        """∂Z[n]/∂X[n] as a (Cout·OH·OW, Cin·H·W) matrix: the convolution of every unit impulse."""
        x = self.x[n:n + 1]
        size = x[0].size
        impulses = np.eye(size, dtype=np.float32).reshape((size,) + x.shape[1:])
        cols = self.op("conv2d", impulses, self.r.w_eff, None, self.spec)       # (size, Cout, OH, OW)
        return np.ascontiguousarray(cols.reshape(size, -1).T)

    def _jacobian(self) -> Path:
        r = self.r
        jac = self.jacobian(0)
        dz0 = r.dz[:1].reshape(1, -1, 1)
        dx = self.op("matmul", np.ascontiguousarray(jac.T[None]), np.ascontiguousarray(dz0)).reshape(r.dx[:1].shape)
        return Path("jacobian", PATH_TITLES["jacobian"], [
            Stage("J", "The Jacobian ∂Z/∂X", "Row r holds the weights with which output r reads every input: the "
                  "kernel, shifted along the diagonal (banded, block-Toeplitz).", "J[r, c] = ∂Z_r / ∂X_c",
                  [Shown("J", jac[None])]),
            Stage("JT", "dX = Jᵀ · dZ", "The backward pass is the transposed matrix applied to dZ.",
                  "dX = Jᵀ · dZ", [Shown("Jᵀ", np.ascontiguousarray(jac.T)[None]), Shown("dZ", r.dz[:1]),
                                   Shown("dX", dx)]),
        ])

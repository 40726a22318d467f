"""What every path is made of: Shown tensors, Terms, Steps, Stages, Paths, and the
number formats of the formula lines.

A *path* is an ordered list of *stages*; a stage shows tensors (each with its Role)
with a plain sentence and a formula. A stage that computes cell by cell has *steps*,
produced lazily: ``stage.step(k)`` costs only the terms of step k, so a 1024×1024 scene
builds no per-cell objects up front.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from .. import links, subtotals
from ..geometry import ConvSpec
from .roles import B, W, X_PAD, Role

MAX_SHOWN_TERMS = 9


def short_number(v: float) -> str:
    """A number as the cells print it, at most about 5 characters: 0.25, −3.5, 2446, 1.2e5, 3.1e−4."""
    if v == 0:
        return "0"
    a = abs(v)
    if 100 <= a < 99999.5:
        return f"{v:.0f}".replace("-", "−")
    if 0.01 <= a < 100:
        s = f"{v:.2f}".rstrip("0").rstrip(".")
    else:
        mantissa, exponent = f"{v:.1e}".split("e")
        s = f"{mantissa}e{int(exponent)}"           # 3.1e-4, not 3.1e-04
    return s.replace("-", "−")


def fmt(v: float) -> str:
    """A number in a formula: written as its cell shows it, in parentheses when negative."""
    s = short_number(v)
    return f"({s})" if v < 0 else s


def count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def zeros_between(stride) -> str:
    """'1 zero row and 1 zero column', saying nothing of an axis with stride 1."""
    parts = [f"{s - 1} zero {word}" + ("" if s == 2 else "s") for s, word in zip(stride, ("row", "column")) if s > 1]
    return " and ".join(parts)


def shape_label(shape) -> str:
    return "×".join(str(s) for s in shape)


def cell_of(shape, k) -> tuple:
    """The k-th cell of a tensor of ``shape`` in row-major order."""
    return tuple(int(i) for i in np.unravel_index(k, shape))


@dataclass
class Shown:
    """A tensor on screen: its role in the mathematics and its data."""
    role: Role
    data: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.role.name} {shape_label(self.data.shape)}"

    @property
    def signed(self) -> bool:
        return self.role.signed or bool(np.nanmin(self.data, initial=0.0) < 0)


@dataclass
class Term:
    """One product a·b of a step's sum, with the role and cell each factor is read from
    (None for a constant factor such as 1/k² of average pooling)."""
    a: float
    b: float
    a_role: Role | None = None
    a_cell: tuple | None = None
    b_role: Role | None = None
    b_cell: tuple | None = None

    @property
    def product(self) -> float:
        return float(np.float64(self.a) * np.float64(self.b))


class LazyTerms(Sequence):
    """Terms a[i]·b[i] made on demand: a dW step of a big image has thousands of them,
    and the formula line shows the first few."""

    def __init__(self, a: np.ndarray, b: np.ndarray, a_cells: list, b_cells: list, a_role: Role, b_role: Role):
        self.a, self.b = a, b
        self._cells = (a_cells, b_cells)
        self._roles = (a_role, b_role)

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        (ac, bc), (ar, br) = self._cells, self._roles
        return Term(float(self.a[i]), float(self.b[i]), ar, tuple(ac[i]), br, tuple(bc[i]))


@dataclass
class Step:
    index: int
    role: Role                     # the tensor being written
    cell: tuple                    # the cell being computed (or the source cell of a stamp)
    terms: Sequence[Term]
    value: float                   # what the step writes into cell (gather) or stamps (scatter)
    highlights: dict[Role, list[tuple]]
    formula: str
    constant: float = 0.0          # the bias, where there is one
    writes: list[tuple] = field(default_factory=list)   # scatter steps: (cell, amount)
    note: str = ""                 # what the formula leaves unsaid: ties, padding, cells never reached
    marks: dict[Role, list[tuple]] = field(default_factory=dict)   # cells marked apart: a max's winner, the bias
    sum_over: tuple[Role, str] | None = None   # (role, axis): term i reads highlights[role][i]; the sum runs
    #                                            over that role's channels ("c", "q") or samples ("n")

    @property
    def partial_sums(self) -> list[float]:
        if not len(self.terms):
            return [self.constant]
        if isinstance(self.terms, LazyTerms):
            products = self.terms.a.astype(np.float64) * self.terms.b.astype(np.float64)
        else:
            products = [t.product for t in self.terms]
        return list(np.cumsum(products) + self.constant)


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

    def shown(self, role: Role) -> np.ndarray:
        """The data of the tensor this stage shows in ``role``; KeyError if it shows none."""
        for s in self.tensors:
            if s.role == role:
                return s.data
        raise KeyError(f"stage {self.key!r} shows no {role.name}")

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


def terms_formula(lhs: str, terms: Sequence[Term], value: float, constant: float | None = None,
                  const_label: str = "b") -> str:
    return f"{lhs} = {products_text(terms, constant, const_label)} = {fmt(value)}"


def products_text(terms: Sequence[Term], constant: float | None = None, const_label: str = "b") -> str:
    """'1·2 + 3·(−1) + … (18 terms) + 0.5 (b[0])': the first few products, then the count."""
    shown = [f"{fmt(t.a)}·{fmt(t.b)}" for t in terms[:MAX_SHOWN_TERMS]]
    if len(terms) > MAX_SHOWN_TERMS:
        shown.append(f"… ({len(terms)} terms)")
    if constant:                       # a zero bias adds nothing: left out
        shown.append(f"{fmt(constant)} ({const_label})")
    return " + ".join(shown) if shown else "0"


def sum_formula(lhs: str, terms: Sequence[Term], value: float, keys, axis: str, constant: float | None = None,
                const_label: str = "b") -> tuple[str, str]:
    """(formula, note) of a sum that may run over channels or samples.

    ``keys[i]`` is the channel or sample of term i. When there are several, the formula
    adds their subtotals up to the value (:func:`..subtotals.formula`) and the note lists
    the products; with one, the formula lists the products.
    """
    keys = np.asarray(keys)
    if len(np.unique(keys)) < 2:
        return terms_formula(lhs, terms, value, constant, const_label), ""
    if isinstance(terms, LazyTerms):
        products = terms.a.astype(np.float64) * terms.b.astype(np.float64)
    else:
        products = [t.product for t in terms]
    subs = subtotals.by_index(keys, products, axis)
    return (subtotals.formula(lhs, subs, value, fmt, constant if constant else None, const_label),
            f"products: {products_text(terms)}")


def correlation_step(k: int, inp: np.ndarray, ker: np.ndarray, out: np.ndarray, spec: ConvSpec, *,
                     in_role: Role, ker_role: Role, out_role: Role, axis: str,
                     bias: np.ndarray | None = None) -> Step:
    """out[n,q,i,j] = Σ_{c,m,n'} inp[n, g·Cin_g + c, s·i + d·m, s·j + d·n'] · ker[q, c, m, n'] (+ b[q]).

    ``inp`` is already padded: ``spec`` has no padding (its stride, dilation and groups count).
    The window is :func:`links.receptive_field`'s, the one every path and hover use. Where
    the sum runs over several channels of ``inp`` (named ``axis`` in the subtotals), the
    formula adds up one subtotal per channel.
    """
    cell = cell_of(out.shape, k)
    q = cell[1]
    rf = links.receptive_field(spec, ker.shape, inp.shape[2:], cell)
    hx, hw_ = rf[X_PAD], rf[W]
    terms = [Term(float(inp[xc]), float(ker[wc]), in_role, xc, ker_role, wc) for xc, wc in zip(hx, hw_)]
    const = float(bias[q]) if bias is not None else 0.0
    value = float(out[cell])
    formula, note = sum_formula(f"{out_role.name}[{','.join(map(str, cell))}]", terms, value,
                                [xc[1] for xc in hx], axis, const if bias is not None else None, f"b[{q}]")
    highlights = {in_role: hx, ker_role: hw_, out_role: [cell]}
    return Step(k, out_role, cell, terms, value, highlights, formula, const, note=note,
                marks={B: [(q,)]} if bias is not None else {}, sum_over=(in_role, axis))

"""Sums over channels and samples, split into the subtotals the small multiples show.

Z[n,q,i,j] adds one window per input channel of q's group (and the bias); dX[n,c,y,x]
adds one flipped window per output channel of c's group; dW[q,c,m,n′] and db[q] add one
term per sample. Each panel of the view shows one channel or sample with its subtotal,
and the formula line adds the subtotals up to the value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import links
from .geometry import ConvSpec
from .paths.roles import W, X_PAD
from .three_ways import dw_three_ways, dx_three_ways


@dataclass(frozen=True)
class Subtotal:
    axis: str            # "c" (input channel), "q" (output channel) or "n" (sample)
    index: int           # the channel or sample, as stored in the tensor
    value: float
    n_terms: int

    @property
    def label(self) -> str:
        return f"{self.axis}={self.index}"


def by_index(keys, values, axis: str) -> list[Subtotal]:
    """The values added up per key (a channel or sample index), in order of the key (array work:
    a dW tap of a batch of big images has millions of terms)."""
    keys = np.asarray(keys, np.int64).reshape(-1)
    if not len(keys):
        return []
    uniq, inv = np.unique(keys, return_inverse=True)
    sums = np.bincount(inv, weights=np.asarray(values, np.float64).reshape(-1), minlength=len(uniq))
    counts = np.bincount(inv, minlength=len(uniq))
    return [Subtotal(axis, int(k), float(v), int(c)) for k, v, c in zip(uniq, sums, counts)]


def forward(spec: ConvSpec, x_pad: np.ndarray, w_eff: np.ndarray, x_hw, cell) -> list[Subtotal]:
    """Z[cell] without its bias, one subtotal per input channel of the group."""
    rf = links.receptive_field(spec, w_eff.shape, x_hw, cell)
    products = [np.float64(x_pad[a]) * np.float64(w_eff[t]) for a, t in zip(rf[X_PAD], rf[W])]
    return by_index([a[1] for a in rf[X_PAD]], products, "c")


def dx(spec: ConvSpec, w_eff: np.ndarray, dz: np.ndarray, x_hw, cell) -> list[Subtotal]:
    """dX[cell], one subtotal per output channel q of the cell's group."""
    tw = dx_three_ways(spec, w_eff, dz, x_hw, cell)
    return by_index([p.a_cell[1] for p in tw.gather], [p.value for p in tw.gather], "q") or \
        [Subtotal("q", q, 0.0, 0) for q in _group_out(spec, w_eff.shape, cell[1])]


def dw(spec: ConvSpec, w_shape, x_pad: np.ndarray, dz: np.ndarray, tap) -> list[Subtotal]:
    """dW_eff[tap], one subtotal per sample."""
    shift = dw_three_ways(spec, w_shape, x_pad, dz, tap)["shift"]
    return by_index([p.b_cell[0] for p in shift], [p.value for p in shift], "n")


def db(dz: np.ndarray, q: int) -> list[Subtotal]:
    """db[q] = Σ_n Σ_i Σ_j dZ[n, q, i, j], one subtotal per sample."""
    return [Subtotal("n", n, float(dz[n, q].astype(np.float64).sum()), dz[n, q].size) for n in range(dz.shape[0])]


def _group_out(spec: ConvSpec, w_shape, c: int) -> range:
    cout, cin_g = w_shape[:2]
    g = c // cin_g
    cout_g = cout // spec.groups
    return range(g * cout_g, (g + 1) * cout_g)


def formula(lhs: str, subtotals: list[Subtotal], value: float, fmt, constant: float | None = None,
            constant_label: str = "b") -> str:
    """'Z[0,1,2,2] = [c=0] (−9) + [c=1] 10 + [c=2] 5 = 6': the subtotals adding up to the
    value; ``fmt`` writes a number as the formula lines do."""
    parts = [f"[{s.label}] {fmt(s.value)}" for s in subtotals]
    if constant is not None:
        parts.append(f"[{constant_label}] {fmt(constant)}")
    return f"{lhs} = {' + '.join(parts) if parts else '0'} = {fmt(value)}"


@dataclass(frozen=True)
class Split:
    """A step's sum split by channel or sample: the panels of the small multiples."""
    role: object                   # the tensor whose cells the terms read (X_pad, dZ_pad, dZ)
    axis: str
    subtotals: list[Subtotal]
    cells: dict[int, np.ndarray]   # key -> the role's cells its terms read, (K, 4)

    def plane(self, key: int, n: int) -> tuple[int, int]:
        """The (n, c) plane of ``role`` that key's panel shows (a sample's panel: its first cell's channel)."""
        first = self.cells[key][0] if len(self.cells[key]) else (n, key)
        return (key, int(first[1])) if self.axis == "n" else (int(first[0]), key)


def of_step(step) -> Split | None:
    """The step's sum by channel or sample (``step.sum_over``), or None when it is no such sum.

    Array work only: a dW tap of a batch of big images reads millions of cells."""
    if getattr(step, "sum_over", None) is None or not len(step.terms):
        return None
    role, axis = step.sum_over
    cells = step.highlights.get(role, [])
    terms = step.terms
    if hasattr(terms, "a") and hasattr(terms, "b"):                 # LazyTerms: the arrays are at hand
        products = terms.a.astype(np.float64) * terms.b.astype(np.float64)
    else:
        products = np.array([t.product for t in terms], np.float64)
    arr = getattr(cells, "array", None)
    if arr is None:
        arr = np.asarray(cells, np.int64).reshape(len(cells), -1)
    keys = arr[:, 0 if axis == "n" else 1]
    subs = by_index(keys, products, axis)
    return Split(role, axis, subs, {s.index: arr[keys == s.index] for s in subs})

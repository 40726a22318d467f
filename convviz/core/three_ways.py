"""One gradient value seen three ways, linked cell by cell.

For a dX cell: the gather window (each product of a dZ_pad cell and a flipped-kernel
cell W′), the scatter stamps that reach it (each dZ·W term with the running value
before and after), and its row of Jᵀ (whose dot product with dZ is the value). For a dW
tap: the products of the shifted X_pad with dZ, the same products as the correlation
X_pad ⋆ dZ↑0 reads them, and the row of dW_row = dZ_row · X_colᵀ.

All three are built from one list of (Z cell, kernel tap, X_pad cell) triples
(:func:`.links.influence_pairs` / :func:`.links.tap_support_arrays`), so they cannot disagree
about which terms there are; the tests check that each way adds up to the engine's value.
Cells index the tensors as the gather and scatter paths show them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import links
from .geometry import ConvSpec, dx_gather
from .paths.roles import DZ, DZ_INSERTED, DZ_PAD, DZ_ROW, W_FLIP, X_COL, X_PAD, Role


@dataclass(frozen=True)
class Product:
    """One term a·b of a sum, with the cell each factor is read from."""
    a_role: Role
    a_cell: tuple
    a: float
    b_role: Role
    b_cell: tuple
    b: float

    @property
    def value(self) -> float:
        return float(np.float64(self.a) * np.float64(self.b))


@dataclass(frozen=True)
class Stamp:
    """A dZ cell's stamp dZ·W landing on the cell: before + amount = after."""
    dz_cell: tuple
    tap: tuple
    dz: float
    w: float
    before: float

    @property
    def amount(self) -> float:
        return float(np.float64(self.dz) * np.float64(self.w))

    @property
    def after(self) -> float:
        return self.before + self.amount


@dataclass(frozen=True)
class ThreeWays:
    cell: tuple
    gather: list[Product]          # the gather window, product by product
    stamps: list[Stamp]            # the stamps that reach the cell, in the scatter path's order
    jt_row: dict[tuple, float]     # Jᵀ row: Z cell -> ∂Z/∂X[cell] (for the cell's sample)

    @property
    def gathered(self) -> float:
        return float(sum(np.float64(p.value) for p in self.gather))

    @property
    def stamped(self) -> float:
        return self.stamps[-1].after if self.stamps else 0.0

    def jt_dot(self, dz: np.ndarray) -> float:
        return float(sum(np.float64(w) * np.float64(dz[c]) for c, w in self.jt_row.items()))


def flipped_tap(w_shape, groups: int, tap: tuple) -> tuple:
    """W[q, c, m, n′] is W′[g·Cin_g + c, q − g·Cout_g, kh−1−m, kw−1−n′] (see reference.flip_kernel)."""
    q, c, m, nn = tap
    cout, cin_g, kh, kw = w_shape
    cout_g = cout // groups
    g = q // cout_g
    return (g * cin_g + c, q - g * cout_g, kh - 1 - m, kw - 1 - nn)


def dx_three_ways(spec: ConvSpec, w_eff: np.ndarray, dz: np.ndarray, x_hw, cell) -> ThreeWays:
    """The three views of dX[n, c, y, x] (with a padding mode that copies, the cell's
    copies in X_pad each contribute and the gather view lists them all)."""
    out_hw = dz.shape[2:]
    pairs = links.influence_pairs(spec, w_eff.shape, x_hw, out_hw, cell)
    pads = dx_gather(spec, x_hw, out_hw).pads
    gather = []
    for z, tap, xp in pairs:
        n, q, i, j = z
        # dZ↑0 puts dZ[i] at s·i; the pad adds `pads` before: that is where dZ_pad holds it
        zp = (n, q, spec.stride[0] * i + pads[0], spec.stride[1] * j + pads[2])
        wf = flipped_tap(w_eff.shape, spec.groups, tap)
        gather.append(Product(DZ_PAD, zp, float(dz[z]), W_FLIP, wf, float(w_eff[tap])))
    gather.sort(key=lambda p: (p.b_cell[1], p.b_cell[2], p.b_cell[3], p.a_cell))
    stamps, running = [], 0.0
    for z, tap, _xp in sorted(pairs):           # the scatter path stamps dZ cells in row-major order
        if float(dz[z]) == 0.0:
            continue                                   # a zero stamp adds nothing (the path skips it too)
        s = Stamp(z, tap, float(dz[z]), float(w_eff[tap]), running)
        stamps.append(s)
        running = s.after
    jt: dict[tuple, float] = {}
    for z, tap, _xp in pairs:
        jt[z] = jt.get(z, 0.0) + float(w_eff[tap])     # copies of one input cell add up
    return ThreeWays(tuple(cell), gather, stamps, jt)


def dw_three_ways(spec: ConvSpec, w_shape, x_pad: np.ndarray, dz: np.ndarray, tap) -> dict:
    """The three views of dW_eff[q, c, m, n′]:

    - ``shift``: products X_pad[n, g·Cin_g + c, s·i + d·m, s·j + d·n′] · dZ[n, q, i, j];
    - ``correlation``: the same products at the cells of dZ↑0 (s·i, s·j) the correlation
      X_pad ⋆ dZ↑0 reads, every d-th cell of X_pad;
    - ``im2col``: the row (g, q − g·Cout_g) of dZ_row and the column t = (c·kh + m)·kw + n′ of
      X_colᵀ they multiply, entry by entry (column index (n·OH + i)·OW + j).
    """
    xs, ds = links.tap_support_arrays(spec, w_shape, dz.shape, tap)
    q, c, m, nn = tap
    cout, cin_g, kh, kw = w_shape
    cout_g = cout // spec.groups
    oh, ow = dz.shape[2:]
    shift = [Product(X_PAD, tuple(int(v) for v in a), float(x_pad[tuple(a)]), DZ, tuple(int(v) for v in b),
                     float(dz[tuple(b)])) for a, b in zip(xs, ds)]
    corr = [Product(X_PAD, p.a_cell, p.a, DZ_INSERTED, (p.b_cell[0], p.b_cell[1], spec.stride[0] * p.b_cell[2],
                                                      spec.stride[1] * p.b_cell[3]), p.b) for p in shift]
    g = q // cout_g
    row = (g, q - g * cout_g)
    t = (c * kh + m) * kw + nn
    im2col = [Product(DZ_ROW, row + ((p.b_cell[0] * oh + p.b_cell[2]) * ow + p.b_cell[3],), p.b,
                      X_COL, (g, t, (p.b_cell[0] * oh + p.b_cell[2]) * ow + p.b_cell[3]), p.a) for p in shift]
    return {"shift": shift, "correlation": corr, "im2col": im2col}

"""Which cells are connected to which: the queries behind hover.

Cells are index tuples into the tensors as they are stored: (n, c, y, x) for X, X_pad,
Z, A, P and their gradients; (q, c, m, n′) for W and dW. Results are keyed by the
Role whose cells they are; a view lights the cells of its role's kind.
"""
from __future__ import annotations

import numpy as np

from .geometry import ConvSpec, PoolSpec, read_by, reads
from .paths.roles import DZ, W, X, X_PAD, Z, Role


def receptive_field(spec: ConvSpec, w_shape, x_hw, cell) -> dict[Role, list[tuple]]:
    """For Z[n,q,i,j]: the X_pad cells it reads and the kernel taps, pair by pair, and the
    X cells behind them. The one window every path and hover use: the forward slide, the
    gather correlation (with dZ_pad as X_pad and W′ as W) and the scatter stamp."""
    n, q, i, j = cell
    cout, cin_g, kh, kw = w_shape
    g = q // (cout // spec.groups)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    rows, cols = spec.pad_maps(x_hw)
    xp, x, taps = [], [], []
    ys, xs = reads(i, kh, sh, dh), reads(j, kw, sw, dw)
    for c in range(cin_g):
        ch = g * cin_g + c
        for m, py in enumerate(ys):
            for nn, px in enumerate(xs):
                xp.append((n, ch, py, px))
                taps.append((q, c, m, nn))
                if rows[py] >= 0 and cols[px] >= 0:
                    x.append((n, ch, int(rows[py]), int(cols[px])))
    return {X_PAD: xp, X: sorted(set(x)), W: taps}


def influence_pairs(spec: ConvSpec, w_shape, x_hw, out_hw, cell) -> list[tuple[tuple, tuple, tuple]]:
    """For X[n,c,y,x]: every (Z cell, kernel tap, X_pad cell) by which it reaches an output
    (seed 001's scope of impact), the exact inverse of :func:`receptive_field`.

    With reflect, replicate or circular padding one input cell appears several times in
    X_pad; each copy counts.
    """
    n, c, y, x = cell
    cout, cin_g, kh, kw = w_shape
    g, cl = divmod(c, cin_g)
    cout_g = cout // spec.groups
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    rows, cols = spec.pad_maps(x_hw)
    pairs = []
    for py in (int(v) for v in (rows == y).nonzero()[0]):
        for px in (int(v) for v in (cols == x).nonzero()[0]):
            for i, m in read_by(py, kh, sh, dh, out_hw[0]):
                for j, nn in read_by(px, kw, sw, dw, out_hw[1]):
                    for qq in range(cout_g):
                        q = g * cout_g + qq
                        pairs.append(((n, q, i, j), (q, cl, m, nn), (n, c, py, px)))
    return pairs


def influence(spec: ConvSpec, w_shape, x_hw, out_hw, cell) -> dict[Role, list]:
    """For X[n,c,y,x]: the Z cells it reaches, through which taps, from which X_pad cells."""
    pairs = influence_pairs(spec, w_shape, x_hw, out_hw, cell)
    return {Z: sorted({p[0] for p in pairs}), W: sorted({p[1] for p in pairs}),
            X_PAD: sorted({p[2] for p in pairs})}


def tap_support_arrays(spec: ConvSpec, w_shape, dz_shape, tap) -> tuple[np.ndarray, np.ndarray]:
    """tap_support as two (K, 4) int arrays: the X_pad cells and the dZ cells, pair by pair."""
    q, c, m, nn = tap
    cout, cin_g = w_shape[:2]
    g = q // (cout // spec.groups)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    n, i, j = (a.ravel() for a in np.meshgrid(np.arange(dz_shape[0]), np.arange(dz_shape[2]),
                                                np.arange(dz_shape[3]), indexing="ij"))
    rows, cols = sh * i + dh * m, sw * j + dw * nn      # tap (m, n′) of each window: geometry.reads
    xs = np.stack([n, np.full_like(n, g * cin_g + c), rows, cols], axis=1)
    dzs = np.stack([n, np.full_like(n, q), i, j], axis=1)
    return xs, dzs


def tap_support(spec: ConvSpec, w_shape, dz_shape, tap) -> dict[Role, list[tuple]]:
    """For dW[q,c,m,n′]: the shifted X_pad cells and the dZ cells multiplied and summed for it."""
    xs, dzs = tap_support_arrays(spec, w_shape, dz_shape, tap)
    return {X_PAD: as_tuples(xs), DZ: as_tuples(dzs)}


class Cells(list):
    """A list of cell tuples that keeps the (K, ndim) int array it came from in ``array``, so
    a view outlining thousands of cells (a dW tap on a big image) need not rebuild it."""
    array: np.ndarray


def as_tuples(a: np.ndarray) -> list[tuple]:
    cells = Cells(zip(*(col.tolist() for col in a.T)))
    cells.array = a
    return cells


def pool_window(spec: PoolSpec, a_shape, cell) -> list[tuple]:
    """The A cells that P[n,c,i,j] pools (padding cells left out)."""
    n, ch, i, j = cell
    (h, w), (kh, kw), (sh, sw), (ph, pw) = a_shape[2:], spec.kernel, spec.stride, spec.padding
    return [(n, ch, y - ph, x - pw) for y in reads(i, kh, sh) for x in reads(j, kw, sw)
            if 0 <= y - ph < h and 0 <= x - pw < w]


def pool_targets(spec: PoolSpec, a_shape, p_shape, cell) -> list[tuple]:
    """The P cells whose window holds A[n,c,y,x]."""
    n, ch, y, x = cell
    (kh, kw), (sh, sw), (ph, pw) = spec.kernel, spec.stride, spec.padding
    return sorted((n, ch, i, j) for i, _ in read_by(y + ph, kh, sh, 1, p_shape[2])
                  for j, _ in read_by(x + pw, kw, sw, 1, p_shape[3]))

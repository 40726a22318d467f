"""Which cells are connected to which: the queries behind hover.

Cells are index tuples into the tensors as they are stored: (n, c, y, x) for X, X_pad,
Z, A, P and their gradients; (q, c, m, n′) for W and dW.
"""
from __future__ import annotations

import numpy as np

from .spec import ConvSpec, PoolSpec


def receptive_field(spec: ConvSpec, w_shape, x_hw, cell) -> dict[str, list[tuple]]:
    """For Z[n,q,i,j]: the X_pad cells it reads, the X cells behind them, and the kernel taps."""
    n, q, i, j = cell
    cout, cin_g, kh, kw = w_shape
    g = q // (cout // spec.groups)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    rows, cols = spec.pad_maps(x_hw)
    xp, x, taps = [], [], []
    for c in range(cin_g):
        for m in range(kh):
            for nn in range(kw):
                py, px = sh * i + dh * m, sw * j + dw * nn
                ch = g * cin_g + c
                xp.append((n, ch, py, px))
                taps.append((q, c, m, nn))
                if rows[py] >= 0 and cols[px] >= 0:
                    x.append((n, ch, int(rows[py]), int(cols[px])))
    return {"X_pad": xp, "X": sorted(set(x)), "W": taps}


def influence(spec: ConvSpec, w_shape, x_hw, out_hw, cell) -> dict[str, list]:
    """For X[n,c,y,x]: every Z cell it reaches and through which tap (seed 001's scope of impact).

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
            for m in range(kh):
                ti = py - dh * m
                if ti < 0 or ti % sh or ti // sh >= out_hw[0]:
                    continue
                for nn in range(kw):
                    tj = px - dw * nn
                    if tj < 0 or tj % sw or tj // sw >= out_hw[1]:
                        continue
                    for qq in range(cout_g):
                        q = g * cout_g + qq
                        pairs.append(((n, q, ti // sh, tj // sw), (q, cl, m, nn), (n, c, py, px)))
    return {"Z": sorted({p[0] for p in pairs}), "W": sorted({p[1] for p in pairs}),
            "X_pad": sorted({p[2] for p in pairs}), "pairs": pairs}


def tap_support_arrays(spec: ConvSpec, w_shape, dz_shape, tap) -> tuple[np.ndarray, np.ndarray]:
    """tap_support as two (K, 4) int arrays: the X_pad cells and the dZ cells, pair by pair."""
    q, c, m, nn = tap
    cout, cin_g = w_shape[:2]
    g = q // (cout // spec.groups)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    n, i, j = (a.ravel() for a in np.meshgrid(np.arange(dz_shape[0]), np.arange(dz_shape[2]),
                                                np.arange(dz_shape[3]), indexing="ij"))
    xs = np.stack([n, np.full_like(n, g * cin_g + c), sh * i + dh * m, sw * j + dw * nn], axis=1)
    dzs = np.stack([n, np.full_like(n, q), i, j], axis=1)
    return xs, dzs


def tap_support(spec: ConvSpec, w_shape, dz_shape, tap) -> dict[str, list[tuple]]:
    """For dW[q,c,m,n′]: the shifted X_pad cells and the dZ cells multiplied and summed for it."""
    xs, dzs = tap_support_arrays(spec, w_shape, dz_shape, tap)
    return {"X_pad": as_tuples(xs), "dZ": as_tuples(dzs)}


def as_tuples(a: np.ndarray) -> list[tuple]:
    return list(zip(*(col.tolist() for col in a.T)))


def pool_window(spec: PoolSpec, a_shape, cell) -> list[tuple]:
    """The A cells that P[n,c,i,j] pools (padding cells left out)."""
    n, ch, i, j = cell
    h, w = a_shape[2:]
    out = []
    for m in range(spec.kernel[0]):
        for nn in range(spec.kernel[1]):
            y, x = i * spec.stride[0] - spec.padding[0] + m, j * spec.stride[1] - spec.padding[1] + nn
            if 0 <= y < h and 0 <= x < w:
                out.append((n, ch, y, x))
    return out


def pool_targets(spec: PoolSpec, a_shape, p_shape, cell) -> list[tuple]:
    """The P cells whose window holds A[n,c,y,x]."""
    n, ch, y, x = cell
    out = []
    for i in range(p_shape[2]):
        y0 = i * spec.stride[0] - spec.padding[0]
        if not y0 <= y < y0 + spec.kernel[0]:
            continue
        for j in range(p_shape[3]):
            x0 = j * spec.stride[1] - spec.padding[1]
            if x0 <= x < x0 + spec.kernel[1]:
                out.append((n, ch, i, j))
    return out

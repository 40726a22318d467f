"""The numpy backend: every engine operation written straight from its definition.

Clear rather than clever; sums are done in float64 and returned as float32. This is
the reference the OpenCL kernels are tested against, and the fallback when no OpenCL
device works. Arrays are NCHW; weights are (Cout, Cin/groups, kh, kw). Inputs arrive
validated (see :mod:`convviz.core.spec`).
"""
from __future__ import annotations

import numpy as np

from .activations import activation, activation_backward  # noqa: F401  (part of the backend)
from .geometry import ConvSpec, PoolSpec, dx_gather, gather_pads, pad_index

name = "numpy"
description = "numpy (reference)"

_NP_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _out(a, like: np.ndarray) -> np.ndarray:
    """Results are float32, or float64 when the input was float64 (for gradient checks)."""
    return np.ascontiguousarray(a, dtype=np.float64 if like.dtype == np.float64 else np.float32)


# ---------------------------------------------------------------- padding and friends

def pad(x: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """X_pad: the input padded with the spec's padding and mode."""
    t, b, l, r = spec.padding
    return _out(np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), mode=_NP_MODES[spec.padding_mode]), x)


def _fold(a: np.ndarray, index: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Add the slices of ``a`` along ``axis`` into ``size`` slices: slice i onto index[i] (−1: dropped)."""
    keep = np.nonzero(index >= 0)[0]
    a = np.moveaxis(a, axis, 0)
    out = np.zeros((size,) + a.shape[1:])
    np.add.at(out, index[keep], a[keep])
    return np.moveaxis(out, 0, axis)


def pad_backward(dxp: np.ndarray, spec: ConvSpec, hw: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`pad`: each padded cell's gradient goes back to the cell it copies.

    dX[n, c, i, j] = Σ dX_pad[n, c, a, b] over the cells (a, b) with rows[a] = i and cols[b] = j,
    folded one axis at a time: time and memory linear in the sizes.
    """
    rows, cols = spec.pad_maps(hw)
    folded = _fold(dxp.astype(np.float64), rows, hw[0], 2)
    return _out(_fold(folded, cols, hw[1], 3), dxp)


def insert_zeros(x: np.ndarray, stride: tuple[int, int]) -> np.ndarray:
    """s−1 zeros between neighbouring cells along each axis: (H−1)·sh+1 × (W−1)·sw+1."""
    sh, sw = stride
    n, c, h, w = x.shape
    out = np.zeros((n, c, (h - 1) * sh + 1, (w - 1) * sw + 1), _out(x[:0], x).dtype)
    out[:, :, ::sh, ::sw] = x
    return out


def dilate_kernel(w: np.ndarray, dilation: tuple[int, int]) -> np.ndarray:
    """The kernel with d−1 zeros between its taps: what a dilated kernel really multiplies."""
    return insert_zeros(w, dilation)


def pad_or_crop(x: np.ndarray, pads: tuple[int, int, int, int]) -> np.ndarray:
    """Zero padding (top, bottom, left, right); a negative amount crops instead."""
    t, b, l, r = pads
    x = np.pad(x, ((0, 0), (0, 0), (max(t, 0), max(b, 0)), (max(l, 0), max(r, 0))))
    h, w = x.shape[2:]
    return _out(x[:, :, max(-t, 0):h - max(-b, 0), max(-l, 0):w - max(-r, 0)], x)


def flip_kernel(w: np.ndarray, groups: int = 1) -> np.ndarray:
    """W′: every kernel rotated 180° with Cin and Cout swapped within each group.

    (Cout, Cin/g, kh, kw) -> (Cin, Cout/g, kh, kw).
    """
    cout, cin_g, kh, kw = w.shape
    cout_g = cout // groups
    rot = w[:, :, ::-1, ::-1]
    out = np.empty((cin_g * groups, cout_g, kh, kw), _out(w[:0], w).dtype)
    for g in range(groups):
        out[g * cin_g:(g + 1) * cin_g] = rot[g * cout_g:(g + 1) * cout_g].transpose(1, 0, 2, 3)
    return out


# ---------------------------------------------------------------- convolution

def _window(xp: np.ndarray, spec: ConvSpec, i: int, j: int, out_hw) -> np.ndarray:
    """The cells of X_pad that tap (i, j) multiplies, one per output cell: shape (N, C, OH, OW)."""
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    oh, ow = out_hw
    return xp[:, :, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, spec: ConvSpec) -> np.ndarray:
    """Z[n,q,i,j] = Σ_p Σ_m Σ_n' X_pad[n, p, s·i + d·m, s·j + d·n'] · W[q,p,m,n'] + b[q]."""
    xp = pad(x, spec).astype(np.float64)
    out_hw = spec.output_size(x.shape[2:])
    cout, cin_g, kh, kw = w.shape
    g, cout_g = spec.groups, cout // spec.groups
    y = np.zeros((x.shape[0], cout) + out_hw)
    for i in range(kh):
        for j in range(kw):
            win = _window(xp, spec, i, j, out_hw)
            for grp in range(g):
                y[:, grp * cout_g:(grp + 1) * cout_g] += np.einsum(
                    "nchw,oc->nohw", win[:, grp * cin_g:(grp + 1) * cin_g],
                    w[grp * cout_g:(grp + 1) * cout_g, :, i, j].astype(np.float64))
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return _out(y, x)


def conv2d_backward(x: np.ndarray, w: np.ndarray, dy: np.ndarray, spec: ConvSpec):
    """(dx, dw, db) by the chain rule on the definition, tap by tap."""
    hw = x.shape[2:]
    xp = pad(x, spec).astype(np.float64)
    out_hw = dy.shape[2:]
    cout, cin_g, kh, kw = w.shape
    g, cout_g = spec.groups, cout // spec.groups
    dy64, w64 = dy.astype(np.float64), w.astype(np.float64)
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    (sh, sw), (dh, dwl) = spec.stride, spec.dilation
    oh, ow = out_hw
    for i in range(kh):
        for j in range(kw):
            win = _window(xp, spec, i, j, out_hw)
            for grp in range(g):
                cs, os_ = slice(grp * cin_g, (grp + 1) * cin_g), slice(grp * cout_g, (grp + 1) * cout_g)
                dw[os_, :, i, j] = np.einsum("nohw,nchw->oc", dy64[:, os_], win[:, cs])
                dxp[:, cs, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dwl:j * dwl + (ow - 1) * sw + 1:sw] += \
                    np.einsum("nohw,oc->nchw", dy64[:, os_], w64[os_, :, i, j])
    dx = pad_backward(dxp, spec, hw)
    return _out(dx, x), _out(dw, x), _out(dy64.sum(axis=(0, 2, 3)), x)


def conv2d_dx_gather(dy: np.ndarray, w: np.ndarray, spec: ConvSpec, hw: tuple[int, int]) -> np.ndarray:
    """dX as a convolution (:func:`.geometry.dx_gather`): insert zeros into dY, pad (or crop),
    correlate with W′ dilated by d, fold the padding back if it copies."""
    recipe = dx_gather(spec, hw, dy.shape[2:])
    dx = conv2d(pad_or_crop(insert_zeros(dy, spec.stride), recipe.pads), flip_kernel(w, spec.groups), None,
                recipe.spec)
    return pad_backward(dx, spec, hw) if recipe.folds else dx


def conv2d_dx_scatter(dy: np.ndarray, w: np.ndarray, spec: ConvSpec, hw: tuple[int, int],
                      upto: int | None = None) -> np.ndarray:
    """dX_pad by stamps: each dY cell adds dY[n,q,i,j]·W[q] onto its receptive field in X_pad.

    Cells are taken in row-major order of (n, q, i, j); ``upto`` stops after that many
    stamps (the partial picture of the scatter path). Returns padded coordinates.
    """
    n, cout, oh, ow = dy.shape
    _, cin_g, kh, kw = w.shape
    cout_g = cout // spec.groups
    hp, wp = spec.padded_size(hw)
    (sh, sw), (dh, dwl) = spec.stride, spec.dilation
    out = np.zeros((n, cin_g * spec.groups, hp, wp))
    total = dy.size if upto is None else min(upto, dy.size)
    flat = dy.reshape(-1).astype(np.float64)
    for idx in range(total):
        if flat[idx] == 0.0:
            continue
        nn, q, i, j = np.unravel_index(idx, dy.shape)
        g = q // cout_g
        out[nn, g * cin_g:(g + 1) * cin_g, i * sh:i * sh + dh * (kh - 1) + 1:dh,
            j * sw:j * sw + dwl * (kw - 1) + 1:dwl] += flat[idx] * w[q].astype(np.float64)
    return _out(out, dy)


# ---------------------------------------------------------------- im2col

def im2col(x: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """X_col[g, (c·kh + m)·kw + n', (n·OH + i)·OW + j] = X_pad[n, g·Cin_g + c, s·i + d·m, s·j + d·n']."""
    xp = pad(x, spec)
    out_hw = spec.output_size(x.shape[2:])
    cin = x.shape[1]
    cin_g = cin // spec.groups
    kh, kw = spec.kernel
    cols = np.empty((spec.groups, cin_g, kh, kw, x.shape[0], out_hw[0], out_hw[1]), xp.dtype)
    for i in range(kh):
        for j in range(kw):
            win = _window(xp, spec, i, j, out_hw)          # (N, Cin, OH, OW)
            cols[:, :, i, j] = win.reshape(x.shape[0], spec.groups, cin_g, *out_hw).transpose(1, 2, 0, 3, 4)
    return cols.reshape(spec.groups, cin_g * kh * kw, -1)


def col2im(cols: np.ndarray, spec: ConvSpec, x_shape: tuple[int, int, int, int]) -> np.ndarray:
    """The adjoint of im2col: each column entry is added back onto the X_pad cell it came from."""
    n, cin, h, w = x_shape
    out_hw = spec.output_size((h, w))
    hp, wp = spec.padded_size((h, w))
    cin_g = cin // spec.groups
    kh, kw = spec.kernel
    (sh, sw), (dh, dwl) = spec.stride, spec.dilation
    c = cols.astype(np.float64).reshape(spec.groups, cin_g, kh, kw, n, *out_hw)
    out = np.zeros((n, cin, hp, wp))
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + (out_hw[0] - 1) * sh + 1:sh, j * dwl:j * dwl + (out_hw[1] - 1) * sw + 1:sw] += \
                c[:, :, i, j].transpose(2, 0, 1, 3, 4).reshape(n, cin, *out_hw)
    return _out(out, cols)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched matrix product (G, M, K) @ (G, K, N) -> (G, M, N)."""
    return _out(np.matmul(a.astype(np.float64), b.astype(np.float64)), a)


# ---------------------------------------------------------------- pooling

def _pool_windows(x: np.ndarray, spec: PoolSpec, fill: float):
    """Each window tap in row-major order: a list of (N, C, OH, OW) arrays over the padded input."""
    (kh, kw), (sh, sw), (ph, pw) = spec.kernel, spec.stride, spec.padding
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    oh, ow = spec.output_size(x.shape[2:])
    return [xp[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
            for i in range(kh) for j in range(kw)], xp.shape


def avg_pool2d(x: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """Mean over each window, padded cells counted as zeros (count_include_pad=True)."""
    taps, _ = _pool_windows(x, spec, 0.0)
    return _out(sum(taps) / len(taps), x)


def _fold_pool(parts, spec: PoolSpec, x_shape, like) -> np.ndarray:
    """Add per-tap contributions (N, C, OH, OW) back onto the input, dropping the padding."""
    kw = spec.kernel[1]
    (sh, sw), (ph, pw) = spec.stride, spec.padding
    n, c, h, w = x_shape
    oh, ow = parts[0].shape[2:]
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for t, part in enumerate(parts):
        i, j = divmod(t, kw)
        out[:, :, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw] += part
    return _out(out[:, :, ph:ph + h, pw:pw + w], like)


def avg_pool2d_backward(x_shape, dy: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """Each dy cell spreads 1/(kh·kw) of itself over its window; overlaps add."""
    share = dy.astype(np.float64) / (spec.kernel[0] * spec.kernel[1])
    return _fold_pool([share] * (spec.kernel[0] * spec.kernel[1]), spec, x_shape, dy)


def max_pool2d(x: np.ndarray, spec: PoolSpec) -> tuple[np.ndarray, np.ndarray]:
    """(y, argmax): the window maximum and where it is, as h·W + w in the input plane.

    The first maximum in row-major window order wins, as in PyTorch (a later tap
    replaces the best only when strictly greater).
    """
    taps, _ = _pool_windows(x, spec, -np.inf)
    y = np.full(taps[0].shape, -np.inf)
    first = np.zeros(taps[0].shape, np.int64)
    for t, tap in enumerate(taps):
        better = tap > y
        y[better] = tap[better]
        first[better] = t
    kw = spec.kernel[1]
    (sh, sw), (ph, pw) = spec.stride, spec.padding
    oh, ow = y.shape[2:]
    rows = np.arange(oh)[:, None] * sh + first // kw - ph
    cols = np.arange(ow)[None, :] * sw + first % kw - pw
    return _out(y, x), (rows * x.shape[3] + cols).astype(np.int32)


def max_pool2d_backward(x: np.ndarray, dy: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """All of each dy cell goes to its window's (first) maximum; overlaps add."""
    _, arg = max_pool2d(x, spec)
    n, c, h, w = x.shape
    out = np.zeros((n * c, h * w))
    np.add.at(out, (np.repeat(np.arange(n * c), arg[0, 0].size), arg.reshape(-1)), dy.reshape(-1).astype(np.float64))
    return _out(out.reshape(x.shape), dy)


__all__ = [
    "pad", "pad_backward", "pad_index", "insert_zeros", "dilate_kernel", "pad_or_crop", "flip_kernel",
    "conv2d", "conv2d_backward", "conv2d_dx_gather", "conv2d_dx_scatter", "gather_pads",
    "im2col", "col2im", "matmul", "avg_pool2d", "avg_pool2d_backward", "max_pool2d",
    "max_pool2d_backward", "activation", "activation_backward",
]

"""Zeros that say what they are.

A zero on screen can be a real zero of the data, a padding cell, a copy made by
reflect/replicate/circular padding, a zero inserted between dZ cells to undo the
stride, or a row the windows never reach (whose gradient is therefore 0). This module
tells them apart, cell by cell, and derives the numbers the gather path uses: the pad
d(k−1) − p before and d(k−1) − p + a after, where a is what the stride left over.

Numpy only; the view draws the kinds (``gui/tensorview``) and the legend says them.
"""
from __future__ import annotations

import numpy as np

from .geometry import ConvSpec, gather_pads, insert_zeros_index

VALUE, ZERO, PADDING, COPY, INSERTED, UNREACHED = range(6)
KIND_NAMES = ("value", "real zero", "padding", "padded copy", "inserted zero", "never reached")
KIND_TEXT = {
    VALUE: "a value of the data",
    ZERO: "a real zero of the data",
    PADDING: "padding: a zero added around the input",
    COPY: "padding that copies an input cell (reflect, replicate or circular)",
    INSERTED: "a zero inserted between dZ cells to undo the stride",
    UNREACHED: "never reached by a window: the stride steps over it, so its gradient is 0",
}


def _axes(spec: ConvSpec, hw, out_hw):
    """Per axis: (size, pad before, pad after, kernel, stride, dilation, output size)."""
    t, b, l, r = spec.padding
    return ((hw[0], t, b, spec.kernel[0], spec.stride[0], spec.dilation[0], out_hw[0]),
            (hw[1], l, r, spec.kernel[1], spec.stride[1], spec.dilation[1], out_hw[1]))


def reached(size_p: int, kernel: int, stride: int, dilation: int, out_size: int) -> np.ndarray:
    """Along one padded axis: True where some window's tap lands (s·i + d·m for i < out_size)."""
    hit = np.zeros(size_p, dtype=bool)
    taps = (stride * np.arange(out_size)[:, None] + dilation * np.arange(kernel)[None, :]).ravel()
    hit[taps[(taps >= 0) & (taps < size_p)]] = True
    return hit


def leftover(size_p: int, kernel: int, stride: int, dilation: int, out_size: int) -> int:
    """a: the padded rows after the last window's last tap, which no window reaches."""
    return size_p - (out_size - 1) * stride - dilation * (kernel - 1) - 1


def _combine(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """A 2-D kind map from per-axis kinds: the stronger reason wins (padding over unreached)."""
    order = np.array([0, 0, 3, 3, 2, 1])     # rank of each kind: padding/copy > inserted > unreached > value
    r, c = rows[:, None], cols[None, :]
    return np.where(order[r] >= order[c], r, c).astype(np.int8)


def x_pad_kinds(spec: ConvSpec, hw, out_hw, x_pad: np.ndarray | None = None) -> np.ndarray:
    """(Hp, Wp) kinds of X_pad: padding (or copies), never reached, values, real zeros.

    With ``x_pad`` (N, C, Hp, Wp) given, the kinds are per cell (N, C, Hp, Wp) and the
    value cells that hold 0 are real zeros.
    """
    per_axis = []
    for size, pb, pa, k, s, d, o in _axes(spec, hw, out_hw):
        kinds = np.full(size + pb + pa, VALUE, dtype=np.int8)
        kinds[~reached(size + pb + pa, k, s, d, o)] = UNREACHED
        pad = np.ones(size + pb + pa, dtype=bool)
        pad[pb:pb + size] = False
        kinds[pad] = PADDING if spec.padding_mode == "zeros" else COPY
        per_axis.append(kinds)
    kinds = _combine(*per_axis)
    return kinds if x_pad is None else _with_real_zeros(kinds, x_pad)


def dz_pad_kinds(spec: ConvSpec, hw, out_hw, dz_pad: np.ndarray | None = None) -> np.ndarray:
    """(Hd, Wd) kinds of dZ_pad (the zero-inserted, padded dZ the gather path correlates):
    inserted zeros, the d(k−1)−p padding, and the a leftover rows (never reached)."""
    pads = gather_pads(spec, hw, out_hw)
    per_axis = []
    for axis, (size, pb, pa, k, s, d, o) in enumerate(_axes(spec, hw, out_hw)):
        before, after = pads[2 * axis], pads[2 * axis + 1]
        src = insert_zeros_index(o, s, before, after)
        j = np.arange(-before, (o - 1) * s + 1 + after)
        kinds = np.where(src >= 0, VALUE, INSERTED).astype(np.int8)
        kinds[j < 0] = PADDING
        a = leftover(size + pb + pa, k, s, d, o)
        pad_after = after - a                 # d(k−1) − p of the after side
        beyond = j - (o - 1) * s              # 1, 2, … past the last dZ cell
        kinds[(beyond > 0) & (beyond <= pad_after)] = PADDING
        kinds[beyond > max(pad_after, 0)] = UNREACHED
        per_axis.append(kinds)
    kinds = _combine(*per_axis)
    return kinds if dz_pad is None else _with_real_zeros(kinds, dz_pad)


def dx_kinds(spec: ConvSpec, hw, out_hw, dx: np.ndarray | None = None) -> np.ndarray:
    """(H, W) kinds of dX: the cells no window reads are never reached (gradient 0 for
    that reason); with padding that copies, a cell counts as reached if any copy is."""
    per_axis = []
    for (size, pb, pa, k, s, d, o), index in zip(_axes(spec, hw, out_hw), spec.pad_maps(hw)):
        hit = reached(size + pb + pa, k, s, d, o)
        got = np.zeros(size, dtype=bool)
        got[index[hit & (index >= 0)]] = True
        per_axis.append(np.where(got, VALUE, UNREACHED).astype(np.int8))
    kinds = _combine(*per_axis)
    return kinds if dx is None else _with_real_zeros(kinds, dx)


def inserted_kinds(stride, data: np.ndarray) -> np.ndarray:
    """Kinds of dZ↑0 (N, C, H, W): the cells (s·i, s·j) hold dZ (a value or a real zero), the rest are inserted zeros."""
    h, w = data.shape[-2:]
    keep = (np.arange(h)[:, None] % stride[0] == 0) & (np.arange(w)[None, :] % stride[1] == 0)
    return _with_real_zeros(np.where(keep, VALUE, INSERTED).astype(np.int8), data)


def _with_real_zeros(kinds: np.ndarray, data: np.ndarray) -> np.ndarray:
    out = np.broadcast_to(kinds, data.shape).copy()
    out[(out == VALUE) & (data == 0)] = ZERO
    return out


def pad_derivation(spec: ConvSpec, hw, out_hw) -> list[str]:
    """The gather path's pad amounts derived with their numbers, one line per side.

    before = d(k−1) − p, after = d(k−1) − p + a, a = the rows the stride left over; a
    negative amount crops. With a copying padding mode the gather runs on X_pad, so p is 0.
    """
    zeros_mode = spec.padding_mode == "zeros"
    pads = gather_pads(spec, hw, out_hw)
    lines = []
    for axis, (name, sides) in enumerate((("rows", ("top", "bottom")), ("columns", ("left", "right")))):
        size, pb, pa, k, s, d, o = _axes(spec, hw, out_hw)[axis]
        size_p = size + pb + pa
        a = leftover(size_p, k, s, d, o)
        pb_, pa_ = (pb, pa) if zeros_mode else (0, 0)
        before, after = pads[2 * axis], pads[2 * axis + 1]
        lines.append(f"{sides[0]} = d(k−1) − p = {d}·({k}−1) − {pb_} = {before}" + _crop(before))
        lines.append(f"{sides[1]} = d(k−1) − p + a = {d}·({k}−1) − {pa_} + {a} = {after}" + _crop(after)
                     + (f"   (a = {size_p} − (({o}−1)·{s} + {d}·({k}−1) + 1) = {a} {name if a != 1 else name[:-1]} the stride "
                        f"never reached)" if a else "   (a = 0: the windows reach the last row)"
                        if axis == 0 else "   (a = 0: the windows reach the last column)"))
    return lines


def _crop(amount: int) -> str:
    return f"   (negative: crop {-amount})" if amount < 0 else ""


def unreached_reason(spec: ConvSpec, hw, out_hw, axis: int, index: int) -> str | None:
    """Why row (axis 0) or column (axis 1) ``index`` of X gets no gradient, or None if some window reads it."""
    size, pb, pa, k, s, d, o = _axes(spec, hw, out_hw)[axis]
    pad_map = spec.pad_maps(hw)[axis]
    hit = reached(size + pb + pa, k, s, d, o)
    if hit[(pad_map == index)].any():
        return None
    word = "row" if axis == 0 else "column"
    pos = index + pb
    last = (o - 1) * s + d * (k - 1)
    if pos > last:
        return (f"{word} {index} lies after the last window, which ends at padded {word} {last}: the stride "
                f"{s} leaves {leftover(size + pb + pa, k, s, d, o)} padded {word}(s) over, so its gradient is 0")
    if s > d * (k - 1) + 1:
        return (f"{word} {index} falls between two windows: the stride {s} is longer than the kernel's "
                f"span {d * (k - 1) + 1}, so no window reads it and its gradient is 0")
    return (f"{word} {index} falls between the taps: windows start every {s} and taps are {d} apart, "
            f"so no tap lands on it and its gradient is 0")

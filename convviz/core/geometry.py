"""The geometry of convolution and pooling: shapes, output sizes, pad and zero-insertion
index maps, and which input cells an output cell reads.

The bottom of the package: numpy only, nothing else from convviz. The checks that
reject bad configurations live in :mod:`.spec`, the arithmetic on tensors in the
backends; both build on this.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def output_length(size: int, before: int, after: int, kernel: int, stride: int, dilation: int) -> int:
    """o = floor((i + p_before + p_after - d*(k-1) - 1) / s) + 1 (may be < 1 for impossible shapes)."""
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


def pad_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of the padded axis, the source index in the input, or -1 for a zero.

    The definitions of PyTorch's modes: reflect mirrors without repeating the edge,
    replicate repeats the edge, circular wraps around, zeros reads nothing.
    """
    j = np.arange(-before, size + after)
    if mode == "zeros":
        return np.where((j >= 0) & (j < size), j, -1)
    if mode == "replicate":
        return np.clip(j, 0, size - 1)
    if mode == "circular":
        return np.mod(j, size)
    if mode == "reflect":
        if size == 1:
            return np.zeros_like(j)
        period = 2 * (size - 1)
        j = np.mod(np.abs(j), period)
        return np.where(j >= size, period - j, j)
    raise ValueError(f"unknown padding mode {mode!r}; use one of {', '.join(PADDING_MODES)}")


@dataclass(frozen=True)
class ConvSpec:
    """A checked convolution configuration. ``padding`` is (top, bottom, left, right)."""

    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    padding_mode: str = "zeros"

    @property
    def span(self) -> tuple[int, int]:
        """How many input pixels the dilated kernel covers: d*(k-1)+1."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    def padded_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        t, b, l, r = self.padding
        return hw[0] + t + b, hw[1] + l + r

    def output_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        t, b, l, r = self.padding
        return (output_length(hw[0], t, b, self.kernel[0], self.stride[0], self.dilation[0]),
                output_length(hw[1], l, r, self.kernel[1], self.stride[1], self.dilation[1]))

    def pad_maps(self, hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        t, b, l, r = self.padding
        return (pad_index(hw[0], t, b, self.padding_mode), pad_index(hw[1], l, r, self.padding_mode))

    def formula(self, hw: tuple[int, int]) -> str:
        """The output-size formula with the live numbers, one line per axis."""
        t, b, l, r = self.padding
        lines = []
        for axis, i, pb, pa, k, s, d, o in (
            ("H", hw[0], t, b, self.kernel[0], self.stride[0], self.dilation[0], self.output_size(hw)[0]),
            ("W", hw[1], l, r, self.kernel[1], self.stride[1], self.dilation[1], self.output_size(hw)[1]),
        ):
            lines.append(f"{axis}out = ⌊({i} + {pb} + {pa} − {d}·({k}−1) − 1) / {s}⌋ + 1 = {o}")
        return "\n".join(lines)


@dataclass(frozen=True)
class PoolSpec:
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]

    def output_size(self, hw: tuple[int, int]) -> tuple[int, int]:
        return tuple(output_length(i, p, p, k, s, 1)
                     for i, p, k, s in zip(hw, self.padding, self.kernel, self.stride))


# ---------------------------------------------------------------- index maps

def insert_zeros_index(size: int, stride: int, before: int = 0, after: int = 0) -> np.ndarray:
    """Remap index of 'insert stride−1 zeros, then pad (or crop, if negative)'."""
    j = np.arange(-before, (size - 1) * stride + 1 + after)
    ok = (j >= 0) & (j % stride == 0) & (j // stride < size)
    return np.where(ok, j // stride, -1)


def gather_pads(spec: ConvSpec, hw: tuple[int, int], out_hw: tuple[int, int]) -> tuple[int, int, int, int]:
    """How much to pad the zero-inserted dY before correlating with W′ (negative = crop).

    With zeros padding the result is dX itself: d(k−1)−p before, and after it
    d(k−1)−p plus the rows the stride never reached. With another mode the
    result is dX_pad (every padded cell), to be folded back by pad_backward.
    """
    t, b, l, r = spec.padding if spec.padding_mode == "zeros" else (0, 0, 0, 0)
    hp, wp = spec.padded_size(hw)
    out = []
    for size_p, pb, pa, o, k, s, d in ((hp, t, b, out_hw[0], spec.kernel[0], spec.stride[0], spec.dilation[0]),
                                       (wp, l, r, out_hw[1], spec.kernel[1], spec.stride[1], spec.dilation[1])):
        leftover = size_p - (o - 1) * s - d * (k - 1) - 1
        out += [d * (k - 1) - pb, d * (k - 1) - pa + leftover]
    return tuple(out)


@dataclass(frozen=True)
class DxGather:
    """The recipe of dX as a gather, written once for the numpy backend, the OpenCL engine
    and the dx-gather path: insert s−1 zeros between the dZ cells, pad by ``pads``
    (top, bottom, left, right; negative crops), correlate with the flipped kernel W′
    under ``spec`` (stride 1, no padding, the convolution's dilation and groups). With
    zeros padding the result is dX; with a mode that copies (``folds``) it is dX_pad, to
    be folded back onto X by the adjoint of the padding."""
    pads: tuple[int, int, int, int]
    spec: ConvSpec
    folds: bool

    def index_maps(self, out_hw: tuple[int, int], stride: tuple[int, int],
                   extra_right: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Row and column remap indices of dZ_pad into dZ (−1: an inserted or padding zero);
        ``extra_right`` more zero columns on the right (slack for vector loads)."""
        t, b, l, r = self.pads
        return (insert_zeros_index(out_hw[0], stride[0], t, b),
                insert_zeros_index(out_hw[1], stride[1], l, r + extra_right))

    def flipped_shape(self, w_shape) -> tuple[int, int, int, int]:
        """W′'s shape: (Cin, Cout/groups, kh, kw) from W's (Cout, Cin/groups, kh, kw)."""
        cout, cin_g, kh, kw = w_shape
        return (cin_g * self.spec.groups, cout // self.spec.groups, kh, kw)


def dx_gather(spec: ConvSpec, hw: tuple[int, int], out_hw: tuple[int, int]) -> DxGather:
    """The gather recipe (:class:`DxGather`) for an input of ``hw`` and a dZ of ``out_hw``."""
    return DxGather(gather_pads(spec, hw, out_hw), ConvSpec(spec.kernel, (1, 1), (0, 0, 0, 0), spec.dilation,
                                                            spec.groups), spec.padding_mode != "zeros")


# ---------------------------------------------------------------- receptive fields

def reads(out_index: int, kernel: int, stride: int, dilation: int = 1) -> list[int]:
    """Along one axis, the padded input positions output ``out_index`` reads, tap by tap:
    s·o + d·m for m = 0 … k−1. ``out_index`` may be an array (each position is one too)."""
    return [stride * out_index + dilation * m for m in range(kernel)]


def read_by(in_index: int, kernel: int, stride: int, dilation: int, out_size: int) -> list[tuple[int, int]]:
    """The reverse of :func:`reads`: every (output position, tap m) along one axis whose
    window reads padded input position ``in_index``, in order of m."""
    out = []
    for m in range(kernel):
        t = in_index - dilation * m
        if t >= 0 and t % stride == 0 and t // stride < out_size:
            out.append((t // stride, m))
    return out

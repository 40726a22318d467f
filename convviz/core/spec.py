"""Convolution and pooling parameters, PyTorch's shape arithmetic, and the checks.

Every configuration PyTorch rejects is rejected here with a ``ValueError`` whose
message says what is wrong and what would fix it. Both backends receive only
validated :class:`ConvSpec` / :class:`PoolSpec` objects and float32 arrays.
"""
from __future__ import annotations

import os
from math import prod
from numbers import Integral

import numpy as np

from .geometry import (  # noqa: F401  (re-exported: they were defined here)
    PADDING_MODES, ConvSpec, PoolSpec, output_length, pad_index)

FLOAT32_MAX = float(np.finfo(np.float32).max)
INT32_LIMIT = 2 ** 31               # the OpenCL kernels take int32 sizes: every size and index stays below
DEFAULT_MAX_BYTES = 2 * 2 ** 30     # working-memory cap; CONVVIZ_MAX_BYTES overrides
ROW_BLOCK = 16      # the widest vector width of the OpenCL kernels: padded rows are read in blocks this long


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be a whole number; got {value!r}")
    return int(value)


def as_pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints, as (along height, along width)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be one number or a pair (height, width); got {value!r}")
        return _int(value[0], name), _int(value[1], name)
    v = _int(value, name)
    return v, v


def _resolve_padding(padding, kernel, stride, dilation) -> tuple[int, int, int, int]:
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"padding='same' needs stride 1 (PyTorch rejects it for strided convolutions); "
                    f"got stride {stride}. Use a number instead, e.g. padding={(kernel[0] - 1) // 2}")
            out = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                out += [total // 2, total - total // 2]   # an odd total goes one extra after
            return tuple(out)
        raise ValueError(f"padding must be a number, a pair, 'same' or 'valid'; got {padding!r}")
    if (isinstance(padding, (tuple, list)) and len(padding) == 2
            and all(isinstance(p, (tuple, list)) for p in padding)):
        (t, b), (l, r) = (as_pair(p, "padding") for p in padding)
        pads = (t, b, l, r)
    else:
        ph, pw = as_pair(padding, "padding")
        pads = (ph, ph, pw, pw)
    if min(pads) < 0:
        raise ValueError(f"padding must not be negative; got {padding!r}. Use 0 for no padding")
    return pads


def make_conv_spec(kernel_hw, *, stride=1, padding=0, dilation=1, groups=1,
                   padding_mode="zeros") -> ConvSpec:
    """Check the parameters alone (no shapes) and normalise them."""
    stride = as_pair(stride, "stride")
    dilation = as_pair(dilation, "dilation")
    if min(stride) < 1:
        raise ValueError(f"stride must be at least 1 along both axes; got {stride}")
    if min(dilation) < 1:
        raise ValueError(f"dilation must be at least 1 along both axes; got {dilation} (1 means no gaps)")
    groups = _int(groups, "groups")
    if groups < 1:
        raise ValueError(f"groups must be at least 1; got {groups}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"unknown padding_mode {padding_mode!r}; use one of {', '.join(PADDING_MODES)}")
    kernel = tuple(int(k) for k in kernel_hw)
    for name, values in (("stride", stride), ("dilation", dilation), ("kernel size", kernel)):
        _check_int32(name, values)
    pads = _resolve_padding(padding, kernel, stride, dilation)
    _check_int32("padding", pads)
    return ConvSpec(kernel, stride, pads, dilation, groups, padding_mode)


# ---------------------------------------------------------------- size limits

def _check_int32(name: str, values) -> None:
    if max(values) >= INT32_LIMIT:
        raise ValueError(f"{name} {tuple(values)} is too large: convviz's OpenCL kernels take 32-bit "
                         f"integers, so it must be below 2**31 = {INT32_LIMIT:,}")


def max_bytes() -> int:
    """The working-memory cap in bytes: ``CONVVIZ_MAX_BYTES`` if set (e.g. ``4e9``), else 2 GiB."""
    raw = os.environ.get("CONVVIZ_MAX_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= 1 or value == float("inf"):
        raise ValueError(f"CONVVIZ_MAX_BYTES must be a positive number of bytes, e.g. 4e9; got {raw!r}")
    return int(value)


def format_bytes(n: int) -> str:
    """Bytes in binary units: '512 B', '3.0 KiB', '6.4 GiB'."""
    for unit, size in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def conv_tensors(x_shape, w_shape, spec: ConvSpec, *, backward: bool = False) -> dict[str, int]:
    """Element count of every tensor a convolution (or its backward) makes: inputs, padded
    input, output, and for the backward dY, dY with zeros inserted and padded, gradients."""
    n, cin, h, wd = x_shape
    cout = w_shape[0]
    hp, wp = spec.padded_size((h, wd))
    oh, ow = spec.output_size((h, wd))
    sh, sw = spec.span
    # the OpenCL kernels read whole blocks of ROW_BLOCK outputs, s apart, along each padded row
    wp_read = max(wp, (-(-ow // ROW_BLOCK) * ROW_BLOCK - 1) * spec.stride[1] + sw)
    t = {"x": prod(x_shape), "w": prod(w_shape), "b": cout, "the padded input": n * cin * hp * wp_read,
         "y": n * cout * oh * ow}
    if backward:
        t.update({"dy": n * cout * oh * ow,
                  "dy with zeros inserted": n * cout * (hp + sh - 1) * (wp + sw - 1 + ROW_BLOCK),
                  "the padded dx": n * cin * hp * wp, "dx": prod(x_shape), "dw": prod(w_shape), "db": cout})
    return t


def pool_tensors(x_shape, spec: "PoolSpec", *, backward: bool = False) -> dict[str, int]:
    """Element count of every tensor a pooling (or its backward) makes."""
    n, c, h, w = x_shape
    (ph, pw), (oh, ow) = spec.padding, spec.output_size((h, w))
    padded = n * c * (h + 2 * ph) * (w + 2 * pw)
    t = {"x": prod(x_shape), "the padded input": padded, "y": n * c * oh * ow, "argmax": n * c * oh * ow}
    if backward:
        t.update({"dy": n * c * oh * ow, "the padded dx": padded, "dx": prod(x_shape)})
    return t


def activation_tensors(shape, *, backward: bool = False) -> dict[str, int]:
    size = prod(shape)
    return {"z": size, "da": size, "dz": size} if backward else {"z": size, "a": size}


def working_bytes(tensors: dict[str, int]) -> int:
    """Bytes the tensors take together, four per element (float32, int32 indices)."""
    return 4 * sum(tensors.values())


def check_size(tensors: dict[str, int], what: str, hint: str) -> None:
    """Every tensor under 2**31 elements and all of them within :func:`max_bytes`, checked
    on the shapes alone, before anything is allocated."""
    need = format_bytes(working_bytes(tensors))
    for name, count in tensors.items():
        if count >= INT32_LIMIT:
            raise ValueError(f"{what} would make {name} with {count:,} elements, needing {need} of working "
                             f"memory; convviz's OpenCL kernels index with 32-bit integers, so every tensor "
                             f"must have fewer than 2**31 = {INT32_LIMIT:,} elements; {hint}")
    cap = max_bytes()
    if working_bytes(tensors) > cap:
        raise ValueError(f"{what} needs {need} of working memory, more than convviz's limit of "
                         f"{format_bytes(cap)}; {hint} (or raise CONVVIZ_MAX_BYTES)")


def real_array(a, name: str) -> np.ndarray:
    """``a`` as a numpy array of real numbers, not yet converted (no copy of an ndarray)."""
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError):      # ragged nested lists
        raise ValueError(f"{name} must be an array of real numbers with a regular shape; "
                         f"got {type(a).__name__}") from None
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} is complex; convviz works on real numbers: pass {name}.real or abs({name})")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be an array of real numbers; got {type(a).__name__} of {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape}): every dimension must be at least 1")
    return arr


def to_float32(arr: np.ndarray, name: str, *, finite: bool = True) -> np.ndarray:
    """A C-contiguous float32 copy (or ``arr`` itself); reject NaN, Inf and values float32 cannot hold."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(arr, dtype=np.float32)
    if finite and not np.isfinite(out).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
        if np.isfinite(arr[bad]):
            raise ValueError(f"{name}{list(bad)} = {float(arr[bad]):.3g} overflows float32 (whose largest "
                             f"value is {FLOAT32_MAX:.3g}); scale {name} down before computing")
        raise ValueError(f"{name} contains NaN or Inf (first at index {bad}); "
                         f"replace non-finite values before computing")
    return out


def _four_d(arr: np.ndarray, name: str, layout: str, hint: str) -> None:
    if arr.ndim != 4:
        raise ValueError(f"{name} must be a 4-D array {layout}; got shape {arr.shape}. {hint}")


def check_conv(x, w, b, spec_args: dict, *, backward: bool = False
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, ConvSpec]:
    """Validate a convolution call (or its backward) on the shapes, then convert:
    returns float32 arrays and the ConvSpec."""
    x = real_array(x, "x")
    w = real_array(w, "w")
    _four_d(x, "x", "(N, C, H, W)", "For one image of shape (H, W) pass x[None, None].")
    _four_d(w, "w", "(Cout, Cin/groups, kh, kw)", "For one 2-D kernel k pass k[None, None].")
    spec = make_conv_spec(w.shape[2:], **spec_args)
    n, cin, h, wd = x.shape
    cout, cin_g = w.shape[:2]
    g = spec.groups
    both = [d for d in range(1, min(cin, cout) + 1) if cin % d == 0 and cout % d == 0]
    if cin % g:
        raise ValueError(f"groups={g} must divide the input channels, but x has {cin}; "
                         f"choose groups among {both} (they divide both the {cin} input channels "
                         f"and the {cout} filters)")
    if cout % g:
        raise ValueError(f"groups={g} must divide the output channels, but w has {cout} filters; "
                         f"use a multiple of {g} filters, or choose groups among {both}")
    if cin_g * g != cin:
        raise ValueError(f"x has {cin} channels but w expects {cin_g} per group × {g} group(s) = {cin_g * g}; "
                         f"make w of shape ({cout}, {cin // g}, {w.shape[2]}, {w.shape[3]}) or change x")
    if b is not None:
        b = real_array(b, "b")
        if b.shape != (cout,):
            raise ValueError(f"b must have one value per output channel, shape ({cout},); got {b.shape}")
    check_padding_fits(spec, (h, wd))
    check_size(conv_tensors(x.shape, w.shape, spec, backward=backward),
               "the backward pass of this convolution" if backward else "this convolution",
               "use a smaller input, less padding or a smaller stride")
    return to_float32(x, "x"), to_float32(w, "w"), None if b is None else to_float32(b, "b"), spec


def check_padding_fits(spec: ConvSpec, hw: tuple[int, int]) -> None:
    t, bt, l, r = spec.padding
    for axis, size, (pb, pa) in (("tall", hw[0], (t, bt)), ("wide", hw[1], (l, r))):
        p = max(pb, pa)
        if spec.padding_mode == "reflect" and p >= size:
            raise ValueError(f"reflect padding of {p} px needs the input to be more than {p} px {axis}, "
                             f"but it is {size} px; use less padding or padding_mode='replicate'")
        if spec.padding_mode == "circular" and p > size:
            raise ValueError(f"circular padding of {p} px wraps around more than once: the input is only "
                             f"{size} px {axis}; use at most {size} px or padding_mode='replicate'")
    ph, pw = spec.padded_size(hw)
    for axis, padded, span, k, d in (("tall", ph, spec.span[0], spec.kernel[0], spec.dilation[0]),
                                     ("wide", pw, spec.span[1], spec.kernel[1], spec.dilation[1])):
        if span > padded:
            with_d = f" with dilation {d}" if d > 1 else ""
            raise ValueError(f"the kernel spans {span} px{with_d} ({k} taps) but the padded input is only "
                             f"{padded} px {axis}: add {span - padded} px of padding, reduce the dilation, "
                             f"or use a smaller kernel")


def check_dy(dy, expected: tuple[int, ...], what: str = "y", name: str = "dy") -> np.ndarray:
    """The upstream gradient: the shape of ``what`` (checked before converting), float32."""
    dy = real_array(dy, name)
    if dy.shape != tuple(expected):
        raise ValueError(f"{name} must have the shape of {what}, {tuple(expected)}; got {dy.shape}")
    return to_float32(dy, name)


def check_activation_input(z, *, backward: bool = False) -> np.ndarray:
    """z for an activation (any shape), its size checked before converting."""
    z = real_array(z, "z")
    check_size(activation_tensors(z.shape, backward=backward),
               "the backward pass of this activation" if backward else "this activation", "use a smaller input")
    return to_float32(z, "z")


def check_pool(x, kernel_size, stride, padding, *, backward: bool = False) -> tuple[np.ndarray, PoolSpec]:
    """Validate a pooling call (or its backward) on the shapes, then convert x to float32."""
    x = real_array(x, "x")
    _four_d(x, "x", "(N, C, H, W)", "For one image of shape (H, W) pass x[None, None].")
    k = as_pair(kernel_size, "kernel_size")
    s = k if stride is None else as_pair(stride, "stride")
    p = as_pair(padding, "padding")
    if min(k) < 1:
        raise ValueError(f"the pool window must be at least 1×1; got {k}")
    if min(s) < 1:
        raise ValueError(f"pool stride must be at least 1; got {s}")
    if min(p) < 0:
        raise ValueError(f"pool padding must not be negative; got {p}")
    for name, values in (("pool window", k), ("pool stride", s), ("pool padding", p)):
        _check_int32(name, values)
    for pi, ki in zip(p, k):
        if pi > ki // 2:
            raise ValueError(f"pool padding must be at most half the window: a {ki}-wide window allows "
                             f"padding ≤ {ki // 2}, got {pi}")
    spec = PoolSpec(k, s, p)
    oh, ow = spec.output_size(x.shape[2:])
    if oh < 1 or ow < 1:
        raise ValueError(f"the {k[0]}×{k[1]} pool window does not fit in the {x.shape[2]}×{x.shape[3]} input "
                         f"(padding {p[0]}×{p[1]}): use a smaller window or a larger input")
    check_size(pool_tensors(x.shape, spec, backward=backward),
               "the backward pass of this pooling" if backward else "this pooling", "use a smaller input")
    return to_float32(x, "x"), spec

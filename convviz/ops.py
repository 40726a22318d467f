"""The public, numpy-in / numpy-out API of convviz. Semantics are PyTorch's.

Tensors are NCHW; weights are (Cout, Cin/groups, kh, kw). ``padding`` is an int, a pair
(height, width), ``((top, bottom), (left, right))``, ``"valid"`` or ``"same"`` (stride 1
only; an odd total goes one extra after). ``padding_mode`` is zeros, reflect, replicate
or circular. ``backend`` is ``"opencl"``, ``"numpy"`` or None (OpenCL when a device
works, else numpy with one logged warning; ``CONVVIZ_BACKEND`` overrides). Inputs may be
float64 or integer; outputs are float32. Anything PyTorch would reject raises a
ValueError that says what to change.

>>> import numpy as np
>>> from convviz import ops
>>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
>>> w = np.ones((1, 1, 3, 3), np.float32)
>>> ops.conv2d(x, w, padding=1).shape
(1, 1, 4, 4)
"""
from __future__ import annotations

import numpy as np

from .compute import call
from .core.activations import check_activation, check_slope, DEFAULT_SLOPE
from .core.spec import check_activation_input, check_conv, check_dy, check_pool

__all__ = ["conv2d", "conv2d_backward", "avg_pool2d", "avg_pool2d_backward", "max_pool2d",
           "max_pool2d_backward", "activation", "activation_backward"]


def _spec_args(stride, padding, dilation, groups, padding_mode) -> dict:
    return dict(stride=stride, padding=padding, dilation=dilation, groups=groups, padding_mode=padding_mode)


def conv2d(x, w, b=None, *, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
           backend=None) -> np.ndarray:
    """y = x ⋆ w + b (cross-correlation, as torch.nn.functional.conv2d). Returns (N, Cout, OH, OW)."""
    x, w, b, spec = check_conv(x, w, b, _spec_args(stride, padding, dilation, groups, padding_mode))
    return call(backend, "conv2d", x, w, b, spec)


def conv2d_backward(x, w, dy, *, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
                    backend=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dw, db) for upstream gradient dy of shape (N, Cout, OH, OW)."""
    x, w, _, spec = check_conv(x, w, None, _spec_args(stride, padding, dilation, groups, padding_mode),
                               backward=True)
    dy = check_dy(dy, (x.shape[0], w.shape[0]) + spec.output_size(x.shape[2:]), "the output y (N, Cout, OH, OW)")
    return call(backend, "conv2d_backward", x, w, dy, spec)


def avg_pool2d(x, kernel_size, *, stride=None, padding=0, backend=None) -> np.ndarray:
    """Average pooling; padded cells count (count_include_pad=True). stride defaults to kernel_size."""
    x, spec = check_pool(x, kernel_size, stride, padding)
    return call(backend, "avg_pool2d", x, spec)


def avg_pool2d_backward(x, dy, kernel_size, *, stride=None, padding=0, backend=None) -> np.ndarray:
    """dx: each dy cell spreads evenly over its window; overlapping windows add."""
    x, spec = check_pool(x, kernel_size, stride, padding, backward=True)
    dy = check_dy(dy, x.shape[:2] + spec.output_size(x.shape[2:]), "the pooled output")
    return call(backend, "avg_pool2d_backward", x.shape, dy, spec)


def max_pool2d(x, kernel_size, *, stride=None, padding=0, backend=None) -> np.ndarray:
    """Max pooling; stride defaults to kernel_size."""
    x, spec = check_pool(x, kernel_size, stride, padding)
    return call(backend, "max_pool2d", x, spec)[0]


def max_pool2d_backward(x, dy, kernel_size, *, stride=None, padding=0, backend=None) -> np.ndarray:
    """dx: each dy cell goes wholly to its window's first maximum (row-major); overlaps add."""
    x, spec = check_pool(x, kernel_size, stride, padding, backward=True)
    dy = check_dy(dy, x.shape[:2] + spec.output_size(x.shape[2:]), "the pooled output")
    return call(backend, "max_pool2d_backward", x, dy, spec)


def activation(z, name: str = "relu", *, slope: float = DEFAULT_SLOPE, backend=None) -> np.ndarray:
    """σ(z) for identity, relu, leaky_relu (negative slope ``slope``), sigmoid, tanh."""
    name, slope = check_activation(name), check_slope(slope)
    z = check_activation_input(z)
    return call(backend, "activation", z, name, slope)


def activation_backward(z, da, name: str = "relu", *, slope: float = DEFAULT_SLOPE, backend=None) -> np.ndarray:
    """dz = da ⊙ σ′(z)."""
    name, slope = check_activation(name), check_slope(slope)
    z = check_activation_input(z, backward=True)
    da = check_dy(da, z.shape, "z", name="da")
    return call(backend, "activation_backward", z, da, name, slope)

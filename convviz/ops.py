"""The public, numpy-in / numpy-out API of convviz. Semantics are PyTorch's.

Tensors are NCHW; weights are (Cout, Cin/groups, kh, kw). ``padding`` is an int, a pair
(height, width), ``((top, bottom), (left, right))``, ``"valid"`` or ``"same"`` (stride 1
only; an odd total goes one extra after). ``padding_mode`` is zeros, reflect, replicate
or circular. ``backend`` is ``"opencl"``, ``"numpy"`` or None (OpenCL when a device
works, else numpy with one logged warning; ``CONVVIZ_BACKEND`` overrides). Inputs may be
float64 or integer; outputs are float32. Anything PyTorch would reject, and anything too
big (a size past 2**31 or more working memory than ``CONVVIZ_MAX_BYTES``, 2 GiB by
default), raises a ValueError that says what to change, before anything is computed.
The full page, with every function: docs/API.md.

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
    """y = x ⋆ w + b: 2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    y[n, q, i, j] = b[q] + Σ_c Σ_m Σ_l x_pad[n, g·Cin_g + c, s0·i + d0·m, s1·j + d1·l] · w[q, c, m, l],
    where g = q // (Cout/groups) is the group of output channel q.

    Args:
        x: input, array-like of real numbers (float64 and integers are converted).
        w: weights; w[q] is the kernel of output channel q.
        b: bias, one value per output channel, or None for no bias.
        stride: s, an int or a pair (height, width), at least 1.
        padding: an int, a pair (height, width), ``((top, bottom), (left, right))``,
            ``"valid"`` (no padding) or ``"same"`` (output the size of the input; stride 1
            only; an odd total goes one extra to the bottom / right).
        dilation: d, the spacing between kernel taps, an int or a pair, at least 1.
        groups: input and output channels are split into this many groups, each
            convolved on its own; must divide Cin and Cout.
        padding_mode: ``"zeros"``, ``"reflect"`` (mirror without repeating the edge),
            ``"replicate"`` (repeat the edge) or ``"circular"`` (wrap around).
        backend: ``"opencl"``, ``"numpy"`` or None (automatic).

    Shape:
        - x: (N, Cin, H_in, W_in); w: (Cout, Cin/groups, kH, kW); b: (Cout,)
        - y: (N, Cout, H_out, W_out), where

          H_out = ⌊(H_in + p_top + p_bottom − d[0]·(kH − 1) − 1) / s[0]⌋ + 1
          W_out = ⌊(W_in + p_left + p_right − d[1]·(kW − 1) − 1) / s[1]⌋ + 1

    Returns:
        y, a float32 numpy array.

    Raises:
        ValueError: a configuration PyTorch rejects (x or w not 4-D, channels that do not
            match, groups that do not divide them, stride or dilation below 1, negative
            padding, ``"same"`` with a stride, a kernel wider than the padded input, reflect
            padding as wide as the input, circular padding wider than it); NaN, Inf, values
            past float32, complex or empty input; a size past 2**31 elements or more working
            memory than ``CONVVIZ_MAX_BYTES``. The message says what to change.
        OpenCLError: ``backend="opencl"`` and OpenCL cannot compute it (a RuntimeError).

    Example:
        A 2×2 kernel of ones with stride 2 sums each 2×2 block; H_out = ⌊(4 − 1 − 1)/2⌋ + 1 = 2:

        >>> x = np.arange(16).reshape(1, 1, 4, 4)     # rows 0..3, 4..7, 8..11, 12..15
        >>> ops.conv2d(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0].tolist()
        [[10.0, 18.0], [42.0, 50.0]]
        >>> ops.conv2d(x, np.ones((1, 1, 2, 2)), b=[1], stride=2)[0, 0].tolist()
        [[11.0, 19.0], [43.0, 51.0]]
        >>> ops.conv2d(x, np.ones((1, 1, 3, 3)), padding=1).shape
        (1, 1, 4, 4)
    """
    x, w, b, spec = check_conv(x, w, b, _spec_args(stride, padding, dilation, groups, padding_mode))
    return call(backend, "conv2d", x, w, b, spec)


def conv2d_backward(x, w, dy, *, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
                    backend=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients (dx, dw, db) of :func:`conv2d` for an upstream gradient dy = ∂L/∂y.

    dw[q, c, m, l] = Σ_n Σ_i Σ_j dy[n, q, i, j] · x_pad[n, g·Cin_g + c, s0·i + d0·m, s1·j + d1·l];
    db[q] = Σ dy[:, q]; dx is the correlation of dy, with s − 1 zeros inserted between its
    cells, with the kernel rotated 180°; each padded cell's share goes back to the cell it
    copies (nowhere for zeros padding). Rows and columns the stride never reaches get 0.

    Args:
        x, w: the forward input and weights, as for :func:`conv2d`.
        dy: the gradient of the loss with respect to y.
        stride, padding, dilation, groups, padding_mode: as for :func:`conv2d`.
        backend: ``"opencl"``, ``"numpy"`` or None (automatic).

    Shape:
        - x: (N, Cin, H_in, W_in); w: (Cout, Cin/groups, kH, kW)
        - dy: (N, Cout, H_out, W_out), H_out and W_out as for :func:`conv2d`:
          H_out = ⌊(H_in + p_top + p_bottom − d[0]·(kH − 1) − 1) / s[0]⌋ + 1
        - dx: the shape of x; dw: the shape of w; db: (Cout,)

    Returns:
        (dx, dw, db), float32 numpy arrays.

    Raises:
        ValueError: everything :func:`conv2d` rejects; dy of another shape than y, or with
            NaN, Inf or values past float32; the backward's working memory (x, the padded
            input, y, dy with zeros inserted, the gradients) past ``CONVVIZ_MAX_BYTES``.
        OpenCLError: ``backend="opencl"`` and OpenCL cannot compute it (a RuntimeError).

    Example:
        dy of ones: dw[m, l] sums the 2×2 block of x at (m, l); dx adds up one stamp of w
        per output cell; db counts the output cells:

        >>> x = np.arange(9).reshape(1, 1, 3, 3)      # rows 0 1 2, 3 4 5, 6 7 8
        >>> w = np.array([[[[1, 2], [3, 4]]]])
        >>> dx, dw, db = ops.conv2d_backward(x, w, np.ones((1, 1, 2, 2)))
        >>> dx[0, 0].tolist()
        [[1.0, 3.0, 2.0], [4.0, 10.0, 6.0], [3.0, 7.0, 4.0]]
        >>> dw[0, 0].tolist(), db.tolist()
        ([[8.0, 12.0], [20.0, 24.0]], [4.0])
    """
    x, w, _, spec = check_conv(x, w, None, _spec_args(stride, padding, dilation, groups, padding_mode),
                               backward=True)
    dy = check_dy(dy, (x.shape[0], w.shape[0]) + spec.output_size(x.shape[2:]), "the output y (N, Cout, OH, OW)")
    return call(backend, "conv2d_backward", x, w, dy, spec)


def avg_pool2d(x, kernel_size, *, stride=None, padding=0, backend=None) -> np.ndarray:
    """The mean of each window, as ``torch.nn.functional.avg_pool2d``.

    Padded cells count as zeros in the mean (PyTorch's ``count_include_pad=True``), so
    every window divides by kH·kW.

    Args:
        x: input, array-like of real numbers.
        kernel_size: the window k, an int or a pair (height, width), at least 1.
        stride: s, an int or a pair; None (the default) means kernel_size.
        padding: p, an int or a pair, at most half the window on each axis.
        backend: ``"opencl"``, ``"numpy"`` or None (automatic).

    Shape:
        - x: (N, C, H_in, W_in)
        - y: (N, C, H_out, W_out), where

          H_out = ⌊(H_in + 2·p[0] − k[0]) / s[0]⌋ + 1
          W_out = ⌊(W_in + 2·p[1] − k[1]) / s[1]⌋ + 1

    Returns:
        y, a float32 numpy array.

    Raises:
        ValueError: x not 4-D; a window below 1×1, stride below 1, negative padding or
            padding past half the window; a window that does not fit the padded input;
            NaN, Inf, values past float32, complex or empty input; a size past 2**31
            elements or more working memory than ``CONVVIZ_MAX_BYTES``.
        OpenCLError: ``backend="opencl"`` and OpenCL cannot compute it (a RuntimeError).

    Example:
        >>> x = np.arange(16).reshape(1, 1, 4, 4)     # rows 0..3, 4..7, 8..11, 12..15
        >>> ops.avg_pool2d(x, 2)[0, 0].tolist()       # (0 + 1 + 4 + 5) / 4 = 2.5, ...
        [[2.5, 4.5], [10.5, 12.5]]

        Padding counts: a 3×3 window over a 2×2 input of nines holds four nines, 36 / 9 = 4:

        >>> ops.avg_pool2d(np.full((1, 1, 2, 2), 9), 3, stride=1, padding=1)[0, 0].tolist()
        [[4.0, 4.0], [4.0, 4.0]]
    """
    x, spec = check_pool(x, kernel_size, stride, padding)
    return call(backend, "avg_pool2d", x, spec)


def avg_pool2d_backward(x, dy, kernel_size, *, stride=None, padding=0, backend=None) -> np.ndarray:
    """dx for :func:`avg_pool2d`: each dy cell spreads 1/(kH·kW) of itself over its window.

    Overlapping windows add; the share that falls on padding is dropped.

    Args:
        x: the forward input (its shape is what matters).
        dy: the gradient of the loss with respect to the pooled output.
        kernel_size, stride, padding: as for :func:`avg_pool2d`.
        backend: ``"opencl"``, ``"numpy"`` or None (automatic).

    Shape:
        - x: (N, C, H_in, W_in); dx: the same
        - dy: (N, C, H_out, W_out), H_out = ⌊(H_in + 2·p[0] − k[0]) / s[0]⌋ + 1 and likewise W_out

    Returns:
        dx, a float32 numpy array.

    Raises:
        ValueError: everything :func:`avg_pool2d` rejects; dy of another shape than the
            pooled output, or with NaN, Inf or values past float32.
        OpenCLError: ``backend="opencl"`` and OpenCL cannot compute it (a RuntimeError).

    Example:
        >>> dx = ops.avg_pool2d_backward(np.zeros((1, 1, 4, 4)), [[[[1, 2], [3, 4]]]], 2)
        >>> dx[0, 0].tolist()
        [[0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 1.0, 1.0], [0.75, 0.75, 1.0, 1.0]]

        Windows 2 wide, 1 apart, overlap on the middle column: 4/4 + 8/4 = 3:

        >>> ops.avg_pool2d_backward(np.zeros((1, 1, 2, 3)), [[[[4, 8]]]], 2, stride=1)[0, 0].tolist()
        [[1.0, 3.0, 2.0], [1.0, 3.0, 2.0]]
    """
    x, spec = check_pool(x, kernel_size, stride, padding, backward=True)
    dy = check_dy(dy, x.shape[:2] + spec.output_size(x.shape[2:]), "the pooled output")
    return call(backend, "avg_pool2d_backward", x.shape, dy, spec)


def max_pool2d(x, kernel_size, *, stride=None, padding=0, backend=None) -> np.ndarray:
    """The maximum of each window, as ``torch.nn.functional.max_pool2d``.

    Padded cells are −∞: they never win.

    Args:
        x: input, array-like of real numbers.
        kernel_size: the window k, an int or a pair (height, width), at least 1.
        stride: s, an int or a pair; None (the default) means kernel_size.
        padding: p, an int or a pair, at most half the window on each axis.
        backend: ``"opencl"``, ``"numpy"`` or None (automatic).

    Shape:
        - x: (N, C, H_in, W_in)
        - y: (N, C, H_out, W_out), where

          H_out = ⌊(H_in + 2·p[0] − k[0]) / s[0]⌋ + 1
          W_out = ⌊(W_in + 2·p[1] − k[1]) / s[1]⌋ + 1

    Returns:
        y, a float32 numpy array.

    Raises:
        ValueError: as for :func:`avg_pool2d`.
        OpenCLError: ``backend="opencl"`` and OpenCL cannot compute it (a RuntimeError).

    Example:
        >>> x = np.array([[[[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 3, 3], [7, 1, 3, 6]]]])
        >>> ops.max_pool2d(x, 2)[0, 0].tolist()
        [[5.0, 8.0], [7.0, 6.0]]

        Padding is −∞, not 0: every 3×3 window covers the whole 2×2 input, whose maximum is −1:

        >>> ops.max_pool2d(-np.array([[[[1, 2], [3, 4]]]]), 3, stride=1, padding=1)[0, 0].tolist()
        [[-1.0, -1.0], [-1.0, -1.0]]
    """
    x, spec = check_pool(x, kernel_size, stride, padding)
    return call(backend, "max_pool2d", x, spec)[0]


def max_pool2d_backward(x, dy, kernel_size, *, stride=None, padding=0, backend=None) -> np.ndarray:
    """dx for :func:`max_pool2d`: each dy cell goes wholly to its window's maximum.

    Of equal maxima the first in row-major window order wins, as in PyTorch; overlapping
    windows add.

    Args:
        x: the forward input (where the maxima are).
        dy: the gradient of the loss with respect to the pooled output.
        kernel_size, stride, padding: as for :func:`max_pool2d`.
        backend: ``"opencl"``, ``"numpy"`` or None (automatic).

    Shape:
        - x: (N, C, H_in, W_in); dx: the same
        - dy: (N, C, H_out, W_out), H_out = ⌊(H_in + 2·p[0] − k[0]) / s[0]⌋ + 1 and likewise W_out

    Returns:
        dx, a float32 numpy array.

    Raises:
        ValueError: everything :func:`max_pool2d` rejects; dy of another shape than the
            pooled output, or with NaN, Inf or values past float32.
        OpenCLError: ``backend="opencl"`` and OpenCL cannot compute it (a RuntimeError).

    Example:
        Two 3s tie; the first in row-major order takes all of dy:

        >>> ops.max_pool2d_backward([[[[1, 3], [3, 0]]]], [[[[5]]]], 2)[0, 0].tolist()
        [[0.0, 5.0], [0.0, 0.0]]

        Both 1×2 windows over 1 3 2 have their maximum on the 3, which gets 1 + 2:

        >>> ops.max_pool2d_backward([[[[1, 3, 2]]]], [[[[1, 2]]]], (1, 2), stride=1)[0, 0].tolist()
        [[0.0, 3.0, 0.0]]
    """
    x, spec = check_pool(x, kernel_size, stride, padding, backward=True)
    dy = check_dy(dy, x.shape[:2] + spec.output_size(x.shape[2:]), "the pooled output")
    return call(backend, "max_pool2d_backward", x, dy, spec)


def activation(z, name: str = "relu", *, slope: float = DEFAULT_SLOPE, backend=None) -> np.ndarray:
    """a = σ(z), cell by cell.

    identity: σ(z) = z; relu: max(z, 0); leaky_relu: z if z > 0 else slope·z;
    sigmoid: 1 / (1 + e^−z); tanh: tanh z.

    Args:
        z: input, array-like of real numbers, any shape.
        name: ``"identity"``, ``"relu"``, ``"leaky_relu"``, ``"sigmoid"`` or ``"tanh"``.
        slope: leaky ReLU's negative slope (PyTorch's default 0.01); a finite number.
        backend: ``"opencl"``, ``"numpy"`` or None (automatic).

    Shape:
        - z: any shape; a: the same

    Returns:
        a, a float32 numpy array.

    Raises:
        ValueError: an unknown name; a slope that is NaN, infinite or past float32; NaN,
            Inf, values past float32, complex or empty z; a size past 2**31 elements or
            more working memory than ``CONVVIZ_MAX_BYTES``.
        OpenCLError: ``backend="opencl"`` and OpenCL cannot compute it (a RuntimeError).

    Example:
        >>> z = np.array([-2, -1, 0, 3])
        >>> ops.activation(z, "relu").tolist()
        [0.0, 0.0, 0.0, 3.0]
        >>> ops.activation(z, "leaky_relu", slope=0.5).tolist()
        [-1.0, -0.5, 0.0, 3.0]
        >>> ops.activation(np.zeros(2), "sigmoid").tolist()
        [0.5, 0.5]
    """
    name, slope = check_activation(name), check_slope(slope)
    z = check_activation_input(z)
    return call(backend, "activation", z, name, slope)


def activation_backward(z, da, name: str = "relu", *, slope: float = DEFAULT_SLOPE, backend=None) -> np.ndarray:
    """dz = da ⊙ σ′(z): the upstream gradient through the activation's gate.

    identity: σ′ = 1; relu: 1 if z > 0 else 0 (0 at z = 0, as in PyTorch); leaky_relu:
    1 if z > 0 else slope; sigmoid: σ(z)·(1 − σ(z)); tanh: 1 − tanh² z.

    Args:
        z: the activation's input.
        da: the gradient of the loss with respect to a = σ(z).
        name, slope: as for :func:`activation`.
        backend: ``"opencl"``, ``"numpy"`` or None (automatic).

    Shape:
        - z: any shape; da and dz: the same

    Returns:
        dz, a float32 numpy array.

    Raises:
        ValueError: everything :func:`activation` rejects; da of another shape than z, or
            with NaN, Inf or values past float32.
        OpenCLError: ``backend="opencl"`` and OpenCL cannot compute it (a RuntimeError).

    Example:
        >>> z, da = np.array([-2, -1, 0, 3]), np.array([1, 2, 3, 4])
        >>> ops.activation_backward(z, da, "relu").tolist()
        [0.0, 0.0, 0.0, 4.0]
        >>> ops.activation_backward(z, da, "leaky_relu", slope=0.5).tolist()
        [0.5, 1.0, 1.5, 4.0]
        >>> ops.activation_backward(np.zeros(2), np.ones(2), "sigmoid").tolist()    # ½·(1 − ½)
        [0.25, 0.25]
    """
    name, slope = check_activation(name), check_slope(slope)
    z = check_activation_input(z, backward=True)
    da = check_dy(da, z.shape, "z", name="da")
    return call(backend, "activation_backward", z, da, name, slope)

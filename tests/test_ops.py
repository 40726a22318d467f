"""The public API: semantics at the edges, every rejected input, backend choice."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from convviz import compute, ops



def test_same_padding_with_even_kernel_pads_one_more_after(backend):
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    w = np.zeros((1, 1, 2, 2), np.float32)
    w[0, 0, 0, 0] = 1.0                       # picks the top-left cell of each window
    y = ops.conv2d(x, w, padding="same", backend=backend)
    assert y.shape == x.shape
    np.testing.assert_array_equal(y, x)       # total 1: 0 before, 1 after


def test_rows_the_stride_never_reaches_get_zero_gradient(backend):
    x = np.ones((1, 1, 6, 6), np.float32)
    w = np.ones((1, 1, 3, 3), np.float32)
    dx, dw, db = ops.conv2d_backward(x, w, np.ones((1, 1, 2, 2), np.float32), stride=2, backend=backend)
    assert dx.shape == x.shape
    assert (dx[0, 0, 5, :] == 0).all() and (dx[0, 0, :, 5] == 0).all()
    assert dx[0, 0, 2, 2] == 4.0              # the overlap of all four windows
    assert db.tolist() == [4.0]


def test_max_pool_gradient_goes_to_first_maximum(backend):
    x = np.array([[[[1, 3], [3, 0]]]], np.float32)
    dx = ops.max_pool2d_backward(x, np.array([[[[5.0]]]]), 2, backend=backend)
    np.testing.assert_array_equal(dx[0, 0], [[0, 5], [0, 0]])


def test_average_pool_counts_padding(backend):
    x = np.ones((1, 1, 2, 2), np.float32)
    y = ops.avg_pool2d(x, 3, stride=1, padding=1, backend=backend)
    np.testing.assert_allclose(y[0, 0], [[4 / 9, 4 / 9], [4 / 9, 4 / 9]], rtol=1e-6)


def test_seed_002_average_pooling_spreads_a_quarter(backend):
    dz = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)
    dy = ops.avg_pool2d_backward(np.zeros((1, 1, 4, 4)), dz, 2, backend=backend)
    np.testing.assert_array_equal(dy[0, 0], 0.25 * np.kron(dz[0, 0], np.ones((2, 2))))


def test_integer_and_float64_inputs_are_converted(backend):
    x = np.arange(16).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 2, 2), np.float64)
    y = ops.conv2d(x, w, backend=backend)
    assert y.dtype == np.float32 and y[0, 0, 0, 0] == 0 + 1 + 4 + 5


def test_activation_api(backend):
    z = np.array([[[[-1.0, 0.0, 2.0]]]])
    np.testing.assert_array_equal(ops.activation(z, "relu", backend=backend), [[[[0, 0, 2]]]])
    np.testing.assert_allclose(ops.activation_backward(z, np.ones_like(z), "leaky_relu", backend=backend),
                               [[[[0.01, 0.01, 1]]]], rtol=1e-6)


BAD_CONV = [
    (dict(x=np.ones((3, 8, 8))), "4-D"),
    (dict(w=np.ones((3, 3))), "4-D"),
    (dict(x=np.ones((1, 3, 8, 8))), "channels"),
    (dict(x=np.ones((1, 2, 8, 8)), w=np.ones((3, 1, 3, 3)), groups=2), "output channels"),
    (dict(x=np.ones((1, 3, 8, 8)), w=np.ones((2, 1, 3, 3)), groups=2), "input channels"),
    (dict(x=np.ones((1, 1, 6, 6)), dilation=3), "spans 7 px with dilation 3"),
    (dict(x=np.ones((1, 1, 2, 2))), "add 1 px of padding"),
    (dict(stride=0), "stride must be at least 1"),
    (dict(dilation=0), "dilation must be at least 1"),
    (dict(padding=-1), "must not be negative"),
    (dict(padding="same", stride=2), "'same' needs stride 1"),
    (dict(padding="full"), "'same' or 'valid'"),
    (dict(x=np.ones((1, 1, 3, 3)), padding=3, padding_mode="reflect"), "reflect padding of 3 px"),
    (dict(x=np.ones((1, 1, 3, 3)), padding=4, padding_mode="circular"), "wraps around"),
    (dict(padding_mode="mirror"), "unknown padding_mode"),
    (dict(x=np.ones((1, 1, 0, 8))), "empty"),
    (dict(x=np.full((1, 1, 8, 8), np.nan)), "NaN or Inf"),
    (dict(w=np.full((1, 1, 3, 3), np.inf)), "NaN or Inf"),
    (dict(b=np.ones(3)), "one value per output channel"),
    (dict(groups=0), "groups must be at least 1"),
    (dict(x=np.array([["a"]])), "real numbers"),
    (dict(x=np.ones((1, 1, 8, 8)) + 1j), "x is complex; convviz works on real numbers"),
    (dict(b=np.array([1 + 2j])), "b is complex"),
    (dict(x=np.full((1, 1, 8, 8), 1e300)), r"x[0, 0, 0, 0] = 1e+300 overflows float32"),
    (dict(w=np.array([[[[1, 2, 3], [4, -1e39, 6], [7, 8, 9]]]])), r"w[0, 0, 1, 1] = -1e+39 overflows float32"),
]


@pytest.mark.parametrize("change,message", BAD_CONV, ids=[m for _, m in BAD_CONV])
def test_conv2d_rejects_bad_input_with_a_clear_message(change, message):
    args = dict(x=np.ones((1, 1, 8, 8)), w=np.ones((1, 1, 3, 3)), b=None)
    args.update(change)
    x, w, b = args.pop("x"), args.pop("w"), args.pop("b")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("+", r"\+")):
        ops.conv2d(x, w, b, backend="numpy", **args)


def test_backward_checks_dy_shape_and_values():
    x, w = np.ones((1, 1, 8, 8)), np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"dy must have the shape .*\(1, 1, 6, 6\)"):
        ops.conv2d_backward(x, w, np.ones((1, 1, 5, 5)), backend="numpy")
    with pytest.raises(ValueError, match="NaN"):
        ops.conv2d_backward(x, w, np.full((1, 1, 6, 6), np.nan), backend="numpy")


def test_overflow_and_nan_are_told_apart_in_dy():
    x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
    dy = np.array([[[[0.0, 1e300], [np.nan, 0.0]]]])
    with pytest.raises(ValueError, match=r"dy\[0, 0, 0, 1\] = 1e\+300 overflows float32"):
        ops.conv2d_backward(x, w, dy, backend="numpy")
    dy = np.array([[[[0.0, np.inf], [1e300, 0.0]]]])
    with pytest.raises(ValueError, match=r"dy contains NaN or Inf \(first at index \(0, 0, 0, 1\)\)"):
        ops.conv2d_backward(x, w, dy, backend="numpy")


@pytest.mark.parametrize("slope", [float("nan"), float("inf"), -float("inf"), 1e300, "steep"])
def test_leaky_relu_slope_must_be_finite(backend, slope):
    z = np.array([[[[-1.0, 2.0]]]])
    with pytest.raises(ValueError, match="slope must be"):
        ops.activation(z, "leaky_relu", slope=slope, backend=backend)
    with pytest.raises(ValueError, match="slope must be"):
        ops.activation_backward(z, np.ones_like(z), "leaky_relu", slope=slope, backend=backend)


def test_every_output_is_float32(backend):
    """float64 and integer inputs in, float32 out, for every public operation."""
    x = np.arange(36, dtype=np.float64).reshape(1, 1, 6, 6) / 7
    w = np.ones((2, 1, 3, 3), np.int64)
    dy = np.ones((1, 2, 6, 6))
    outputs = {
        "conv2d": [ops.conv2d(x, w, np.ones(2), padding=1, backend=backend)],
        "conv2d_backward": list(ops.conv2d_backward(x, w, dy, padding=1, padding_mode="reflect", backend=backend)),
        "avg_pool2d": [ops.avg_pool2d(x, 2, backend=backend)],
        "avg_pool2d_backward": [ops.avg_pool2d_backward(x, np.ones((1, 1, 3, 3)), 2, backend=backend)],
        "max_pool2d": [ops.max_pool2d(x, 2, backend=backend)],
        "max_pool2d_backward": [ops.max_pool2d_backward(x, np.ones((1, 1, 3, 3)), 2, backend=backend)],
        "activation": [ops.activation(x, "sigmoid", backend=backend)],
        "activation_backward": [ops.activation_backward(x, x, "tanh", backend=backend)],
    }
    assert sorted(outputs) == sorted(ops.__all__)
    for name, arrays in outputs.items():
        for a in arrays:
            assert a.dtype == np.float32, name


def test_every_reference_operation_returns_float32():
    """The numpy backend itself: float32 in, float32 out (float64 only for float64 input)."""
    from convviz.core import reference as ref
    from convviz.core.spec import PoolSpec, make_conv_spec

    x = np.arange(50, dtype=np.float32).reshape(1, 2, 5, 5) / 9
    w = np.ones((2, 1, 3, 3), np.float32)
    spec = make_conv_spec((3, 3), padding=1, stride=2, groups=2, padding_mode="circular")
    pool = PoolSpec((2, 2), (1, 1), (1, 1))
    dy = np.ones((1, 2, 3, 3), np.float32)
    xp = ref.pad(x, spec)
    cols = ref.im2col(x, spec)
    calls = {
        "pad": lambda: ref.pad(x, spec),
        "pad_backward": lambda: ref.pad_backward(xp, spec, (5, 5)),
        "insert_zeros": lambda: ref.insert_zeros(x, (2, 2)),
        "dilate_kernel": lambda: ref.dilate_kernel(w, (2, 2)),
        "pad_or_crop": lambda: ref.pad_or_crop(x, (1, -1, 2, 0)),
        "flip_kernel": lambda: ref.flip_kernel(w, 2),
        "conv2d": lambda: ref.conv2d(x, w, np.ones(2, np.float32), spec),
        "conv2d_backward": lambda: ref.conv2d_backward(x, w, dy, spec),
        "conv2d_dx_gather": lambda: ref.conv2d_dx_gather(dy, w, spec, (5, 5)),
        "conv2d_dx_scatter": lambda: ref.conv2d_dx_scatter(dy, w, spec, (5, 5)),
        "im2col": lambda: cols,
        "col2im": lambda: ref.col2im(cols, spec, x.shape),
        "matmul": lambda: ref.matmul(cols.transpose(0, 2, 1), cols),
        "avg_pool2d": lambda: ref.avg_pool2d(x, pool),
        "avg_pool2d_backward": lambda: ref.avg_pool2d_backward(x.shape, np.ones((1, 2, 6, 6), np.float32), pool),
        "max_pool2d": lambda: ref.max_pool2d(x, pool)[0],
        "max_pool2d_backward": lambda: ref.max_pool2d_backward(x, np.ones((1, 2, 6, 6), np.float32), pool),
        "activation": lambda: ref.activation(x, "leaky_relu"),
        "activation_backward": lambda: ref.activation_backward(x, x, "sigmoid"),
    }
    assert sorted(calls) == sorted(set(ref.__all__) - {"pad_index", "gather_pads"})
    for name, call in calls.items():
        out = call()
        for a in out if isinstance(out, tuple) else (out,):
            assert a.dtype == np.float32, name


@pytest.mark.parametrize("kwargs,message", [
    (dict(kernel_size=0), "at least 1×1"),
    (dict(kernel_size=2, stride=0), "stride must be at least 1"),
    (dict(kernel_size=2, padding=2), "at most half the window"),
    (dict(kernel_size=9), "does not fit"),
])
def test_pooling_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.max_pool2d(np.ones((1, 1, 4, 4)), backend="numpy", **kwargs)


def test_unknown_backend_and_activation():
    with pytest.raises(ValueError, match="backend must be"):
        ops.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 1, 1)), backend="cuda")
    with pytest.raises(ValueError, match="unknown activation"):
        ops.activation(np.ones((1, 1, 2, 2)), "gelu")


def test_environment_variable_picks_the_backend(monkeypatch):
    monkeypatch.setenv("CONVVIZ_BACKEND", "numpy")
    assert compute.get_backend() is compute.reference


def test_fallback_to_numpy_logs_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(compute, "_engine", None)
    monkeypatch.setattr(compute, "_engine_error", "no OpenCL device (test)")
    monkeypatch.setattr(compute, "_warned", set())
    monkeypatch.delenv("CONVVIZ_BACKEND", raising=False)
    with caplog.at_level(logging.WARNING, logger="convviz"):
        for _ in range(3):
            y = ops.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)))
    assert y[0, 0, 0, 0] == 9
    warnings = [r for r in caplog.records if "no OpenCL device (test)" in r.getMessage()]
    assert len(warnings) == 1
    with pytest.raises(RuntimeError, match="no OpenCL device"):
        ops.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), backend="opencl")


def test_a_failing_kernel_falls_back(cl_engine, monkeypatch, caplog):
    monkeypatch.setattr(compute, "_warned", set())
    monkeypatch.delenv("CONVVIZ_BACKEND", raising=False)

    def broken(*args, **kwargs):
        raise RuntimeError("clBuildProgram failed: (simulated)")

    monkeypatch.setattr(cl_engine, "avg_pool2d", broken)
    with caplog.at_level(logging.WARNING, logger="convviz"):
        y = ops.avg_pool2d(np.ones((1, 1, 4, 4)), 2)
    assert y.shape == (1, 1, 2, 2)
    assert any("simulated" in r.getMessage() for r in caplog.records)
    with pytest.raises(RuntimeError, match="simulated"):
        ops.avg_pool2d(np.ones((1, 1, 4, 4)), 2, backend="opencl")


def test_a_groups_error_suggests_only_values_that_divide_both_channel_counts():
    """4 input channels and 6 filters: the common divisors are 1 and 2 (4 divides Cin but not Cout)."""
    x = np.zeros((1, 4, 5, 5), np.float32)
    with pytest.raises(ValueError, match=r"choose groups among \[1, 2\]"):
        ops.conv2d(x, np.zeros((6, 1, 3, 3), np.float32), groups=3, backend="numpy")
    with pytest.raises(ValueError, match=r"groups among \[1, 2\]"):
        ops.conv2d(x, np.zeros((6, 1, 3, 3), np.float32), groups=4, backend="numpy")

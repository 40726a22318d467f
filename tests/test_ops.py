"""The public API: semantics at the edges, every rejected input, backend choice."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from convviz import compute, ops

BACKENDS = ["numpy", "opencl"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "opencl":
        request.getfixturevalue("cl_engine")
    return request.param


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
]


@pytest.mark.parametrize("change,message", BAD_CONV, ids=[m for _, m in BAD_CONV])
def test_conv2d_rejects_bad_input_with_a_clear_message(change, message):
    args = dict(x=np.ones((1, 1, 8, 8)), w=np.ones((1, 1, 3, 3)), b=None)
    args.update(change)
    x, w, b = args.pop("x"), args.pop("w"), args.pop("b")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ops.conv2d(x, w, b, backend="numpy", **args)


def test_backward_checks_dy_shape_and_values():
    x, w = np.ones((1, 1, 8, 8)), np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"dy must have the shape .*\(1, 1, 6, 6\)"):
        ops.conv2d_backward(x, w, np.ones((1, 1, 5, 5)), backend="numpy")
    with pytest.raises(ValueError, match="NaN"):
        ops.conv2d_backward(x, w, np.full((1, 1, 6, 6), np.nan), backend="numpy")


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

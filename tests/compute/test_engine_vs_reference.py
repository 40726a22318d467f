"""Every OpenCL kernel against its numpy twin, on random data and awkward shapes."""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convviz.core import reference as ref
from convviz.core.activations import ACTIVATIONS
from convviz.core.spec import check_conv, check_pool
from tests.conftest import assert_close
from tests.strategies import conv_configs, pool_configs


def _data(x_shape, w_shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(x_shape).astype(np.float32), rng.standard_normal(w_shape).astype(np.float32),
            rng.standard_normal(w_shape[0]).astype(np.float32))


@contextmanager
def conv_path(engine, direct: bool):
    """Force the one-launch kernels (direct) or the tiled ones, whatever the size."""
    engine.direct = direct
    try:
        yield
    finally:
        engine.direct = None


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "tiled"])
@settings(max_examples=120)
@given(conv_configs())
def test_conv2d_forward_and_backward(cl_engine, direct, cfg):
    x_shape, w_shape, kwargs = cfg
    x, w, b = _data(x_shape, w_shape)
    x, w, b, spec = check_conv(x, w, b, kwargs)
    terms = w_shape[1] * w_shape[2] * w_shape[3]
    with conv_path(cl_engine, direct):
        y = cl_engine.conv2d(x, w, b, spec)
        assert_close(y, ref.conv2d(x, w, b, spec), terms=terms, what="y")
        assert_close(cl_engine.conv2d(x, w, None, spec), ref.conv2d(x, w, None, spec), terms=terms, what="y, no bias")
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
        for name, got, want in zip(("dx", "dw", "db"), cl_engine.conv2d_backward(x, w, dy, spec),
                                   ref.conv2d_backward(x, w, dy, spec)):
            assert_close(got, want, terms=dy.size, what=name)


@settings(max_examples=60)
@given(conv_configs(max_hw=8))
def test_dx_gather_scatter_and_direct_agree(cl_engine, cfg):
    x_shape, w_shape, kwargs = cfg
    x, w, _ = _data(x_shape, w_shape, 5)
    x, w, _, spec = check_conv(x, w, None, kwargs)
    dy = np.random.default_rng(2).standard_normal(
        (x_shape[0], w_shape[0]) + spec.output_size(x_shape[2:])).astype(np.float32)
    direct = ref.conv2d_backward(x, w, dy, spec)[0]
    hw = x_shape[2:]
    for engine in (ref, cl_engine):
        assert_close(engine.conv2d_dx_gather(dy, w, spec, hw), direct, terms=dy.size, what="gather")
        scatter = engine.pad_backward(engine.conv2d_dx_scatter(dy, w, spec, hw), spec, hw)
        assert_close(scatter, direct, terms=dy.size, what="scatter")
        cols = engine.matmul(w.reshape(spec.groups, w_shape[0] // spec.groups, -1).transpose(0, 2, 1).copy(),
                             dy.transpose(1, 0, 2, 3).reshape(spec.groups, w_shape[0] // spec.groups, -1).copy())
        via_col2im = engine.pad_backward(engine.col2im(cols, spec, x_shape), spec, hw)
        assert_close(via_col2im, direct, terms=dy.size, what="col2im")


@settings(max_examples=40)
@given(conv_configs(max_hw=8), st.integers(0, 400))
def test_partial_scatter(cl_engine, cfg, upto):
    x_shape, w_shape, kwargs = cfg
    x, w, _ = _data(x_shape, w_shape, 9)
    x, w, _, spec = check_conv(x, w, None, kwargs)
    dy = np.random.default_rng(4).standard_normal(
        (x_shape[0], w_shape[0]) + spec.output_size(x_shape[2:])).astype(np.float32)
    assert_close(cl_engine.conv2d_dx_scatter(dy, w, spec, x_shape[2:], upto),
                 ref.conv2d_dx_scatter(dy, w, spec, x_shape[2:], upto), terms=dy.size)


@settings(max_examples=60)
@given(conv_configs(max_hw=9))
def test_intermediate_operations(cl_engine, cfg):
    x_shape, w_shape, kwargs = cfg
    x, w, _ = _data(x_shape, w_shape, 3)
    x, w, _, spec = check_conv(x, w, None, kwargs)
    np.testing.assert_array_equal(cl_engine.pad(x, spec), ref.pad(x, spec))
    xp = ref.pad(x, spec)
    assert_close(cl_engine.pad_backward(xp, spec, x_shape[2:]), ref.pad_backward(xp, spec, x_shape[2:]), terms=16)
    np.testing.assert_array_equal(cl_engine.insert_zeros(x, spec.stride), ref.insert_zeros(x, spec.stride))
    np.testing.assert_array_equal(cl_engine.dilate_kernel(w, spec.dilation), ref.dilate_kernel(w, spec.dilation))
    np.testing.assert_array_equal(cl_engine.flip_kernel(w, spec.groups), ref.flip_kernel(w, spec.groups))
    pads = (1, -1, -1, 2) if min(x_shape[2:]) > 2 else (1, 0, 2, 0)
    np.testing.assert_array_equal(cl_engine.pad_or_crop(x, pads), ref.pad_or_crop(x, pads))
    cols = ref.im2col(x, spec)
    np.testing.assert_array_equal(cl_engine.im2col(x, spec), cols)
    assert_close(cl_engine.col2im(cols, spec, x_shape), ref.col2im(cols, spec, x_shape), terms=16)
    w_row = w.reshape(spec.groups, w_shape[0] // spec.groups, -1)
    assert_close(cl_engine.matmul(w_row, cols), ref.matmul(w_row, cols), terms=cols.shape[1])
    # Z = W_row · X_col is the convolution
    z = ref.matmul(w_row, cols).reshape(w_shape[0], x_shape[0], *spec.output_size(x_shape[2:])).transpose(1, 0, 2, 3)
    assert_close(z, ref.conv2d(x, w, None, spec), terms=cols.shape[1])


@settings(max_examples=80)
@given(pool_configs())
def test_pooling(cl_engine, cfg):
    x_shape, kwargs = cfg
    rng = np.random.default_rng(6)
    x = rng.integers(-3, 4, x_shape).astype(np.float32)       # many ties: the first maximum must win
    x, spec = check_pool(x, kwargs["kernel_size"], kwargs["stride"], kwargs["padding"])
    dy = rng.standard_normal(x_shape[:2] + spec.output_size(x_shape[2:])).astype(np.float32)
    assert_close(cl_engine.avg_pool2d(x, spec), ref.avg_pool2d(x, spec), terms=16)
    assert_close(cl_engine.avg_pool2d_backward(x.shape, dy, spec), ref.avg_pool2d_backward(x.shape, dy, spec), terms=16)
    y1, a1 = cl_engine.max_pool2d(x, spec)
    y2, a2 = ref.max_pool2d(x, spec)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(a1, a2)
    assert_close(cl_engine.max_pool2d_backward(x, dy, spec), ref.max_pool2d_backward(x, dy, spec), terms=16)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(cl_engine, name):
    rng = np.random.default_rng(8)
    z = (rng.standard_normal((2, 3, 7, 9)) * 3).astype(np.float32)
    z[0, 0, 0, :3] = [0.0, -0.0, 1e-30]
    da = rng.standard_normal(z.shape).astype(np.float32)
    assert_close(cl_engine.activation(z, name), ref.activation(z, name))
    assert_close(cl_engine.activation_backward(z, da, name), ref.activation_backward(z, da, name))


@pytest.mark.parametrize("direct", [True, False, None], ids=["direct", "tiled", "by-size"])
def test_large_and_tiny_shapes(cl_engine, direct):
    """1×1 inputs, a stride larger than the kernel, dilation 3, and a wide image."""
    for x_shape, w_shape, kwargs in [
        ((1, 1, 1, 1), (1, 1, 1, 1), {}),
        ((1, 1, 1, 1), (2, 1, 3, 3), dict(padding=1)),
        ((2, 3, 17, 23), (4, 3, 2, 2), dict(stride=5)),
        ((1, 2, 20, 20), (3, 2, 3, 3), dict(dilation=3, padding=2)),
        ((1, 1, 64, 300), (1, 1, 7, 7), {}),
        ((3, 16, 9, 9), (32, 16, 3, 3), dict(padding=1)),
    ]:
        x, w, b = _data(x_shape, w_shape, 11)
        x, w, b, spec = check_conv(x, w, b, kwargs)
        with conv_path(cl_engine, direct):
            y = cl_engine.conv2d(x, w, b, spec)
            assert_close(y, ref.conv2d(x, w, b, spec), terms=np.prod(w_shape[1:]), what=str(x_shape))
            dy = np.ones_like(y)
            for got, want in zip(cl_engine.conv2d_backward(x, w, dy, spec), ref.conv2d_backward(x, w, dy, spec)):
                assert_close(got, want, terms=dy.size, what=str(x_shape))


def test_image_size_change_does_not_rebuild(cl_engine):
    x, w, b = _data((1, 1, 10, 10), (1, 1, 3, 3))
    spec = check_conv(x, w, b, {})[3]
    cl_engine.conv2d_backward(x, w, np.ones((1, 1, 8, 8), np.float32), spec)
    built = dict(cl_engine._programs)
    for size in (11, 31, 64):
        x2 = np.ones((1, 1, size, size), np.float32)
        cl_engine.conv2d_backward(x2, w, np.ones((1, 1, size - 2, size - 2), np.float32), spec)
    assert cl_engine._programs.keys() == built.keys()


def test_scalar_argument_types_match_every_built_kernel(cl_engine):
    """The argument types read from each .cl file agree with what the compiler built."""
    import pyopencl as cl

    from convviz.compute.device_base import scalar_arg_dtypes

    x, w, b = _data((1, 2, 9, 9), (2, 2, 3, 3))
    for direct in (True, False):
        with conv_path(cl_engine, direct):
            spec = check_conv(x, w, b, dict(padding=1, padding_mode="reflect"))[3]
            cl_engine.conv2d_backward(x, w, cl_engine.conv2d(x, w, b, spec), spec)
    assert len(cl_engine._programs) >= 8
    for (name, _), kernel in cl_engine._programs.items():
        dtypes = scalar_arg_dtypes(name)
        assert kernel.get_info(cl.kernel_info.NUM_ARGS) == len(dtypes), name
        assert dtypes.count(None) >= 2, name         # every kernel reads and writes a buffer

"""The numpy reference against finite differences, in float64, on random configurations."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from convviz.core import reference as ref
from convviz.core.activations import ACTIVATIONS
from convviz.core.spec import check_conv, check_pool
from tests.strategies import conv_configs, pool_configs


def numeric_gradient(f, a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        up = f()
        a[idx] = old - eps
        down = f()
        a[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g


@settings(max_examples=25)
@given(conv_configs(max_hw=6, max_batch=2))
def test_conv2d_backward_matches_finite_differences(cfg):
    x_shape, w_shape, kwargs = cfg
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    _, _, _, spec = check_conv(x, w, b, kwargs)
    dy = rng.standard_normal((x_shape[0], w_shape[0]) + spec.output_size(x_shape[2:]))
    loss = lambda: float((ref.conv2d(x, w, b, spec) * dy).sum())
    dx, dw, db = ref.conv2d_backward(x, w, dy, spec)
    assert dx.dtype == np.float64
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), atol=1e-6)
    np.testing.assert_allclose(dw, numeric_gradient(loss, w), atol=1e-6)
    np.testing.assert_allclose(db, numeric_gradient(loss, b), atol=1e-6)


@settings(max_examples=25)
@given(pool_configs(max_hw=7))
def test_pool_backward_matches_finite_differences(cfg):
    x_shape, kwargs = cfg
    rng = np.random.default_rng(3)
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape).astype(np.float64) * 0.1   # no ties
    _, spec = check_pool(x, kwargs["kernel_size"], kwargs["stride"], kwargs["padding"])
    dy = rng.standard_normal(x_shape[:2] + spec.output_size(x_shape[2:]))
    avg = lambda: float((ref.avg_pool2d(x, spec) * dy).sum())
    mx = lambda: float((ref.max_pool2d(x, spec)[0] * dy).sum())
    np.testing.assert_allclose(ref.avg_pool2d_backward(x.shape, dy, spec), numeric_gradient(avg, x), atol=1e-6)
    np.testing.assert_allclose(ref.max_pool2d_backward(x, dy, spec), numeric_gradient(mx, x, 1e-4), atol=1e-6)


def test_activation_derivatives_match_finite_differences():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((1, 2, 5, 5))
    z[np.abs(z) < 1e-3] = 0.5          # keep away from ReLU's kink
    da = rng.standard_normal(z.shape)
    for name in ACTIVATIONS:
        loss = lambda: float((ref.activation(z, name) * da).sum())
        np.testing.assert_allclose(ref.activation_backward(z, da, name), numeric_gradient(loss, z), atol=1e-6,
                                   err_msg=name)


def test_pad_backward_is_the_adjoint_of_pad():
    rng = np.random.default_rng(2)
    for mode in ("zeros", "reflect", "replicate", "circular"):
        x = rng.standard_normal((1, 2, 4, 5))
        _, _, _, spec = check_conv(x, np.ones((1, 2, 1, 1)), None, dict(padding=((2, 3), (3, 1)), padding_mode=mode))
        y = rng.standard_normal((1, 2) + spec.padded_size((4, 5)))
        lhs = float((ref.pad(x, spec) * y).sum())
        rhs = float((x * ref.pad_backward(y, spec, (4, 5))).sum())
        assert abs(lhs - rhs) < 1e-9, mode

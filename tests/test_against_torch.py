"""Against PyTorch itself, where it is installed (it is never a dependency of convviz)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from convviz import ops
from convviz.core.spec import make_conv_spec
from tests.conftest import assert_close
from tests.strategies import conv_configs, pool_configs

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch to compare with it)")
F = torch.nn.functional


def _torch_conv(x, w, b, kwargs):
    spec = make_conv_spec(w.shape[2:], **kwargs)
    t, bt, l, r = spec.padding
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt_ = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    mode = {"zeros": "constant"}.get(spec.padding_mode, spec.padding_mode)
    xp = F.pad(xt, (l, r, t, bt), mode=mode)
    y = F.conv2d(xp, wt, bt_, stride=spec.stride, dilation=spec.dilation, groups=spec.groups)
    return xt, wt, bt_, y


@settings(max_examples=80)
@given(conv_configs())
def test_conv2d_matches_torch(cfg):
    x_shape, w_shape, kwargs = cfg
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (x_shape, w_shape, (w_shape[0],)))
    xt, wt, bt, yt = _torch_conv(x, w, b, kwargs)
    dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(dy, dtype=torch.float64))
    for backend in ("numpy", "opencl"):
        assert_close(ops.conv2d(x, w, b, backend=backend, **kwargs), yt.detach().numpy(), terms=np.prod(w_shape[1:]))
        dx, dw, db = ops.conv2d_backward(x, w, dy, backend=backend, **kwargs)
        assert_close(dx, xt.grad.numpy(), terms=dy.size)
        assert_close(dw, wt.grad.numpy(), terms=dy.size)
        assert_close(db, bt.grad.numpy(), terms=dy.size)


@settings(max_examples=60)
@given(pool_configs())
def test_pooling_matches_torch(cfg):
    x_shape, kwargs = cfg
    x = np.random.default_rng(1).integers(-2, 3, x_shape).astype(np.float32)
    for name in ("avg", "max"):
        xt = torch.tensor(x, requires_grad=True)
        fn = F.avg_pool2d if name == "avg" else F.max_pool2d
        yt = fn(xt, kwargs["kernel_size"], kwargs["stride"], kwargs["padding"])
        dy = np.random.default_rng(2).standard_normal(tuple(yt.shape)).astype(np.float32)
        yt.backward(torch.tensor(dy))
        for backend in ("numpy", "opencl"):
            y = getattr(ops, f"{name}_pool2d")(x, backend=backend, **kwargs)
            dx = getattr(ops, f"{name}_pool2d_backward")(x, dy, backend=backend, **kwargs)
            assert_close(y, yt.detach().numpy(), terms=16)
            assert_close(dx, xt.grad.numpy(), terms=16)

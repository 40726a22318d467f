"""A finite-difference check of the current scene, in float64, with the numpy reference."""
from __future__ import annotations

import numpy as np

from . import reference as ref
from .losses import loss_and_gradient
from .pipeline import Pipeline
from .spec import make_conv_spec


def scene_loss(pipeline: Pipeline, x, w, b) -> float:
    c, t = pipeline.config, pipeline.tensors
    w_eff = w[:, :, ::-1, ::-1] if c.true_convolution else w
    spec = make_conv_spec(w.shape[2:], **c.conv_args())
    a = ref.activation(ref.conv2d(x, w_eff, b, spec), c.activation, c.slope)
    r = pipeline.compute()
    if c.pool == "max":
        p = ref.max_pool2d(a, r.pool_spec)[0]
    elif c.pool == "avg":
        p = ref.avg_pool2d(a, r.pool_spec)
    else:
        p = a
    if c.loss == "given":            # L = Σ P ⊙ dP with dP held fixed
        return float((p * t.dp.astype(np.float64)).sum())
    return loss_and_gradient(c.loss, p, cell=c.one_hot_cell, target=t.target)[0]


def gradient_check(pipeline: Pipeline, *, eps: float = 1e-6, max_entries: int = 64, seed: int = 0) -> dict[str, float]:
    """For dX, dW and db: the largest difference between the analytic and the numerical gradient.

    Checks every entry of small tensors and a random sample of ``max_entries`` of large ones.
    """
    r = pipeline.compute()
    t = pipeline.tensors
    x = np.array(t.x, dtype=np.float64)
    w = np.array(t.w, dtype=np.float64)
    b = np.zeros(w.shape[0]) if t.b is None else np.array(t.b, dtype=np.float64)
    rng = np.random.default_rng(seed)
    out = {}
    for name, arr, grad in (("dX", x, r.dx), ("dW", w, r.dw), ("db", b, r.db)):
        flat = arr.reshape(-1)
        idx = np.arange(flat.size) if flat.size <= max_entries else rng.choice(flat.size, max_entries, replace=False)
        worst = 0.0
        for k in idx:
            old = flat[k]
            flat[k] = old + eps
            up = scene_loss(pipeline, x, w, b)
            flat[k] = old - eps
            down = scene_loss(pipeline, x, w, b)
            flat[k] = old
            worst = max(worst, abs((up - down) / (2 * eps) - float(grad.reshape(-1)[k])))
        out[name] = worst
    return out

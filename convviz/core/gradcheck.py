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


# ------------------------------------------------------------ a network: nudge one cell

def _block64(x: np.ndarray, w: np.ndarray, b, c) -> np.ndarray:
    """One block's P in float64 with the numpy reference."""
    from .spec import check_pool
    w_eff = w[:, :, ::-1, ::-1] if c.true_convolution else w
    a = ref.activation(ref.conv2d(x, w_eff, b, make_conv_spec(w.shape[2:], **c.conv_args())), c.activation, c.slope)
    if c.pool == "none":
        return a
    spec = check_pool(a, c.pool_kernel, c.pool_stride, c.pool_padding)[1]
    return ref.max_pool2d(a, spec)[0] if c.pool == "max" else ref.avg_pool2d(a, spec)


def network_loss64(network, start: int = 0, x: np.ndarray | None = None, params: dict | None = None) -> float:
    """The network's loss in float64, from block ``start`` (fed ``x``, default: the float64 input
    of that block) up; ``params`` maps a block index to replacement (w, b)."""
    params = params or {}
    a = _input64(network, start) if x is None else x
    for k in range(start, len(network.blocks)):
        blk = network.blocks[k]
        a = _block64(a, *_params64(blk, params.get(k)), blk.config)
    c = network.loss_config
    if c.loss == "given":
        return float((a * np.asarray(network.dp, np.float64)).sum())
    return loss_and_gradient(c.loss, a, cell=c.one_hot_cell, target=network.target)[0]


def _params64(blk, given):
    if given is not None:
        return given
    return np.array(blk.w, np.float64), None if blk.b is None else np.array(blk.b, np.float64)


def nudge(network, block: int, tensor: str, index: tuple, eps: float = 1e-3, results=None) -> dict:
    """Nudge one cell of block ``block``'s input X (``tensor="x"``), kernel W ("w") or bias b ("b")
    by ε and compare the change of the loss with the gradient's prediction:

        ΔL = L(θ + ε) − L(θ)   against   ∂L/∂θ · ε

    Returns {"delta_loss", "predicted", "gradient", "eps", "value"}; the loss is recomputed
    in float64 with the numpy reference, the gradient is the network's (``results`` or computed).
    """
    if not 0 <= block < len(network.blocks):
        raise ValueError(f"there is no block {block + 1}; the network has {len(network.blocks)}")
    r = results if results is not None else network.compute()
    blk, br = network.blocks[block], r.blocks[block]
    arrays = {"x": (r.inputs[block], br.dx), "w": (blk.w, br.dw), "b": (blk.b, br.db)}
    if tensor not in arrays or arrays[tensor][0] is None:
        raise ValueError(f"tensor must be 'x', 'w' or 'b' (block {block + 1} "
                         f"{'has no bias' if tensor == 'b' else 'has no ' + repr(tensor)})")
    values, grad = arrays[tensor]
    index = tuple(int(i) for i in index)
    if len(index) != values.ndim or any(not 0 <= i < s for i, s in zip(index, values.shape)):
        raise ValueError(f"the cell {list(index)} is outside block {block + 1}'s {tensor.upper()}, "
                         f"whose shape is {values.shape}")
    eps = float(eps)
    if not 0 < abs(eps) <= 1e3:
        raise ValueError(f"ε must be a small non-zero number, e.g. 1e-3; got {eps!r}")
    if tensor == "x":                       # from this block's input up, the blocks below unchanged
        x0 = _input64(network, block)
        x1 = x0.copy()
        x1[index] += eps
        before, after = network_loss64(network, block, x0), network_loss64(network, block, x1)
    else:
        w, b = _params64(blk, None)
        before = network_loss64(network, params={block: (w, b)})
        (w if tensor == "w" else b)[index] += eps
        after = network_loss64(network, params={block: (w, b)})
    g = float(grad[index])
    return {"delta_loss": after - before, "predicted": g * eps, "gradient": g, "eps": eps,
            "value": float(values[index])}


def _input64(network, block: int) -> np.ndarray:
    a = np.array(network.x, np.float64)
    for k in range(block):
        blk = network.blocks[k]
        a = _block64(a, *_params64(blk, None), blk.config)
    return a

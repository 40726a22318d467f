"""Losses that give the upstream gradient dP of the block's output P."""
from __future__ import annotations

import numpy as np

LOSSES = ("sum", "one_hot", "half_squared_error", "given")

FORMULAS = {
    "sum": "L = Σ P   ⇒   dP = 1",
    "one_hot": "L = P[n, c, i, j]   ⇒   dP = 1 at that cell, 0 elsewhere",
    "half_squared_error": "L = ½‖P − T‖²   ⇒   dP = P − T",
    "given": "dP painted by hand",
}


def loss_and_gradient(kind: str, p: np.ndarray, *, cell=None, target=None, grad=None):
    """(L, dP) for the chosen loss; dP has P's shape and is float32."""
    p64 = p.astype(np.float64)
    if kind == "sum":
        return float(p64.sum()), np.ones_like(p, dtype=np.float32)
    if kind == "one_hot":
        cell = tuple(int(c) for c in (cell if cell is not None else (0, 0, 0, 0)))
        if len(cell) != 4 or any(not 0 <= c < s for c, s in zip(cell, p.shape)):
            raise ValueError(f"the one-hot cell {cell} is outside the output, whose shape is {p.shape}; "
                             f"click a cell of P")
        dp = np.zeros_like(p, dtype=np.float32)
        dp[cell] = 1.0
        return float(p64[cell]), dp
    if kind == "half_squared_error":
        if target is None or np.shape(target) != p.shape:
            raise ValueError(f"the target T must have the output's shape {p.shape}; "
                             f"got {None if target is None else np.shape(target)}")
        diff = p64 - np.asarray(target, dtype=np.float64)
        return float(0.5 * (diff ** 2).sum()), diff.astype(np.float32)
    if kind == "given":
        if grad is None or np.shape(grad) != p.shape:
            raise ValueError(f"the painted dP must have the output's shape {p.shape}; "
                             f"got {None if grad is None else np.shape(grad)}")
        g = np.asarray(grad, dtype=np.float32)
        return float((p64 * g).sum()), g.copy()
    raise ValueError(f"unknown loss {kind!r}; use one of {', '.join(LOSSES)}")

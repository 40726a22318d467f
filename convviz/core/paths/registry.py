"""Every path, by name, in the order the window lists them: an explicit registry.

Each module builds its path with ``build(model) -> Path`` and names it with ``TITLE``.
"""
from __future__ import annotations

from . import activation, chain, db, dw, dx_gather, dx_scatter, forward, im2col, jacobian, pool

REGISTRY = {
    "forward": forward, "pool": pool, "activation": activation, "db": db, "dw": dw,
    "dx-gather": dx_gather, "dx-scatter": dx_scatter, "im2col": im2col, "jacobian": jacobian,
    "delta-chain": chain,
}
PATHS = tuple(REGISTRY)
PATH_TITLES = {name: module.TITLE for name, module in REGISTRY.items()}

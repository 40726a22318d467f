"""StepModel: the paths of a pipeline's current results, built on demand.

    model = StepModel(pipeline)
    model.path("dx-gather").stages[2].step(4)

Cheap to make: tensors only, no per-cell work. Which paths there are, and which module
builds each, is :data:`.registry.REGISTRY`; every number is computed through the engine
(``Pipeline.op``).
"""
from __future__ import annotations

import numpy as np

from ..pipeline import Pipeline
from ..spec import ConvSpec
from .common import Path
from .registry import PATHS, REGISTRY

JACOBIAN_LIMIT = 4096          # entries of X (per sample) and of Z for the dense ∂Z/∂X


class StepModel:
    """Builds the paths of a pipeline's current results. Cheap: tensors only, no per-cell work."""

    def __init__(self, pipeline: Pipeline, chain: tuple | None = None):
        """``chain``: (network, its NetworkResults) when the pipeline is one block of a network,
        for the ``delta-chain`` path (else that path is the pipeline's block alone)."""
        self.pipeline = pipeline
        self.chain = chain
        self.r = pipeline.compute()
        self.spec: ConvSpec = self.r.spec
        self._paths: dict[str, Path] = {}

    def path(self, name: str) -> Path:
        if name not in REGISTRY:
            raise ValueError(f"unknown path {name!r}; the paths are: {', '.join(PATHS)}")
        if name not in self._paths:
            self._paths[name] = REGISTRY[name].build(self)
        return self._paths[name]

    def all_paths(self) -> dict[str, Path]:
        return {n: self.path(n) for n in self.available()}

    def available(self) -> list[str]:
        """The paths this scene has: no pooling path without pooling, no Jacobian past JACOBIAN_LIMIT."""
        per_sample = int(np.prod(self.pipeline.tensors.x.shape[1:]))
        out = [p for p in PATHS if not (p == "pool" and self.pipeline.config.pool == "none")]
        if per_sample > JACOBIAN_LIMIT or int(np.prod(self.r.z.shape[1:])) > JACOBIAN_LIMIT:
            out.remove("jacobian")
        return out

    @property
    def config(self):
        return self.pipeline.config

    @property
    def x(self) -> np.ndarray:
        return np.ascontiguousarray(self.pipeline.tensors.x, dtype=np.float32)

    @property
    def x_hw(self) -> tuple[int, int]:
        return tuple(self.pipeline.tensors.x.shape[2:])

    def op(self, name, *args):
        return self.pipeline.op(name, *args)

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
        return [p for p in PATHS if self.unavailable(p) is None]

    def unavailable(self, name: str) -> str | None:
        """Why path ``name`` cannot be shown for this scene, in words; None when it can."""
        if name == "pool" and self.pipeline.config.pool == "none":
            return "this scene has no pooling; choose max or avg pooling under Parameters to see it"
        if name == "jacobian":
            per_sample = int(np.prod(self.pipeline.tensors.x.shape[1:]))
            outputs = int(np.prod(self.r.z.shape[1:]))
            if max(per_sample, outputs) > JACOBIAN_LIMIT:
                return (f"the Jacobian has one row per output and one column per input value: at most "
                        f"{JACOBIAN_LIMIT} each, and this scene has {outputs} outputs and {per_sample} inputs "
                        f"per sample; make the input smaller to see it")
        return None

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

"""Building the pipeline and every stage of every path for a 64×64, 3→8, 5×5 scene.

Target ≤ 20 ms after warm-up. Also one step's cost deep into a 1024×1024 scene.
Run: .venv/bin/python benchmarks/bench_steps.py
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from convviz.compute import describe
from convviz.core.pipeline import BlockConfig, Pipeline, Tensors
from convviz.core.paths.model import StepModel


def build(t: Tensors, config: BlockConfig) -> None:
    sm = StepModel(Pipeline(t, config))
    for path in sm.all_paths().values():
        for stage in path.stages:
            stage.tensors


def main() -> None:
    rng = np.random.default_rng(0)
    t = Tensors(rng.standard_normal((1, 3, 64, 64)).astype(np.float32),
                rng.standard_normal((8, 3, 5, 5)).astype(np.float32), rng.standard_normal(8).astype(np.float32))
    config = BlockConfig(padding=(2, 2), activation="relu", pool="max")
    build(t, config)
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        build(t, config)
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"device: {describe()}")
    print(f"64×64, 3→8, 5×5: pipeline + every stage of every path: median {statistics.median(times):.1f} ms "
          f"(min {min(times):.1f}; target ≤ 20 ms)")
    big = Tensors(rng.standard_normal((1, 1, 1024, 1024)).astype(np.float32), np.ones((1, 1, 3, 3), np.float32))
    sm = StepModel(Pipeline(big, BlockConfig(padding=(1, 1), pool="none")))
    stage = sm.path("forward").stages[1]
    t0 = time.perf_counter()
    stage.step(stage.n_steps - 1)
    print(f"1024×1024: jump to step {stage.n_steps - 1} of the window stage: {(time.perf_counter() - t0) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()

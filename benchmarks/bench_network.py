"""A 3-block network on a 64×64 input: forward + backward, and training steps per second, headless.

Targets (issue 15, 2-core CPU OpenCL device): forward + backward ≤ 20 ms; training ≥ 30 steps/s
(this measures the computation alone; the window's repaint of the curve and kernels comes on top).
Run: .venv/bin/python benchmarks/bench_network.py [numpy|opencl]
"""
from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from convviz.compute import describe
from convviz.core.network import Block, Network
from convviz.core.pipeline import BlockConfig
from convviz.core.training import Trainer, Training


def network() -> Network:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 64, 64)).astype(np.float32)
    blocks = (Block(rng.standard_normal((8, 1, 3, 3)).astype(np.float32) / 3, np.zeros(8, np.float32),
                    BlockConfig(padding=(1, 1), activation="relu", pool="none")),
              Block(rng.standard_normal((8, 8, 3, 3)).astype(np.float32) / 8, np.zeros(8, np.float32),
                    BlockConfig(padding=(1, 1), activation="relu", pool="max")),
              Block(rng.standard_normal((1, 8, 3, 3)).astype(np.float32) / 8, None,
                    BlockConfig(padding=(1, 1), activation="identity", pool="none", loss="half_squared_error")))
    return Network(x, blocks, target=rng.standard_normal((1, 1, 32, 32)).astype(np.float32))


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else None
    net = network()
    for _ in range(3):
        net.compute(backend)                       # warm-up: kernels built, buffers cached
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        net.compute(backend)
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"device: {describe()}" + (f" (backend {backend})" if backend else ""))
    print(f"3 blocks (1→8→8→1, 3×3, max pool in block 2), 64×64: forward + backward median "
          f"{statistics.median(times):.1f} ms (min {min(times):.1f}; target ≤ 20 ms)")
    trainer = Trainer(net, Training(lr=1e-3, momentum=0.9, steps=100), backend)
    trainer.train(5)
    n = 100
    t0 = time.perf_counter()
    trainer.train(n)
    rate = n / (time.perf_counter() - t0)
    print(f"training, momentum SGD, headless: {rate:.0f} steps/s (target ≥ 30 with the window repainting)")


if __name__ == "__main__":
    main()

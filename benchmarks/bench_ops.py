"""Forward + backward (dx, dw, db) time per workload, copies to and from numpy included.

Prints a table; compares with PyTorch on the CPU (2 threads) when torch is importable.
Nothing here asserts on time. Run: .venv/bin/python benchmarks/bench_ops.py
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np

from convviz import ops
from convviz.compute import describe, opencl_engine

WORKLOADS = {   # N, Cin, Cout, H=W, k, stride, padding
    "a": (1, 1, 1, 28, 3, 1, 1),
    "b": (1, 1, 1, 256, 5, 1, 0),
    "c": (1, 3, 16, 128, 3, 2, 1),
    "d": (8, 16, 32, 64, 3, 1, 1),
    "e": (1, 1, 1, 1024, 7, 1, 0),
}
TARGET_MS = {"a": 1, "b": 2, "c": 2, "d": 16, "e": 16}


def median_ms(fn, repeat: int, rounds: int = 3) -> float:
    """The best of ``rounds`` medians: the CPU runtime's and PyTorch's worker threads
    linger after a burst of work, so the first calls after the other one ran are slow."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        best = min(best, statistics.median(times))
    return best


def convviz_step(x, w, b, stride, padding, backend):
    def run():
        y = ops.conv2d(x, w, b, stride=stride, padding=padding, backend=backend)
        ops.conv2d_backward(x, w, np.ones_like(y), stride=stride, padding=padding, backend=backend)
    return run


def torch_step(x, w, b, stride, padding):
    import torch
    torch.set_num_threads(2)
    F = torch.nn.functional

    def run():
        xt = torch.from_numpy(x).requires_grad_()
        wt = torch.from_numpy(w).requires_grad_()
        bt = torch.from_numpy(b).requires_grad_()
        y = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
        y.backward(torch.ones_like(y))
        return xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()
    return run


def warm_start_ms() -> float:
    """A new process building every kernel the workloads use (binaries already cached on disk)."""
    code = ("import time, numpy as np; from convviz.compute import opencl_engine; from convviz import ops;"
            "e = opencl_engine(); t = time.perf_counter();"
            "[ops.conv2d_backward(np.ones((n, ci, h, h), np.float32), np.ones((co, ci, k, k), np.float32),"
            " np.ones((n, co) + ((h + 2 * p - k) // s + 1,) * 2, np.float32), stride=s, padding=p)"
            " for n, ci, co, h, k, s, p in " + repr(list(WORKLOADS.values())) + "];"
            "print(e.build_seconds * 1e3)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    engine = opencl_engine()
    print(f"device: {describe()}")
    print(f"{'':2} {'workload':34} {'opencl ms':>10} {'numpy ms':>9} {'torch ms':>9} {'torch/ocl':>9} {'target':>7}")
    rng = np.random.default_rng(0)
    for key, (n, cin, cout, hw, k, s, p) in WORKLOADS.items():
        x = rng.standard_normal((n, cin, hw, hw)).astype(np.float32)
        w = rng.standard_normal((cout, cin, k, k)).astype(np.float32)
        b = rng.standard_normal(cout).astype(np.float32)
        repeat = 30 if hw <= 256 and n == 1 else 10
        t_cl = median_ms(convviz_step(x, w, b, s, p, "opencl"), repeat) if engine else float("nan")
        t_np = median_ms(convviz_step(x, w, b, s, p, "numpy"), 3, rounds=1)
        t_t = median_ms(torch_step(x, w, b, s, p), repeat) if have_torch else float("nan")
        label = f"{n}, {cin}→{cout}, {hw}×{hw}, k{k}, s{s}, p{p}"
        print(f"{key:2} {label:34} {t_cl:10.3f} {t_np:9.1f} {t_t:9.3f} {t_t / t_cl:9.2f} {TARGET_MS[key]:>5} ms")
    if engine:
        print(f"warm start (every kernel above built, from the on-disk cache): {warm_start_ms():.0f} ms")


if __name__ == "__main__":
    main()

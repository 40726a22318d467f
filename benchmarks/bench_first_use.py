"""What a new configuration costs the first time, and what qualification costs once.

For each CPU runtime (or the one named by CONVVIZ_DEVICE), in fresh processes:
- cold: empty caches (convviz's verdicts, pyopencl's binaries, PoCL's kernel cache), as
  on a new machine: the seconds qualification takes, then opening the engine;
- warm start: the engine opened and every program built from the on-disk caches;
- first use: forward + backward of a configuration never computed in that process (a
  new kernel size, stride, dilation, groups), against the same call repeated.
Prints figures; asserts nothing. Run: .venv/bin/python benchmarks/bench_first_use.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, time, numpy as np
t0 = time.perf_counter()
from convviz import compute, ops
engine = compute.opencl_engine()
opened = time.perf_counter() - t0
built = engine.build_all()
configs = [dict(padding=1), dict(stride=2, padding=1), dict(dilation=3, padding=3), dict(stride=3),
           dict(padding=2, padding_mode="reflect"), dict(groups=2, padding=1)]
kernels = [(4, 2, 3, 3), (4, 2, 5, 5), (4, 2, 3, 3), (4, 2, 2, 2), (4, 2, 5, 5), (4, 1, 3, 3)]
rows = []
rng = np.random.default_rng(0)
x = rng.standard_normal((1, 2, 64, 64)).astype(np.float32)
for kw, ws in zip(configs, kernels):
    w = rng.standard_normal(ws).astype(np.float32)
    def once():
        t = time.perf_counter()
        y = ops.conv2d(x, w, **kw)
        ops.conv2d_backward(x, w, np.ones_like(y), **kw)
        return (time.perf_counter() - t) * 1e3
    first = once()
    again = min(once() for _ in range(5))
    rows.append((str(kw), ws, first, again))
print(json.dumps({"device": engine.description, "opened_s": opened, "built_s": built,
                  "qualify_s": [c.qualification.get("seconds") for c in engine.choice.candidates
                                if c.qualification and not c.qualification.get("cached")],
                  "rows": rows}))
"""


def run(device: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD], env=dict(env, CONVVIZ_DEVICE=device),
                         capture_output=True, text=True, timeout=900)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    devices = [os.environ["CONVVIZ_DEVICE"]] if os.environ.get("CONVVIZ_DEVICE") else ["intel cpu runtime", "pocl"]
    for device in devices:
        with tempfile.TemporaryDirectory() as cold:
            env = dict(os.environ, XDG_CACHE_HOME=cold, POCL_CACHE_DIR=os.path.join(cold, "pocl"))
            env.pop("CONVVIZ_CACHE_DIR", None)
            first = run(device, env)
            warm = run(device, env)
        print(f"{first['device']}")
        print(f"  cold caches: qualification {sum(first['qualify_s']):.1f} s, engine opened in "
              f"{first['opened_s']:.1f} s, every program built in {first['built_s'] * 1e3:.0f} ms")
        print(f"  warm start:  engine opened in {warm['opened_s'] * 1e3:.0f} ms, every program built in "
              f"{warm['built_s'] * 1e3:.0f} ms")
        print("  first use of a configuration in a process (64×64, 2→4 channels), forward + backward:")
        for kw, ws, first_ms, again_ms in warm["rows"]:
            print(f"    {kw:45} w{tuple(ws)}  first {first_ms:6.1f} ms   again {again_ms:6.1f} ms")


if __name__ == "__main__":
    main()

"""The window's start: OpenCL is opened and every program built on a thread; meanwhile
numpy computes, and afterwards a configuration never seen before builds nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, numpy as np
    from convviz import compute, ops
    compute.prepare_in_background()
    first = compute.get_backend() is compute.reference        # not ready yet: numpy, no waiting
    compute._background.join(timeout=600)
    engine = compute.get_backend()
    built = engine.build_seconds
    x = np.random.default_rng(0).standard_normal((1, 2, 40, 40))
    for kw, w in ((dict(stride=3), (3, 2, 2, 2)), (dict(dilation=4, padding=4), (2, 2, 3, 3)),
                  (dict(groups=2, padding=2), (4, 1, 5, 5)), (dict(stride=(2, 1), padding_mode="circular", padding=3),
                  (1, 2, 7, 1))):
        y = ops.conv2d(x, np.ones(w), **kw, backend="opencl")
        ops.conv2d_backward(x, np.ones(w), np.ones_like(y), **kw, backend="opencl")
    print(json.dumps({"numpy_first": first, "engine": engine is not compute.reference,
                      "built_after": engine.build_seconds - built, "programs": len(engine._programs)}))
""")


def test_the_start_builds_everything_on_a_thread_and_a_new_configuration_builds_nothing(cl_engine, tmp_path):
    env = dict(os.environ, CONVVIZ_DEVICE=cl_engine.choice.chosen.short_platform, CONVVIZ_FAULT="")
    env.pop("CONVVIZ_BACKEND", None)
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["numpy_first"] and result["engine"]
    assert result["built_after"] == 0.0          # strides, dilations, groups, kernel sizes: no compile
    assert result["programs"] >= 20

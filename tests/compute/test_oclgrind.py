"""Every kernel at every vector width runs clean under Oclgrind, a simulator that reports
each out-of-bounds access, uninitialised value, data race and misuse of the API: our one
check that the kernels would behave on a GPU. The sweep is qualification's (1×1 inputs,
stride larger than the kernel, dilation 3, groups, partial vector blocks, every padding
mode), one process per kernel family and width.

One process per family: in one long process Oclgrind 21.10's uninitialised-value check
reports stores once device memory released by an earlier operation is handed out again
(none when no buffer is ever released; the engine releases a buffer only after the
operation's blocking read, when every queued command is done, as OpenCL allows), while
every number agrees with numpy; see the notes. Its check also aborts on LLVM's `freeze`
(hence -cl-opt-disable on the simulator) and lost track of float16 .lo/.hi (hence the
lane-by-lane sum)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from convviz.compute import qualify

SCRIPT = textwrap.dedent("""
    import sys
    from convviz.core import reference as ref
    from convviz.compute import checks, qualify
    from convviz.compute.devices import Candidate, Choice
    from convviz.compute.engine import ClEngine
    # qualification's awkward cases, made smaller: a simulator runs a thousand times slower
    checks.CONV_CASES = (
        ((1, 1, 1, 1), (1, 1, 1, 1), {}),
        ((2, 4, 5, 19), (6, 2, 3, 3), dict(groups=2, padding=1)),
        ((1, 2, 7, 9), (3, 2, 2, 2), dict(stride=3)),
        ((1, 1, 9, 9), (2, 1, 3, 3), dict(dilation=3, padding=2, padding_mode="reflect")),
        ((1, 3, 6, 18), (9, 3, 3, 3), dict(stride=2, padding=1)),
        ((2, 1, 7, 17), (2, 1, 5, 3), dict(stride=(2, 1), padding=(2, 1), padding_mode="circular")),
        ((1, 1, 3, 35), (1, 1, 1, 4), dict(stride=(1, 2), dilation=(1, 2), padding_mode="replicate", padding=1)),
    )
    width, only = int(sys.argv[1]), sys.argv[2]
    device = qualify._find_device("Oclgrind\tOclgrind Simulator")
    cand = Candidate(device.platform.name.strip(), device.name.strip(), "sim", device, True)
    engine = ClEngine(Choice([cand], cand, "oclgrind test"))
    engine.vw = {name: width for name in engine.vw}
    failed = []
    for family, check in checks.FAMILIES.items():
        if family != only:
            continue
        print(f"=== {family} at {width} lanes", file=sys.stderr, flush=True)
        try:
            check(engine, ref)
        except Exception as exc:
            failed.append(f"{family}/{width}: {exc}")
    print("\\n".join(failed) or "all families agree with numpy")
""")

# pyopencl asks every device for properties that OpenCL 1.2 lacks; Oclgrind's API check
# reports each of those queries, which are pyopencl's and not our kernels'
NOISE = re.compile(r"Function: clGetDeviceInfo\s+Error:\s+CL_INVALID_VALUE\s+For argument 'param_name'")


def _oclgrind_available() -> bool:
    try:
        from convviz.compute.devices import Choice, list_candidates
        choice = Choice()
        list_candidates(choice)
        return any(c.simulator for c in choice.candidates)
    except Exception:
        return False


def _env(tmp_path) -> dict:
    return dict(os.environ, OCLGRIND_CHECK_API="1", OCLGRIND_DATA_RACES="1", OCLGRIND_UNINITIALIZED="1",
                CONVVIZ_FAULT="",
                CONVVIZ_CACHE_DIR=str(tmp_path))


def _need_oclgrind() -> None:
    if not _oclgrind_available():
        if os.environ.get("CI"):
            pytest.fail("Oclgrind is missing: the test extra installs pyopencl[oclgrind]")
        pytest.skip("Oclgrind is not installed (pip install 'pyopencl[oclgrind]')")


CANARY = textwrap.dedent("""
    import numpy as np, pyopencl as cl
    from convviz.compute import checks, qualify
    device = qualify._find_device("Oclgrind\\tOclgrind Simulator")
    ctx = cl.Context([device]); queue = cl.CommandQueue(ctx)
    src = "__kernel void shift(__global const float *a, __global float *b) {"
    src += " int i = get_global_id(0); b[i] = a[i + 1]; }"
    prg = cl.Program(ctx, src).build()
    a = cl.Buffer(ctx, cl.mem_flags.READ_WRITE | cl.mem_flags.COPY_HOST_PTR, hostbuf=np.ones(8, np.float32))
    b = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, 32)
    prg.shift(queue, (8,), None, a, b)
    queue.finish()
""")


def test_the_simulator_reports_an_out_of_bounds_read(tmp_path):
    """The check above can fail: a kernel reading one past its buffer is reported."""
    _need_oclgrind()
    run = subprocess.run([sys.executable, "-c", CANARY], capture_output=True, text=True, env=_env(tmp_path),
                         timeout=120)
    assert "Invalid read of size 4 at global memory address" in run.stderr, run.stderr[-2000:]


def test_every_kernel_runs_clean_under_oclgrind(tmp_path):
    _need_oclgrind()
    env = _env(tmp_path)
    # one process per family and width, two at a time (an engine keeps one width, as in the app)
    items = [(w, f) for w in qualify.VECTOR_WIDTHS for f in qualify.FAMILIES
             if w == qualify.VECTOR_WIDTHS[0] or f in qualify.VECTOR_FAMILIES]
    runs, running = {}, []
    for item in items + [None]:
        if item is not None:
            running.append((item, subprocess.Popen([sys.executable, "-c", SCRIPT, str(item[0]), item[1]],
                                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                                   env=env)))
        while running and (len(running) == 2 or item is None):
            done, proc = running.pop(0)
            runs[done] = proc.communicate(timeout=600) + (proc.returncode,)
    reports = []
    for width, (out, err, code) in runs.items():
        family = "?"
        for block in re.split(r"\n\s*\n", err):
            heading = re.search(r"=== (.+)", block)
            if heading:
                family = heading.group(1)
                block = block[heading.end():]
            if block.strip() and not NOISE.search(block):
                reports.append(f"[{family}] {block.strip()}")
        assert code == 0, err[-3000:]
        assert out.strip() == "all families agree with numpy", out
    assert not reports, f"{len(reports)} Oclgrind reports, the first:\n" + "\n\n".join(reports[:3])

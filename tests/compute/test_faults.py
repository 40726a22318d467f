"""A driver's failure never becomes the user's: a fault injected at every step (build,
kernel creation, launch, allocation, a qualification child that aborts, wrong numbers, a
process that dies mid-computation) falls back to numpy with a message, or raises one
OpenCLError when OpenCL was asked for. Expected numbers are hand arithmetic."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from convviz import compute, ops
from convviz.compute import errors, journal, qualify
from convviz.compute.devices import Choice
from convviz.compute.engine import ClEngine
from convviz.compute.errors import OpenCLError
from convviz.core.spec import check_conv

ONES = np.ones((1, 1, 5, 40), np.float32)         # 40 wide: the tiled path when direct is off
KERNEL = np.ones((1, 1, 3, 3), np.float32)


@pytest.fixture
def fresh_engine(cl_engine, monkeypatch):
    """A new engine on the same device (nothing built yet), installed as the shared one."""
    engine = ClEngine(Choice([cl_engine.choice.chosen], cl_engine.choice.chosen, "test"))
    monkeypatch.setattr(compute, "_engine", engine)
    monkeypatch.setattr(compute, "_warned", set())
    monkeypatch.delenv("CONVVIZ_BACKEND", raising=False)
    yield engine
    errors.set_faults("")
    engine.release()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private convviz cache folder (verdicts, crash notes), inherited by children."""
    monkeypatch.setenv("CONVVIZ_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path / "cache"
    errors.set_faults("")


@pytest.mark.parametrize("stage, words", [
    ("build", "BUILD_PROGRAM_FAILURE"),
    ("kernel", "INVALID_KERNEL_NAME"),
    ("launch", "OUT_OF_RESOURCES"),
    ("alloc", "MEM_OBJECT_ALLOCATION_FAILURE"),
])
@pytest.mark.parametrize("direct", [False, True], ids=["tiled", "direct"])
def test_every_driver_failure_falls_back_with_one_warning(fresh_engine, caplog, stage, words, direct):
    fresh_engine.direct = direct
    kernel = "conv2d_direct_forward" if direct else "conv2d_forward"
    errors.set_faults(f"{stage}:{kernel}" if stage != "alloc" else "alloc:*")
    with caplog.at_level(logging.WARNING, logger="convviz"):
        for _ in range(3):
            y = ops.conv2d(ONES, KERNEL, padding=1)
    # hand arithmetic: a 3×3 box of ones sums 9 inside, 6 on an edge, 4 in a corner
    assert y[0, 0, 2, 5] == 9 and y[0, 0, 0, 5] == 6 and y[0, 0, 0, 0] == 4
    assert y.dtype == np.float32
    warned = [r.getMessage() for r in caplog.records if words in r.getMessage()]
    assert len(warned) == 1, warned
    assert "numpy" in warned[0]


@pytest.mark.parametrize("stage, words", [("build", "avx512f"), ("kernel", "INVALID_KERNEL_NAME"),
                                          ("launch", "OUT_OF_RESOURCES")])
def test_asking_for_opencl_raises_one_error_type_with_the_log(fresh_engine, stage, words):
    import pyopencl as cl
    fresh_engine.direct = False
    errors.set_faults(f"{stage}:conv2d_forward")
    with pytest.raises(OpenCLError) as info:
        ops.conv2d(ONES, KERNEL, padding=1, backend="opencl")
    assert not isinstance(info.value, cl.Error)
    assert words in str(info.value) + info.value.log
    if stage == "build":
        assert "conv2d_forward.cl" in str(info.value) and "avx512f" in info.value.log


def test_no_device_when_opencl_is_asked_for_is_an_opencl_error(monkeypatch):
    monkeypatch.setattr(compute, "_engine", None)
    monkeypatch.setattr(compute, "_engine_error", "no OpenCL device (test)")
    with pytest.raises(OpenCLError, match="no OpenCL device"):
        ops.conv2d(ONES, KERNEL, backend="opencl")


def _qualify(cl_engine, faults: str) -> dict:
    errors.set_faults(faults)
    try:
        return qualify.qualify(cl_engine.device, refresh=True)
    finally:
        errors.set_faults("")


def test_a_child_that_aborts_costs_a_verdict_not_the_app(cl_engine, cache, monkeypatch, caplog):
    """Like PoCL's LLVM aborting on one kernel: that family goes to numpy, the rest stays."""
    data = _qualify(cl_engine, "abort:conv2d_dw")
    verdicts = data["families"]
    assert verdicts["conv2d_dw"]["ok"] is False
    assert "SIGABRT" in verdicts["conv2d_dw"]["why"]
    others = [f for f in qualify.FAMILIES if f != "conv2d_dw"]
    assert all(verdicts[f]["ok"] for f in others), {f: verdicts[f] for f in others if not verdicts[f]["ok"]}
    # the verdicts were cached: the next look costs nothing and says the same
    again = qualify.qualify(cl_engine.device)
    assert again["cached"] and again["families"] == verdicts

    engine = ClEngine(cl_engine.choice, verdicts=verdicts)
    engine.direct = False
    monkeypatch.setattr(compute, "_engine", engine)
    monkeypatch.setattr(compute, "_warned", set())
    monkeypatch.delenv("CONVVIZ_BACKEND", raising=False)
    with caplog.at_level(logging.WARNING, logger="convviz"):
        dx, dw, db = ops.conv2d_backward(ONES, KERNEL, np.ones((1, 1, 5, 40)), padding=1)
    # dW of all-ones with padding 1 over a 5×40 input: the centre tap sees 200 ones,
    # an edge row/column tap loses one row (160) or one column (195), a corner both (156)
    assert dw[0, 0, 1, 1] == 200 and dw[0, 0, 0, 1] == 160 and dw[0, 0, 1, 0] == 195 and dw[0, 0, 0, 0] == 156
    assert db[0] == 200
    assert any("conv2d_dw" in r.getMessage() and "SIGABRT" in r.getMessage() for r in caplog.records)
    # the forward pass still runs on OpenCL
    assert ops.conv2d(ONES, KERNEL, padding=1, backend="opencl")[0, 0, 2, 5] == 9


def test_a_width_that_crashes_uses_the_narrower_variant(cl_engine, cache):
    """'AVX vector return of type float16 without avx512f': 16 lanes fail, 8 lanes serve."""
    data = _qualify(cl_engine, "abort:conv2d_forward/16,abort:conv2d_forward/8")
    v = data["families"]["conv2d_forward"]
    assert v["ok"] and v["vw"] == 4, v
    assert "16 lanes" in v["why"] and "8 lanes" in v["why"] and "SIGABRT" in v["why"]
    engine = ClEngine(cl_engine.choice, verdicts=data["families"])
    engine.direct = False
    y = engine.conv2d(ONES, KERNEL, None, check_conv(ONES, KERNEL, None, {"padding": 1})[3])
    assert y[0, 0, 2, 5] == 9 and y[0, 0, 4, 39] == 4


def test_wrong_numbers_and_build_errors_in_qualification(cl_engine, cache):
    data = _qualify(cl_engine, "wrong:matmul,build:im2col")
    assert not data["families"]["matmul"]["ok"] and "wrong numbers" in data["families"]["matmul"]["why"]
    assert not data["families"]["im2col"]["ok"] and "BUILD_PROGRAM_FAILURE" in data["families"]["im2col"]["why"]
    assert data["families"]["col2im"]["ok"]


def test_devices_report_shows_each_familys_verdict(cl_engine, cache, monkeypatch):
    from convviz.cli import devices_report
    _qualify(cl_engine, "abort:conv2d_dw")
    monkeypatch.setenv("CONVVIZ_DEVICE", cl_engine.choice.chosen.short_platform)
    report = devices_report([])
    assert "18 of 19 kernel families qualified" in report
    assert "conv2d_dw: numpy computes it, because" in report and "SIGABRT" in report


SCRIPT = textwrap.dedent("""
    import json, sys, numpy as np
    from convviz import compute, ops
    from convviz.compute import errors
    engine = compute.opencl_engine()
    if engine is not None:
        engine.direct = False
    if sys.argv[1] == "crash":
        errors.set_faults("crash:conv2d_forward")
    y = ops.conv2d(np.ones((1, 1, 5, 40)), np.ones((1, 1, 3, 3)), padding=1)
    z = ops.conv2d(np.ones((1, 1, 6, 40)), np.ones((1, 1, 3, 3)), padding=1)
    print(json.dumps({"y": float(y[0, 0, 2, 5]), "z": float(z[0, 0, 0, 0]), "note": compute.crash_note(),
                      "backend": compute.describe()}))
""")


def test_a_crash_while_computing_never_repeats(cl_engine, cache, tmp_path):
    env = dict(os.environ, CONVVIZ_DEVICE=cl_engine.choice.chosen.short_platform, CONVVIZ_FAULT="")
    env.pop("CONVVIZ_BACKEND", None)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)

    def run(mode):
        return subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, env=env,
                              timeout=300)

    first = run("crash")
    assert first.returncode != 0                    # the driver took the process down
    second = json.loads(run("again").stdout)
    assert second["y"] == 9 and second["z"] == 4
    assert "stopped while" in second["note"] and "conv2d 1×1×5×40 1×1×3×3 kernel=(3, 3) stride=(1, 1)" in second["note"]
    assert second["backend"].startswith("numpy")    # the start after a crash computes with numpy
    third = run("again")
    result = json.loads(third.stdout)
    assert result["note"] is None and result["backend"].startswith("OpenCL")
    assert "crashed convviz" in third.stderr        # that one computation stays on numpy
    assert journal.known_crashes()[0]["what"].startswith("conv2d 1×1×5×40")


def test_after_a_crash_the_next_start_opens_the_scene_with_numpy_and_says_so(cl_engine, cache, tmp_path):
    """The autosaved scene that crashed the window must not crash every later start."""
    env = dict(os.environ, CONVVIZ_DEVICE=cl_engine.choice.chosen.short_platform, CONVVIZ_FAULT="",
               QT_QPA_PLATFORM="offscreen", CONVVIZ_DATA_DIR=str(tmp_path / "data"))
    env.pop("CONVVIZ_BACKEND", None)
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    crashed = subprocess.run([sys.executable, str(script), "crash"], env=env, capture_output=True, timeout=300)
    assert crashed.returncode != 0
    shot = tmp_path / "shot.png"
    start = subprocess.run([sys.executable, "-m", "convviz", "--screenshot", str(shot)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert start.returncode == 0, start.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    assert "convviz stopped while conv2d 1×1×5×40" in start.stderr

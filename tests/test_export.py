"""convviz export: headless, one GIF frame per step, clear failures, nothing partial."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convviz.core.pipeline import BlockConfig
from convviz.core.presets import default_scene
from convviz.core.scene import Scene


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-m", "convviz", "export", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


@pytest.fixture
def scene_file(tmp_path, cl_engine):
    path = tmp_path / "scene.json"
    default_scene().save(path)
    return path


def test_gif_has_one_frame_per_step_of_the_forward_path(tmp_path, cl_engine):
    # X 6×6, a 3×3 kernel, no padding, stride 1: Z is (6 − 3) + 1 = 4 wide, so 4×4 = 16 cells;
    # 2×2 max pooling makes P 2×2 = 4 cells
    x = (np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6) - 18) / 18
    w = np.array([[[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]]], np.float32)
    scene = Scene(x, w, np.zeros(1, np.float32), config=BlockConfig(padding=(0, 0), activation="relu", pool="max",
                                                                    pool_kernel=(2, 2), loss="sum"))
    scene.save(tmp_path / "small.json")
    out = tmp_path / "out"
    r = run(tmp_path / "small.json", "--path", "forward", "--out", out, "--format", "gif", "--width", 400,
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    # the padding (one frame), each Z cell written by the window, each A cell by σ,
    # each P cell by the pool, the loss (one frame)
    frames = 1 + 16 + 16 + 4 + 1
    with Image.open(out / "forward.gif") as gif:
        assert gif.n_frames == frames
    assert [p.name for p in out.iterdir()] == ["forward.gif"]            # no temporary leftovers


def test_one_png_step_has_the_width(scene_file, tmp_path):
    out = tmp_path / "out"
    r = run(scene_file, "--path", "forward", "--step", 20, "--out", out, "--width", 900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with Image.open(out / "forward-0020.png") as img:
        png = np.asarray(img.convert("RGB")).astype(float)
    assert png.shape[1] == 900 and png.std() > 20
    assert [p.name for p in out.iterdir()] == ["forward-0020.png"]       # no temporary leftovers


@pytest.mark.parametrize("args,message", [
    (["--path", "nowhere"], "unknown path"),
    (["--path", "db", "--width", "10"], "--width"),
])
def test_bad_arguments_fail_clearly(scene_file, tmp_path, args, message):
    r = run(scene_file, *args, "--out", tmp_path / "o", cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_bad_scene_and_unwritable_folder(tmp_path, scene_file):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = run(bad, "--path", "db", "--out", tmp_path / "o", cwd=tmp_path)
    assert r.returncode == 2 and "not valid JSON" in r.stderr
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = run(scene_file, "--path", "db", "--out", blocker / "sub", cwd=tmp_path)
    assert r.returncode == 2 and "cannot write" in r.stderr


def test_svg_frames_of_a_lesson_with_no_display(tmp_path, cl_engine):
    lesson = Path(__file__).resolve().parents[1] / "resources" / "lessons" / "002-stride-2-inserted-zeros.json"
    out = tmp_path / "svg"
    r = run(lesson, "--path", "dx-gather", "--out", out, "--format", "svg", "--step", 1, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "frame 1/1" in r.stderr
    svg = (out / "dx-gather-0001.svg").read_text()
    assert "dZ_pad 1×1×7×7" in svg and "<image" in svg


def test_a_step_off_the_path_fails_and_writes_nothing(scene_file, tmp_path):
    out = tmp_path / "o"
    r = run(scene_file, "--path", "db", "--step", 99, "--out", out, cwd=tmp_path)
    assert r.returncode == 2 and "step 99 is not on the db path" in r.stderr and "nothing was written" in r.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("fmt", ["gif", "svg"])
def test_the_export_command_exits_0_through_the_interpreters_own_teardown(tmp_path, cl_engine, fmt):
    # an atexit handler runs only when the process ends through Python's teardown (not os._exit);
    # it writes last, after convviz's own handlers, so the exit code covers their teardown too
    lesson = Path(__file__).resolve().parents[1] / "resources" / "lessons" / "002-stride-2-inserted-zeros.json"
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('teardown ran', file=sys.stderr))\n"
            "from convviz.cli import main\n"
            "sys.exit(main())\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = subprocess.run([sys.executable, "-c", code, "export", str(lesson), "--path", "dw", "--out",
                        str(tmp_path / "out"), "--format", fmt, "--width", "400"], capture_output=True, text=True,
                       env=env, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr.rstrip().endswith("teardown ran"), r.stderr
    # the dw path of this lesson has 18 positions: the 9 taps of a 3×3 kernel shifted, then as a correlation
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == (["dw.gif"] if fmt == "gif" else [f"dw-{i:04d}.svg" for i in range(18)])


def test_the_delta_chain_of_a_network_exports_a_frame_per_step_through_every_block(tmp_path, cl_engine):
    lesson = Path(__file__).resolve().parents[1] / "resources" / "lessons" / "004-delta-chain.json"
    out = tmp_path / "chain"
    r = run(lesson, "--path", "delta-chain", "--out", out, "--format", "svg", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    frames = sorted(out.glob("delta-chain-*.svg"))
    assert len(frames) == 8                          # the loss, then 3 steps of block 2 and 4 of block 1
    texts = [f.read_text() for f in frames]
    assert "dP² 1×1×3×3" in texts[0] and "dX² 1×2×3×3" in texts[3] and "dA¹ 1×2×6×6" in texts[4]

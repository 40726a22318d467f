"""convviz export: headless, one GIF frame per step, clear failures, nothing partial."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from convviz.core.presets import default_scene
from convviz.core.steps import StepModel


def run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-m", "convviz", "export", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


@pytest.fixture
def scene_file(tmp_path, cl_engine):
    path = tmp_path / "scene.json"
    default_scene().save(path)
    return path


def test_gif_has_one_frame_per_step_and_png_has_the_width(scene_file, tmp_path):
    out = tmp_path / "out"
    r = run(scene_file, "--path", "db", "--out", out, "--format", "gif", "--width", 900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    n = StepModel(default_scene().pipeline()).path("db").n_positions
    with Image.open(out / "db.gif") as gif:
        assert gif.n_frames == n
    r = run(scene_file, "--path", "forward", "--step", 20, "--out", out, "--width", 900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with Image.open(out / "forward-0020.png") as img:
        png = np.asarray(img.convert("RGB")).astype(float)
    assert png.shape[1] == 900 and png.std() > 20
    assert not [p for p in out.iterdir() if p.name.startswith(".")]        # no temporary leftovers


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

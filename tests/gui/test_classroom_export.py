"""Pictures of a step: one size rule wherever they come from, a margin, and a GIF that keeps its colours."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from PIL import Image
from PySide6 import QtGui, QtWidgets

from convviz.gui import exporting
from convviz.gui.tensorview import HIGHLIGHT_PENS


def _rgb(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format_RGB888)
    a = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * img.height())
    return a.reshape(img.height(), img.bytesPerLine())[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def test_the_same_step_has_the_same_size_from_the_window_the_clipboard_the_frames_and_the_cli(window, tmp_path):
    window.doc.set_path("forward")
    window.doc.set_position(3)
    expected = (1600, 1000)                              # 1600 px wide, 16:10 like a slide
    assert (exporting.DEFAULT_WIDTH, exporting.stage_size().height()) == expected
    window.exports.export_step(tmp_path / "step.png")
    window.exports.copy_step()
    (frame,) = exporting.write_path(window, tmp_path / "frames", "png", positions=[3])
    (gif,) = exporting.write_path(window, tmp_path / "gif", "gif", positions=[2, 3])
    window.doc.scene.save(tmp_path / "scene.json")
    cli_run = subprocess.run([sys.executable, "-m", "convviz", "export", str(tmp_path / "scene.json"), "--path",
                              "forward", "--step", "3", "--out", str(tmp_path / "cli")],
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True)
    assert cli_run.returncode == 0, cli_run.stderr
    (cli,) = list((tmp_path / "cli").iterdir())
    sizes = {"clipboard": QtWidgets.QApplication.clipboard().image().size().toTuple()}
    window.resize(900, 1000)                             # the window's own size does not matter
    window.exports.export_step(tmp_path / "narrow.png")
    for name, f in (("window", tmp_path / "step.png"), ("frame", frame), ("gif", gif), ("cli", cli),
                    ("narrow window", tmp_path / "narrow.png")):
        with Image.open(f) as im:
            sizes[name] = im.size
    assert set(sizes.values()) == {expected}, sizes


def test_titles_keep_a_margin_from_the_edge(window, tmp_path):
    window.doc.set_path("forward")
    window.doc.set_position(3)
    px = _rgb(exporting.render_stage(window.stage)).astype(int)
    ink = np.flatnonzero((px.sum(axis=2) < 200).any(axis=0))            # columns holding dark text
    assert ink[0] >= 20 and ink[-1] <= px.shape[1] - 20
    rows = np.flatnonzero((px.sum(axis=2) < 200).any(axis=1))
    assert rows[0] >= 20


def test_the_gif_keeps_white_and_the_box_colours_and_holds_its_last_frame(window, tmp_path):
    window.doc.set_path("dw")
    frames = window.exports.export_path(tmp_path / "png", "png", 800)
    (gif,) = window.exports.export_path(tmp_path / "gif", "gif", 800)
    with Image.open(gif) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
            if i == 1:
                shown = np.asarray(im.convert("RGB")).astype(int)
    assert durations[-1] > max(durations[:-1])
    with Image.open(frames[1]) as im:
        png = np.asarray(im.convert("RGB")).astype(int)
    white = (png == 255).all(axis=2)
    assert white.any() and (shown[white] == 255).all()                   # white stays white, not grey
    light = (png.min(axis=2) >= 225) & ~white                            # near-white cells (values near 0)
    assert np.abs(shown[light] - png[light]).max() <= 12
    for kind, pen in HIGHLIGHT_PENS.items():
        colour = pen.color().getRgb()[:3]
        assert colour in exporting.GIF_FIXED_COLOURS, kind
        exact = (png == colour).all(axis=2)
        assert (shown[exact] == colour).all(), kind

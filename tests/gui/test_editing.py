"""Editing the input beyond painting: live strokes, typed values, images (dialog and drop), big scenes."""
from __future__ import annotations

import threading
from dataclasses import replace
import time

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from convviz.core import presets
from convviz.core.pipeline import Pipeline
from convviz.gui import image_dialog
from convviz.gui.document import Document
from tests.conftest import assert_close
from tests.gui.conftest import cell_point as _cell_point


def test_every_view_follows_the_brush_during_a_stroke_and_the_stroke_is_one_undo_step(window, qtbot):
    doc = window.doc
    x0, dw0 = doc.scene.x.copy(), doc.results.dw.copy()
    steps = doc.session.history.count
    vp = window.editors.input.canvas.glw.viewport()
    window.editors.input.brush.setValue(3.0)
    qtbot.mousePress(vp, QtCore.Qt.LeftButton, pos=_cell_point(window.editors.input.canvas, 1, 1))
    assert doc.scene.x[0, 0, 1, 1] == 3.0          # before the button is released
    assert not np.array_equal(doc.results.dw, dw0)
    qtbot.mouseMove(vp, pos=_cell_point(window.editors.input.canvas, 5, 1))
    assert doc.results.z is doc.shown.results.z and doc.shown.tensors.x[0, 0, 5, 1] == 3.0
    qtbot.mouseRelease(vp, QtCore.Qt.LeftButton, pos=_cell_point(window.editors.input.canvas, 5, 1))
    assert doc.session.history.count == steps + 1
    doc.session.undo()
    np.testing.assert_array_equal(doc.scene.x, x0)


def test_ctrl_click_types_a_value_into_a_cell(window, qtbot, monkeypatch):
    asked = []
    monkeypatch.setattr(QtWidgets.QInputDialog, "getDouble",
                        lambda parent, title, label, value, *a: asked.append((label, value)) or (-2.5, True))
    vp = window.editors.input.canvas.glw.viewport()
    canvas = window.editors.input.canvas
    qtbot.mouseClick(vp, QtCore.Qt.LeftButton, QtCore.Qt.ControlModifier, _cell_point(canvas, 2, 6))
    assert asked and asked[0][0] == "X[0, 0, 2, 6] ="
    assert window.doc.scene.x[0, 0, 2, 6] == -2.5
    assert window.doc.results.x_pad[0, 0, 3, 7] == -2.5      # and it went through the block
    window.doc.session.undo()
    assert window.doc.scene.x[0, 0, 2, 6] == asked[0][1]


def _rgb_png(path, h=20, w=30):
    from PIL import Image
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = 255                    # red everywhere
    img[: h // 2, :, 2] = 255            # blue in the top half
    Image.fromarray(img).save(path)
    return path


@pytest.mark.parametrize("colour", [False, True])
def test_an_image_is_loaded_with_the_chosen_size_and_colour(window, tmp_path, monkeypatch, colour):
    png = _rgb_png(tmp_path / "pic.png")
    seen = {}

    def fake_exec(dialog):
        seen["text"] = dialog.findChildren(QtWidgets.QLabel)[0].text()
        dialog.h.setValue(10)
        dialog.w.setValue(12)
        (dialog.colour if colour else dialog.gray).setChecked(True)
        return QtWidgets.QDialog.Accepted

    monkeypatch.setattr(image_dialog.ImageImportDialog, "exec", fake_exec)
    assert window.editors.input.import_image(png)
    assert "30×20" in seen["text"]
    x = window.doc.scene.x
    assert x.shape == ((1, 3, 10, 12) if colour else (1, 1, 10, 12))
    assert window.doc.scene.w.shape[1] == x.shape[1]          # the kernel follows the channels
    if colour:
        assert_close(x[0, 0], np.ones((10, 12)), what="red channel")
        assert x[0, 2, 0, 0] == 1.0 and x[0, 2, -1, 0] == 0.0
    assert window.doc.results.z.shape[2:] == (10, 12)
    assert window.editors.problem_label.text() == ""


def test_a_cancelled_or_unreadable_image_changes_nothing(window, tmp_path, monkeypatch):
    before = window.doc.scene
    monkeypatch.setattr(image_dialog.ImageImportDialog, "exec", lambda d: QtWidgets.QDialog.Rejected)
    assert not window.editors.input.import_image(_rgb_png(tmp_path / "pic.png"))
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    assert not window.editors.input.import_image(bad)
    assert "cannot read the image broken.png" in window.editors.problem_label.text()
    assert window.doc.scene == before


def test_dropping_an_image_on_the_window_loads_it(window, tmp_path, monkeypatch):
    png = _rgb_png(tmp_path / "drop.png")
    monkeypatch.setattr(image_dialog.ImageImportDialog, "exec", lambda d: QtWidgets.QDialog.Accepted)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(png))])
    pos = QtCore.QPointF(window.width() / 2, window.height() / 2)
    enter = QtGui.QDragEnterEvent(pos.toPoint(), QtCore.Qt.CopyAction, mime, QtCore.Qt.LeftButton,
                                  QtCore.Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(pos, QtCore.Qt.CopyAction, mime, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(window, drop)
    x = window.doc.scene.x
    assert x.shape == (1, 1, 8, 8) and x.max() > 0.2                      # the input's size by default


def _big_doc(n=256):
    rng = np.random.default_rng(0)
    return Document(replace(presets.default_scene(), x=rng.standard_normal((1, 1, n, n)).astype(np.float32)))


def test_a_big_scene_is_computed_off_the_gui_thread_and_the_latest_request_wins(qtbot, cl_engine, monkeypatch):
    doc = _big_doc()
    doc.wait()
    assert doc.model is not None and doc.results.z.shape == (1, 1, 256, 256)
    computed = []
    real = Pipeline.compute

    def slow(self):
        if not self.up_to_date:                 # a real computation, not the step model's look-up
            computed.append(float(self.tensors.x[0, 0, 0, 0]))
            time.sleep(0.05)
        return real(self)

    monkeypatch.setattr(Pipeline, "compute", slow)
    x = doc.scene.x
    for v in range(1, 8):                       # seven requests while the first is computing
        x = x.copy()
        x[0, 0, 0, 0] = v
        assert doc.edit("paint", tensors={"x": x})
    assert doc.busy
    doc.wait()
    assert not doc.busy and computed[0] == 1.0 and computed[-1] == 7.0 and len(computed) <= 3
    assert doc.shown.tensors.x[0, 0, 0, 0] == 7.0
    assert_close(doc.results.z[0, 0, 0, 0], doc.shown.tensors.x[0, 0, :2, :2].ravel() @
                 doc.shown.tensors.w[0, 0, 1:, 1:].ravel() + doc.shown.tensors.b[0], what="Z[0,0] of the latest")
    doc.shutdown()


def test_a_failed_request_on_the_worker_keeps_the_last_good_result(qtbot, cl_engine):
    doc = _big_doc()
    doc.wait()
    good = doc.results
    problems = []
    doc.problem.connect(problems.append)
    doc.edit("dilate", config={"dilation": (200, 200)})
    doc.wait()
    assert doc.results is good and "spans" in problems[-1]
    doc.shutdown()


def test_the_busy_indicator_shows_only_after_200_ms(window, qtbot, monkeypatch):
    """The worker's computation is held until the test lets it go: no sleeps, no guessed durations."""
    release = threading.Event()
    real = Pipeline.compute

    def held(self):
        if threading.current_thread() is not threading.main_thread():
            release.wait(10)
        return real(self)

    monkeypatch.setattr(Pipeline, "compute", held)
    doc = window.doc
    doc.asynchronous = True
    doc.last_seconds = 1.0                      # as after a slow computation
    x = doc.scene.x.copy()
    x[0, 0, 0, 0] = 4.0
    try:
        doc.edit("paint", tensors={"x": x})
        assert doc.busy and not window.busy.bar.isVisible()
        assert window.busy.timer.isActive() and window.busy.timer.interval() == 200
        with qtbot.waitSignal(window.busy.timer.timeout, timeout=2000):
            pass                                # 200 ms later, the computation still running
        assert doc.busy and window.busy.bar.isVisible()
        with qtbot.waitSignal(doc.busy_changed, timeout=5000) as done:
            release.set()
        assert done.args == [False]
    finally:
        release.set()
    assert not window.busy.bar.isVisible() and not window.busy.timer.isActive()
    assert doc.results.x_pad[0, 0, 1, 1] == 4.0

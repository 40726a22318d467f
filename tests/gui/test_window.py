"""The window, driven as a person would: mouse strokes, parameters, stepping, hover, files."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from convviz.core.scene import load_scene
from convviz.gui.app import make_window, screenshot
from tests.conftest import assert_close
from tests.gui.conftest import choose, cell_point as _cell_point


def test_object_names_for_tests_and_accessibility(window):
    for name in ("inputView", "kernelView", "outputView", "pathSelector", "stepPlayer"):
        w = window.findChild(QtWidgets.QWidget, name)
        assert w is not None, name
        assert w.accessibleName(), name
    window.doc.set_position(1)
    assert window.findChild(QtWidgets.QWidget, "view:Z") is not None


def test_drawing_with_the_mouse_changes_the_input_and_the_gradients(window, qtbot):
    doc = window.doc
    x_before, dw_before = doc.scene.x.copy(), doc.results.dw.copy()
    vp = window.editors.input.canvas.glw.viewport()
    window.editors.input.brush.setValue(2.0)
    qtbot.mousePress(vp, QtCore.Qt.LeftButton, pos=_cell_point(window.editors.input.canvas, 0, 0))
    qtbot.mouseMove(vp, pos=_cell_point(window.editors.input.canvas, 0, 3))
    qtbot.mouseRelease(vp, QtCore.Qt.LeftButton, pos=_cell_point(window.editors.input.canvas, 0, 3))
    x = doc.scene.x
    assert x[0, 0, 0, 0] == 2.0 and x[0, 0, 0, 3] == 2.0 and x_before[0, 0, 0, 0] == 0.0
    assert not np.array_equal(doc.results.dw, dw_before)
    doc.session.undo()
    np.testing.assert_array_equal(doc.scene.x, x_before)


def test_each_parameter_change_reaches_the_views(window):
    window.editors.config.stride.setValue(2)
    r = window.doc.results
    assert window.doc.scene.config.stride == (2, 2) and r.z.shape == (1, 1, 4, 4)
    assert window.editors.output_view.data.shape == r.p.shape
    assert "4" in window.editors.size_formula.text()
    window.editors.config.activation.setCurrentText("tanh")
    assert window.doc.scene.config.activation == "tanh"
    window.editors.kernel.kh.setValue(2)
    assert window.doc.scene.w.shape[2] == 2 and window.editors.kernel.kernel_table.rowCount() == 2


def test_an_impossible_combination_is_explained_and_nothing_throws(window):
    good = window.doc.results
    window.editors.config.dilation.setValue(6)            # spans 13 px; the padded input is 10
    assert "spans 13 px" in window.editors.problem_label.text()
    assert window.doc.results is good
    window.editors.config.dilation.setValue(1)
    assert window.editors.problem_label.text() == ""


@pytest.mark.parametrize("path,role", [("forward", "dP"), ("pool", "dA"), ("activation", "dZ"), ("db", "db"),
                                       ("dw", "dW"), ("dx-gather", "dX"), ("dx-scatter", "dX"), ("im2col", "dX"),
                                       ("jacobian", "dX")])
def test_stepping_to_the_end_of_each_path_shows_the_direct_gradient(window, qtbot, path, role):
    window.path_bar.selector.setCurrentIndex(window.path_bar.selector.findData(path))
    qtbot.keyClick(window, QtCore.Qt.Key_End)
    assert window.doc.position == window.doc.path().n_positions - 1
    shown = {v.role.name: v.data for v in window.stage.views if v.isVisible()}
    direct = getattr(window.doc.results, {"dP": "dp", "dA": "da", "dZ": "dz", "db": "db", "dW": "dw",
                                                   "dX": "dx"}[role])
    assert_close(shown[role], direct[:1] if path == "jacobian" else direct, terms=64)


@pytest.mark.qt_log_ignore("This plugin does not support")     # the offscreen platform on a popup
def test_keys_step_and_play(window, qtbot):
    doc, timer = window.doc, window.player.timer
    doc.set_path("forward")
    qtbot.keyClick(window, QtCore.Qt.Key_Right)
    qtbot.keyClick(window, QtCore.Qt.Key_PageDown)
    assert doc.position == 2
    qtbot.keyClick(window, QtCore.Qt.Key_Left)
    assert doc.position == 1
    choose(qtbot, window.player.speed, window.player.speed.count() - 1)    # the fastest speed it offers
    assert window.player.speed.currentText() == "20 steps/s"
    with qtbot.waitSignal(doc.position_changed, timeout=2000):        # the first tick, 1/20 s after space
        qtbot.keyClick(window, QtCore.Qt.Key_Space)
    assert timer.isActive() and timer.interval() == 50 and doc.position == 2
    qtbot.keyClick(window, QtCore.Qt.Key_Space)
    assert not timer.isActive()
    last = doc.path().n_positions - 1
    doc.set_position(last - 1)
    qtbot.keyClick(window, QtCore.Qt.Key_Space)                        # play stops by itself at the end
    qtbot.waitUntil(lambda: not timer.isActive(), timeout=2000)
    assert doc.position == last


def test_a_scene_round_trips_and_a_corrupt_file_changes_nothing(window, tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    window.files.file_path = path
    window.files.save()
    scene = load_scene(path)
    np.testing.assert_array_equal(scene.x, window.doc.scene.x)
    np.testing.assert_array_equal(scene.w, window.doc.scene.w)
    assert scene.config == window.doc.scene.config
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "convviz-scene", "version": 1, "tensors": {"x": {"shape": [1, 1, 2], "data": [1]}}}')
    warnings = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    before = window.doc.scene
    assert not window.files.open_path(bad)
    assert "shape" in warnings[0] and "unchanged" in warnings[0]
    assert window.doc.scene == before


def test_the_autosave_is_restored_after_a_crash(window, tmp_path, qtbot):
    x = window.doc.scene.x.copy()
    x[0, 0, 0, 0] = 5.0
    window.doc.edit("paint", tensors={"x": x})
    window.files.autosave()                                   # then the process "dies": no closeEvent
    asked = []
    again = make_window(ask_restore=lambda p: asked.append(p) or True)
    qtbot.addWidget(again)
    assert asked and again.doc.scene.x[0, 0, 0, 0] == 5.0


def test_the_screenshot_of_the_default_scene_is_not_blank(window, tmp_path):
    from PIL import Image
    png = tmp_path / "shot.png"
    screenshot(window, str(png), "forward", 5)
    with Image.open(png) as im:
        img = np.asarray(im.convert("RGB")).astype(float)
    assert img.shape[0] >= 900 and img.shape[1] >= 1500
    assert img.std() > 20 and len(np.unique(img.reshape(-1, 3), axis=0)) > 50


def test_presentation_mode_enters_and_leaves(window, qtbot):
    window.toggle_presentation()
    assert window.presenting and not window.editors.isVisible() and window.font_scale > 1.2
    qtbot.keyClick(window, QtCore.Qt.Key_Right)
    assert window.doc.position == 1
    window.toggle_presentation()
    assert not window.presenting and window.editors.isVisible()


def test_the_size_formula_follows_the_parameters_even_when_they_do_not_work(window, qtbot):
    """The default scene (8×8 input, 3×3 kernel, padding 1) with dilation 5: the kernel spans 11
    cells, more than the 10 padded ones; H_out = ⌊(8 + 1 + 1 − 5·2 − 1)/1⌋ + 1 = 0, worked out here."""
    from tests.gui.conftest import type_into
    h = window.doc.scene.x.shape[2]
    kh = window.doc.scene.w.shape[2]
    t, b = window.doc.results.spec.padding[:2]
    type_into(qtbot, window.editors.config.fields["dilation"].spin_h, "5")
    qtbot.waitUntil(lambda: window.doc.scene.config.dilation == (5, 5))
    want = (h + t + b - 5 * (kh - 1) - 1) // 1 + 1
    text = window.editors.size_formula.text()
    assert f"Hout = ⌊({h} + {t} + {b} − 5·({kh}−1) − 1) / 1⌋ + 1 = {want}".replace("= -", "= −") in text
    assert want < 1 and "no output cell" in text

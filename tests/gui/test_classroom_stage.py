"""What the class sees on the stage: its size in presentation mode, problems, hover text, legends."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets


def _ink_rows(widget) -> list[int]:
    """Heights (pixels) of the runs of rows holding dark text, measured on the rendered widget."""
    QtWidgets.QApplication.processEvents()
    img = widget.grab().toImage().convertToFormat(QtGui.QImage.Format_Grayscale8)
    a = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * img.height())
    a = a.reshape(img.height(), img.bytesPerLine())[:, :img.width()]
    dark = (a < 110).any(axis=1)
    runs, n = [], 0
    for d in dark.tolist() + [False]:
        if d:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    return runs


def _text_height(widget) -> float:
    return float(np.median(_ink_rows(widget)))


def test_presentation_mode_enlarges_what_students_read_and_leaving_restores_it(window, qtbot):
    window.doc.set_path("forward")
    window.doc.set_position(1)                  # the slide stage: X_pad, W, Z and the bias b
    widgets = {"formula": window.stage.formula, "explanation": window.stage.text, "title": window.stage.title}
    before = {k: _text_height(w) for k, w in widgets.items()}
    z = next(v for v in window.stage.views if v.role.name == "Z")
    tick_before = z.plot.getAxis("left").style["tickFont"].pixelSize()
    b = next(v for v in window.stage.views if v.role.name == "b")          # one number gets a small panel
    assert b.width() * b.height() < window.stage.width() * window.stage.height() / 16
    window.toggle_presentation()
    assert window.presenting
    during = {k: _text_height(w) for k, w in widgets.items()}
    for k in widgets:
        assert during[k] >= 1.4 * before[k], (k, before[k], during[k])
    z = next(v for v in window.stage.views if v.role.name == "Z")
    assert z.plot.getAxis("left").style["tickFont"].pixelSize() >= 1.4 * tick_before
    assert z.bar.axis.style["tickFont"].pixelSize() >= 1.4 * tick_before
    window.toggle_presentation()
    after = {k: _text_height(w) for k, w in widgets.items()}
    assert after == before


def test_a_problem_shows_over_the_stage_and_marks_it_out_of_date(window, qtbot):
    window.doc.set_path("forward")
    window.doc.set_position(1)
    window.toggle_presentation()                  # the editors panel is hidden: the stage must say it
    window.editors.config.dilation.setValue(6)                   # a 3×3 kernel spans 13 px; the padded input is 10 px
    qtbot.waitUntil(lambda: not window.doc.busy)
    assert window.stage.problem.isVisible() and "13 px" in window.stage.problem.text()
    assert "out of date" in window.stage.problem.text().lower() and "out of date" in window.stage.title.text()
    assert "color: #8a8a8a" in window.stage.formula.styleSheet()
    window.editors.config.dilation.setValue(1)
    qtbot.waitUntil(lambda: not window.doc.busy)
    assert not window.stage.problem.isVisible() and "out of date" not in window.stage.title.text()
    assert "#8a8a8a" not in window.stage.formula.styleSheet()


def test_the_busy_bar_is_up_before_a_computation_on_the_gui_thread_starts(window, qtbot, monkeypatch):
    """A first-use kernel build blocks the GUI thread: the bar must already be on screen."""
    from convviz.core.pipeline import Pipeline
    real, seen = Pipeline.compute, []

    def compute(self):
        seen.append((window.busy.bar.isVisible(), window.statusBar().currentMessage()))
        return real(self)
    monkeypatch.setattr(Pipeline, "compute", compute)
    window.doc.last_seconds = 0.0                  # a small scene: computed on the GUI thread
    assert not window.doc.goes_async()
    window.editors.config.stride.setValue(2)
    assert seen and seen[0] == (True, "computing…")
    assert window.doc.scene.config.stride == (2, 2)
    assert not window.busy.bar.isVisible() and not window.doc.busy


def test_hovering_x_pad_names_the_x_pad_cell_and_its_value(window, qtbot):
    from tests.gui.conftest import cell_point
    window.editors.input.set_cell_value((0, 0, 0, 0), 3.5)     # X[0, 0] = 3.5; with padding 1 it sits at X_pad[1, 1]
    qtbot.waitUntil(lambda: not window.doc.busy)       # a slow first computation goes to the worker
    window.doc.set_path("forward")
    window.doc.set_position(1)
    xp = next(v for v in window.stage.views if v.role.name == "X_pad")

    def hover(y, x):
        """Move the mouse onto X_pad[y, x] (again, until the status bar follows) and read the status bar."""
        target, moves = cell_point(xp, y, x), []

        def nudge():                                   # Qt drops a move to where the mouse already is
            moves.append(1)
            return QtCore.QPoint(target.x() + len(moves) % 2, target.y())
        qtbot.waitUntil(lambda: (qtbot.mouseMove(xp.glw.viewport(), nudge()),
                                 window.statusBar().currentMessage().startswith(f"X_pad[0, 0, {y}, {x}]"))[1])
        return window.statusBar().currentMessage()
    assert hover(1, 1) == "X_pad[0, 0, 1, 1] = 3.5"
    assert hover(0, 2) == "X_pad[0, 0, 0, 2] = 0 — padding: a zero added around the input"   # says what it is


def test_a_tensor_keeps_its_colour_map_while_it_fills_up(window, qtbot):
    """The default scene's Z has negative values (worked out from the results, not the views), so Z
    is drawn on the diverging scale on every step of the forward pass, from its first cell on."""
    assert float(window.doc.results.z.min()) < 0 < float(window.doc.results.z.max())
    window.doc.set_path("forward")
    qtbot.keyClick(window, QtCore.Qt.Key_Home)
    maps = set()
    for _ in range(window.doc.path().n_positions):
        z = [v for v in window.stage.views if v.isVisible() and v.role.name == "Z"]
        maps |= {v._shown["cmap"] for v in z}
        qtbot.keyClick(window, QtCore.Qt.Key_Right)
    from convviz.gui.tensorview import DIVERGING
    assert maps == {DIVERGING}


def test_presentation_mode_gives_the_whole_screen_to_the_stage(window, qtbot):
    """F11 hides every dock (the editors, the Network tab beside them, the three-ways dock), so the
    heatmaps grow with the fonts; leaving brings the docks back with the Editors tab in front."""
    window.doc.set_path("forward")
    window.doc.set_position(1)
    window.network.raise_()
    QtWidgets.QApplication.processEvents()
    qtbot.keyClick(window, QtCore.Qt.Key_F11)
    QtWidgets.QApplication.processEvents()
    assert window.presenting
    assert not window.editors.isVisible() and not window.network.isVisible() and not window.three_ways.isVisible()
    assert window.stage.width() >= 0.95 * window.centralWidget().width()
    assert window.stage.width() >= 0.9 * window.width()
    qtbot.keyClick(window, QtCore.Qt.Key_F11)
    QtWidgets.QApplication.processEvents()
    assert not window.presenting
    assert window.editors.isVisible() and not window.editors.visibleRegion().isEmpty()
    assert window.network.visibleRegion().isEmpty()         # tabbed behind the editors

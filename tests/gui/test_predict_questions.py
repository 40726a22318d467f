"""Predict mode asks a real question (#14, item 7): the student answers by clicking cells (or a
sign), and the answer is scored; answers worked out by hand from the definition."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from tests.gui.conftest import cell_point, lit_cells


def _scene() -> Scene:
    """X 5×5, kernel 2×2, stride 3, padding 1: Z and dZ are 2×2; dZ↑0 holds dZ[i, j] at (3i, 3j)."""
    x = np.arange(1, 26, dtype=np.float32).reshape(1, 1, 5, 5)
    w = np.array([[[[1, 2], [-1, 1]]]], np.float32)
    return Scene(x, w, None, config=BlockConfig(stride=(3, 3), padding=(1, 1), pool="none",
                                                activation="identity", loss="sum"))


def _view(window, name):
    return next(v for v in window.stage.views if v.isVisible() and v.role.name == name)


def _click(qtbot, view, y, x):
    qtbot.mouseClick(view.glw.viewport(), QtCore.Qt.LeftButton, pos=cell_point(view, y, x))


def _start(window, qtbot, path, downs=0):
    window.doc.set_scene(_scene())
    window.doc.set_path(path)
    qtbot.keyClick(window, QtCore.Qt.Key_P)                 # View ▸ Predict
    qtbot.keyClick(window, QtCore.Qt.Key_Home)
    for _ in range(downs):
        qtbot.keyClick(window, QtCore.Qt.Key_Down)
    assert window.predicting and window.predict.isVisible()


def test_which_window_cells_hold_a_dz_value(window, qtbot):
    _start(window, qtbot, "dx-gather", downs=3)             # insert, pad, flip, then correlate dX[0,0,0,0]
    panel = window.predict
    assert "dX[0, 0, 0, 0]" in panel.text.text()
    pad = _view(window, "dZ_pad")
    assert pad.zeros.kinds is None                          # the marks would give the answer away
    assert lit_cells(pad, "field") == {(0, 0), (0, 1), (1, 0), (1, 1)}      # the window is the question
    # by hand: the window reads dZ_pad rows 0–1 and columns 0–1; only (0, 0) = dZ[0, 0] holds a value
    _click(qtbot, pad, 0, 1)
    _click(qtbot, pad, 0, 0)
    assert lit_cells(pad, "answer") == {(0, 0), (0, 1)}
    _click(qtbot, pad, 0, 1)                                # a second click takes a cell back
    assert lit_cells(pad, "answer") == {(0, 0)}
    qtbot.mouseClick(panel.check, QtCore.Qt.LeftButton)
    assert panel.score.text() == "Right: all 1 cell(s)."
    assert not window.stage.formula.text().endswith("?") and pad.zeros.kinds is not None   # revealed
    assert panel.isVisible() and not panel.check.isVisible()
    qtbot.keyClick(window, QtCore.Qt.Key_Right)             # the next cell, dX[0,0,0,1]: asked afresh
    assert "dX[0, 0, 0, 1]" in panel.text.text() and panel.score.text() == ""
    # by hand: its window is rows 0–1, columns 1–2 of dZ_pad: no (3i, 3j) there, all zeros inserted
    _click(qtbot, _view(window, "dZ_pad"), 0, 1)
    qtbot.mouseClick(panel.check, QtCore.Qt.LeftButton)
    assert panel.score.text() == "Not quite: 0 right, 1 that do not belong."


def test_which_x_pad_cells_a_dw_tap_reads(window, qtbot):
    _start(window, qtbot, "dw")                                  # dW[0,0,0,0]
    xp = _view(window, "X_pad")
    assert lit_cells(xp, "field") == set()                       # the outline is the answer: off
    for y, x in ((0, 0), (0, 3), (3, 0), (3, 3)):                # X_pad[3i + 0, 3j + 0] for i, j in 0, 1
        _click(qtbot, xp, y, x)
    qtbot.mouseClick(window.predict.check, QtCore.Qt.LeftButton)
    assert window.predict.score.text() == "Right: all 4 cell(s)."
    assert lit_cells(xp, "field") == {(0, 0), (0, 3), (3, 0), (3, 3)}    # revealed


def test_a_stamp_asks_the_sign_of_a_product(window, qtbot):
    _start(window, qtbot, "dx-scatter")                          # the stamp of dZ[0,0,0,0]
    panel = window.predict
    dz = float(window.doc.results.dz[0, 0, 0, 0])
    assert panel.text.text() == "Is dZ[0, 0, 0, 0] · W[0, 0, 0, 0] positive, negative or zero?"
    sign = int(np.sign(dz * 1.0))                                # W[0,0,0,0] = 1
    wrong = 1 if sign != 1 else -1
    qtbot.mouseClick(panel.signs[wrong], QtCore.Qt.LeftButton)
    assert panel.score.text().startswith("Not quite")
    qtbot.keyClick(window, QtCore.Qt.Key_Right)                  # next stamp, asked afresh
    dz1 = float(window.doc.results.dz[0, 0, 0, 1])
    assert panel.text.text() == "Is dZ[0, 0, 0, 1] · W[0, 0, 0, 0] positive, negative or zero?"
    qtbot.mouseClick(panel.signs[int(np.sign(dz1))], QtCore.Qt.LeftButton)
    assert panel.score.text().startswith("Right")

"""Zeros that say what they are (#14, item 3): padding, inserted zeros, cells no window reaches
and real zeros are marked apart on the heatmaps, against layouts worked out by hand."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from convviz.core import zeros
from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from tests.gui.conftest import cell_point

V, Z0, PAD, INS, UN = zeros.VALUE, zeros.ZERO, zeros.PADDING, zeros.INSERTED, zeros.UNREACHED


def _scene() -> Scene:
    """X 5×5, kernel 2×2, stride 3, padding 1: X_pad 7×7, Z 2×2; the windows read padded rows
    0, 1, 3, 4 (and columns), so X rows 1 and 4 (padded 2 and 5) are never reached."""
    x = np.arange(1, 26, dtype=np.float32).reshape(1, 1, 5, 5)
    x[0, 0, 0, 3] = 0                                    # a real zero, at padded (1, 4)
    w = np.array([[[[1, 2], [-1, 1]]]], np.float32)
    return Scene(x, w, None, config=BlockConfig(stride=(3, 3), padding=(1, 1), pool="none",
                                                activation="identity", loss="sum"))


def _view(window, name):
    return next(v for v in window.stage.views if v.isVisible() and v.role.name == name)


def _marked(view, kind) -> set:
    """The (y, x) cells whose centre the overlay of ``kind`` paints."""
    item = view.zeros._items[kind]
    if not item.isVisible():
        return set()
    h, w = view.zeros.kinds.shape
    return {(y, x) for y in range(h) for x in range(w) if item.path().contains(QtCore.QPointF(x + 0.5, y + 0.5))}


def test_x_pad_marks_padding_unreached_rows_and_real_zeros(window, qtbot):
    window.doc.set_scene(_scene())
    window.doc.set_path("forward")
    qtbot.keyClick(window, QtCore.Qt.Key_Home)
    xp = _view(window, "X_pad")
    # by hand: padding on the border; padded rows/columns 2 and 5 never reached; (1, 4) a real zero
    axis = [PAD, V, UN, V, V, UN, PAD]
    expected = np.array([[PAD if PAD in (a, b) else UN if UN in (a, b) else V for b in axis] for a in axis])
    expected[1, 4] = Z0
    np.testing.assert_array_equal(xp.zeros.kinds, expected)
    assert _marked(xp, PAD) == {(y, x) for y in range(7) for x in range(7) if PAD in (axis[y], axis[x])}
    assert _marked(xp, UN) == {(y, x) for y in range(1, 6) for x in range(1, 6) if UN in (axis[y], axis[x])}
    assert "padding" in window.stage.legend.text() and "inserted zero" in window.stage.legend.text()


def test_dz_pad_marks_inserted_zeros_and_the_leftover(window, qtbot):
    window.doc.set_scene(_scene())
    window.doc.set_path("dx-gather")
    qtbot.keyClick(window, QtCore.Qt.Key_Home)
    qtbot.keyClick(window, QtCore.Qt.Key_Down)          # the pad stage: dZ↑0 and dZ_pad
    ins = _view(window, "dZ↑0")
    axis = [V, INS, INS, V]                              # dZ 2×2 with 2 zeros inserted between
    np.testing.assert_array_equal(ins.zeros.kinds, [[INS if INS in (a, b) else V for b in axis] for a in axis])
    # pad d(k−1) − p = 0 before, 0 + a after with a = 7 − ((2−1)·3 + 1 + 1) = 2 rows never reached
    pad = _view(window, "dZ_pad")
    axis = [V, INS, INS, V, UN, UN]
    rank = {V: 0, UN: 1, INS: 2}
    expected = [[max(a, b, key=rank.get) for b in axis] for a in axis]
    np.testing.assert_array_equal(pad.zeros.kinds, expected)
    assert _marked(pad, INS) == {(y, x) for y in range(6) for x in range(6) if expected[y][x] == INS}


def test_hovering_a_dx_cell_never_reached_says_why(window, qtbot):
    window.doc.set_scene(_scene())
    window.doc.set_path("dx-gather")
    qtbot.keyClick(window, QtCore.Qt.Key_End)
    dx = _view(window, "dX")
    axis = [V, UN, V, V, UN]                               # X rows 1 and 4 are padded rows 2 and 5
    unreached = {(y, x) for y in range(5) for x in range(5) if UN in (axis[y], axis[x])}
    assert {tuple(c) for c in np.argwhere(dx.zeros.kinds == UN)} == unreached

    target, moves = cell_point(dx, 4, 0), []

    def nudge():                                   # Qt drops a move to where the mouse already is
        moves.append(1)
        return QtCore.QPoint(target.x() + len(moves) % 2, target.y())
    qtbot.waitUntil(lambda: (qtbot.mouseMove(dx.glw.viewport(), nudge()),
                             window.statusBar().currentMessage().startswith("dX[0, 0, 4, 0]"))[1])
    text = window.statusBar().currentMessage()
    assert "row 4 lies after the last window" in text and "gradient is 0" in text

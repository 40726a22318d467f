"""Small multiples (#14, item 1): one panel per channel or sample a sum runs over, with its
subtotal; the subtotals add up to the value, all checked against sums written from the definition."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from tests.gui.conftest import type_into

N, CIN, COUT, P = 2, 2, 3, 1


def _scene(n: int = N) -> Scene:
    rng = np.random.default_rng(7)
    x = rng.integers(-3, 4, (n, CIN, 6, 6)).astype(np.float32)
    w = rng.integers(-2, 3, (COUT, CIN, 3, 3)).astype(np.float32)
    return Scene(x, w, np.arange(COUT, dtype=np.float32), config=BlockConfig(padding=(P, P), loss="sum"))


def _keys(window, qtbot, *keys) -> None:
    for key in keys:
        qtbot.keyClick(window, key)


def _shown_subtotals(window) -> list[float]:
    """The numbers the panels' captions print after 'subtotal'."""
    m = window.stage.multiples
    assert m.isVisible()
    out = []
    for view, caption in m.panels:
        if caption.parentWidget().isVisible():
            out.append(float(caption.text().rsplit("subtotal ", 1)[1].replace("−", "-")))
    return out


def _x_pad(x):
    return np.pad(x.astype(np.float64), ((0, 0), (0, 0), (P, P), (P, P)))


def test_forward_z_adds_one_subtotal_per_input_channel(window, qtbot):
    window.doc.set_scene(_scene())
    window.doc.set_path("forward")
    k = 3 * 6 + 2                                       # Z[0, 0, 3, 2]
    _keys(window, qtbot, QtCore.Qt.Key_Home, QtCore.Qt.Key_Down, *[QtCore.Qt.Key_Right] * k)
    x, w, b = window.doc.scene.x, window.doc.scene.w, window.doc.scene.b
    xp = _x_pad(x)
    per_c = [float((xp[0, c, 3:6, 2:5] * w[0, c]).sum()) for c in range(CIN)]    # the definition, by channel
    subs = _shown_subtotals(window)
    assert subs == per_c
    assert sum(subs) + b[0] == pytest.approx(float(window.doc.results.z[0, 0, 3, 2]))
    assert "[c=0]" in window.stage.formula.text() and "[c=1]" in window.stage.formula.text()
    # each panel shows its own channel's window (3×3 cells lit)
    for c, (view, _caption) in enumerate(window.stage.multiples.panels[:CIN]):
        assert view.index[:2] == (0, c)
        assert view._outlines["field"].isVisible()


def test_dx_adds_one_subtotal_per_output_channel(window, qtbot):
    window.doc.set_scene(_scene())
    window.doc.set_path("dx-gather")
    k = 3 * 6 + 2                                       # dX[0, 0, 3, 2]
    _keys(window, qtbot, QtCore.Qt.Key_Home, QtCore.Qt.Key_Down, QtCore.Qt.Key_Down,
          *[QtCore.Qt.Key_Right] * k)
    dz, w = window.doc.results.dz.astype(np.float64), window.doc.scene.w
    per_q = []
    for q in range(COUT):                              # dX[n,c,y,x] = Σ dZ[n,q,i,j]·W[q,c,m,n′], y = i + m − p
        s = 0.0
        for i in range(6):
            for j in range(6):
                m, nn = 3 + P - i, 2 + P - j
                if 0 <= m < 3 and 0 <= nn < 3:
                    s += dz[0, q, i, j] * w[q, 0, m, nn]
        per_q.append(s)
    subs = _shown_subtotals(window)
    assert subs == pytest.approx(per_q)
    assert sum(subs) == pytest.approx(float(window.doc.results.dx[0, 0, 3, 2]))


@pytest.mark.parametrize("path", ["dw", "db"])
def test_dw_and_db_add_one_subtotal_per_sample(window, qtbot, path):
    window.doc.set_scene(_scene())
    window.doc.set_path(path)
    _keys(window, qtbot, QtCore.Qt.Key_Home, QtCore.Qt.Key_Right, QtCore.Qt.Key_Left)   # step 0: tap or q = 0
    dz, xp = window.doc.results.dz.astype(np.float64), _x_pad(window.doc.scene.x)
    if path == "dw":                                  # dW[0,0,0,0] = Σ_n Σ_ij X_pad[n,0,i,j]·dZ[n,0,i,j]
        per_n = [float((xp[n, 0, :6, :6] * dz[n, 0]).sum()) for n in range(N)]
        value = window.doc.results.dw[0, 0, 0, 0]
    else:
        per_n = [float(dz[n, 0].sum()) for n in range(N)]
        value = window.doc.results.db[0]
    subs = _shown_subtotals(window)
    assert subs == pytest.approx(per_n)
    assert sum(subs) == pytest.approx(float(value))


def test_a_step_in_another_plane_keeps_its_highlights_when_n_c_are_chosen(window, qtbot):
    """One input channel: no sum over channels, but with n / c chosen by hand the step's plane gets a panel."""
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (2, 1, 5, 5)).astype(np.float32)
    w = rng.integers(-2, 3, (1, 1, 3, 3)).astype(np.float32)
    window.doc.set_scene(Scene(x, w, None, config=BlockConfig(loss="sum")))
    window.doc.set_path("forward")
    _keys(window, qtbot, QtCore.Qt.Key_Home, QtCore.Qt.Key_Down)
    assert not window.stage.multiples.isVisible()          # following the step: everything is on screen
    type_into(qtbot, window.path_bar.sel_n, "1")               # show sample 1; the step works in sample 0
    m = window.stage.multiples
    assert m.isVisible()
    view = m.panels[0][0]
    assert view.index[:2] == (0, 0) and view._outlines["field"].isVisible()


def test_a_new_scene_follows_the_step_again_and_one_channel_gets_no_panel(window, qtbot):
    """n chosen by hand in a batch of 2, then File → New (one sample, one channel): the views follow
    the step again, and a step summing over a single channel shows no small multiple."""
    from importlib.resources import files
    lesson = files("convviz.resources.lessons") / "002-channels-and-batch.json"
    assert window.files.open_path(lesson, ask=False, lesson=True)
    n = window.path_bar.sel_n
    qtbot.mouseClick(n, QtCore.Qt.LeftButton, pos=QtCore.QPoint(n.width() - 6, 4))
    assert n.value() == 1 and not window.path_bar.follow.isChecked()
    qtbot.keyClick(window, QtCore.Qt.Key_N, QtCore.Qt.ControlModifier)          # File → New
    assert window.path_bar.follow.isChecked()
    assert window.doc.scene.x.shape[:2] == (1, 1)
    window.doc.set_path("forward")
    window.doc.set_position(2)                       # a slide step: Z = Σ over the one input channel
    assert not window.stage.multiples.isVisible()
    window.path_bar.follow.setChecked(False)         # chosen plane (0, 0) is the step's own plane
    assert not window.stage.multiples.isVisible()

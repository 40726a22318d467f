"""One value three ways (#14, item 4): clicking a dX cell or a dW tap opens a dock whose
gather products, scatter stamps and Jᵀ row each add up to the value written from the definition."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from convviz.core.pipeline import BlockConfig
from convviz.core.scene import Scene
from tests.gui.conftest import cell_point, lit_cells

N, CIN, COUT, P = 2, 2, 3, 1


def _scene(**config) -> Scene:
    rng = np.random.default_rng(7)
    x = rng.integers(-3, 4, (N, CIN, 6, 6)).astype(np.float32)
    w = rng.integers(-2, 3, (COUT, CIN, 3, 3)).astype(np.float32)
    return Scene(x, w, np.arange(COUT, dtype=np.float32),
                 config=BlockConfig(padding=(P, P), loss="sum", **config))


def _num(text: str) -> float:
    return float(text.replace("−", "-"))


def _view(window, name):
    return next(v for v in window.stage.views if v.isVisible() and v.role.name == name)


def _click(qtbot, view, y, x):
    qtbot.mouseClick(view.glw.viewport(), QtCore.Qt.LeftButton, pos=cell_point(view, y, x))


def _dx_by_definition(dz, w, n, c, y, x, stride=1):
    """dX[n,c,y,x] = Σ_q Σ_i Σ_j dZ[n,q,i,j] · W[q,c,m,n′] where s·i + m − p = y, s·j + n′ − p = x."""
    total = 0.0
    for q in range(w.shape[0]):
        for i in range(dz.shape[2]):
            for j in range(dz.shape[3]):
                m, nn = y + P - stride * i, x + P - stride * j
                if 0 <= m < w.shape[2] and 0 <= nn < w.shape[3]:
                    total += float(dz[n, q, i, j]) * float(w[q, c, m, nn])
    return total


@pytest.mark.parametrize("stride", [1, 2])
def test_clicking_a_dx_cell_shows_it_three_ways(window, qtbot, stride):
    window.doc.set_scene(_scene(stride=(stride, stride)))
    window.doc.set_path("dx-gather")
    qtbot.keyClick(window, QtCore.Qt.Key_End)
    dx = _view(window, "dX")
    n, c = dx.index[:2]
    _click(qtbot, dx, 3, 2)
    dock = window.three_ways
    assert dock.isVisible()
    expected = _dx_by_definition(window.doc.results.dz, window.doc.scene.w, n, c, 3, 2, stride)
    assert dock.title.text() == f"dX[{n}, {c}, 3, 2] = {expected:g}".replace("-", "−")
    gather = dock.table_rows(0)           # dZ_pad cell, dZ, W′ cell, W′, product
    for row in gather:
        assert _num(row[1]) * _num(row[3]) == _num(row[4])
    assert sum(_num(r[4]) for r in gather) == pytest.approx(expected)
    stamps = dock.table_rows(1)           # dZ cell, W tap, dZ·W = stamp, before, after
    running = 0.0
    for row in stamps:
        stamp = _num(row[2].rsplit(" = ", 1)[1])
        assert _num(row[3]) == running and _num(row[4]) == running + stamp
        running += stamp
    assert running == pytest.approx(expected)
    jt = dock.table_rows(2)               # Z cell, Jᵀ entry, dZ, product
    assert sum(_num(r[1]) * _num(r[2]) for r in jt) == pytest.approx(expected)
    # choosing a gather row lights its dZ_pad cell in the stage
    pad = _view(window, "dZ_pad")
    cells = [tuple(int(v) for v in r[0][len("dZ_pad["):-1].split(", ")) for r in gather]
    row = next(i for i, cell in enumerate(cells) if cell[:2] == tuple(pad.index[:2]))
    table = dock.ways[0][1]
    table.scrollToItem(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), QtCore.Qt.LeftButton, pos=table.visualItemRect(table.item(row, 0)).center())
    assert lit_cells(pad) == {cells[row][2:]}


def test_clicking_a_dw_tap_shows_it_three_ways(window, qtbot):
    window.doc.set_scene(_scene())
    window.doc.set_path("dw")
    qtbot.keyClick(window, QtCore.Qt.Key_Home)
    dw = _view(window, "dW")
    q, c = dw.index[:2]
    _click(qtbot, dw, 1, 2)
    xp = np.pad(window.doc.scene.x.astype(np.float64), ((0, 0), (0, 0), (P, P), (P, P)))
    dz = window.doc.results.dz.astype(np.float64)
    expected = float((xp[:, c, 1:7, 2:8] * dz[:, q]).sum())    # dW[q,c,1,2] = Σ_n Σ_ij X_pad[n,c,i+1,j+2]·dZ[n,q,i,j]
    dock = window.three_ways
    assert dock.isVisible() and dock.title.text().startswith(f"dW[{q}, {c}, 1, 2]")
    for way in range(3):
        rows = dock.table_rows(way)
        assert len(rows) == N * 36
        assert sum(_num(r[4]) for r in rows) == pytest.approx(expected)


def test_the_dock_follows_an_edit(window, qtbot):
    window.doc.set_scene(_scene())
    window.doc.set_path("dx-gather")
    qtbot.keyClick(window, QtCore.Qt.Key_End)
    dx = _view(window, "dX")
    _click(qtbot, dx, 0, 0)
    before = window.three_ways.title.text()
    w = window.doc.scene.w * 2
    window.doc.edit("double W", tensors={"w": w})
    n, c = dx.index[:2]
    expected = _dx_by_definition(window.doc.results.dz, w, n, c, 0, 0)
    after = window.three_ways.title.text()
    assert after != before or expected == 0
    assert after.endswith(f"= {expected:g}".replace("-", "−"))

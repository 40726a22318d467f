"""The window as ``convviz`` builds it, with its settings and autosave in the test's folder,
and helpers that drive it with real mouse and key events."""
from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from convviz.gui.app import make_window
from convviz.gui.tensorview import plane_of


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, cl_engine):
    """The window, computing on the GUI thread so that an edit's results are there when it returns.

    Whether an edit goes to the worker thread depends on how long the last computation took,
    which on a loaded machine would make every assertion after an edit a race; the tests of
    the worker thread turn ``doc.asynchronous`` back on themselves.
    """
    monkeypatch.setenv("CONVVIZ_DATA_DIR", str(tmp_path / "data"))
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.IniFormat, QtCore.QSettings.UserScope, str(tmp_path / "settings"))
    win = make_window(fresh=True)
    win.doc.asynchronous = False
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # qtbot has closed the window and asked for its deletion by now; delete it here, or the
    # first event loop of a later test (a waitSignal, a waitUntil) pays for every window before
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)


def cell_point(view, y, x):
    """Where cell (y, x) of a tensor view is, in its viewport's coordinates."""
    QtWidgets.QApplication.processEvents()          # views just shown get their final geometry
    scene_pt = view.plot.vb.mapViewToScene(QtCore.QPointF(x + 0.5, y + 0.5))
    return view.glw.mapFromScene(scene_pt)


def lit_cells(view, kind: str = "link") -> set[tuple[int, int]]:
    """The (y, x) cells of the plane on screen whose centre lies inside the ``kind`` outline."""
    item = view._outlines[kind]
    if not item.isVisible() or view.data is None:
        return set()
    path = item.path()
    h, w = plane_of(view.data, view.index).shape
    return {(y, x) for y in range(h) for x in range(w) if path.contains(QtCore.QPointF(x + 0.5, y + 0.5))}


def type_into(qtbot, spin, text: str) -> None:
    """Click a spin box, select what it shows, type ``text`` and press Enter, as a person does."""
    qtbot.mouseClick(spin.lineEdit(), QtCore.Qt.LeftButton)
    qtbot.keyClick(spin, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, QtCore.Qt.Key_Return)


def choose(qtbot, combo, index: int) -> None:
    """Open a combo box's list with the mouse, walk to item ``index`` with ↓ and press Enter."""
    qtbot.mouseClick(combo, QtCore.Qt.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    for _ in range(index - combo.currentIndex()):
        qtbot.keyClick(view, QtCore.Qt.Key_Down)
    qtbot.keyClick(view, QtCore.Qt.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible())

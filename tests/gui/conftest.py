"""The window as ``convviz`` builds it, with its settings and autosave in the test's folder."""
from __future__ import annotations

import pytest
from PySide6 import QtCore

from convviz.gui.app import make_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, cl_engine):
    monkeypatch.setenv("CONVVIZ_DATA_DIR", str(tmp_path / "data"))
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.IniFormat)
    QtCore.QSettings.setPath(QtCore.QSettings.IniFormat, QtCore.QSettings.UserScope, str(tmp_path / "settings"))
    win = make_window(fresh=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def cell_point(view, y, x):
    """Where cell (y, x) of a tensor view is, in its viewport's coordinates."""
    scene_pt = view.plot.vb.mapViewToScene(QtCore.QPointF(x + 0.5, y + 0.5))
    return view.glw.mapFromScene(scene_pt)

"""The headless export draws each step with the window's own StageView, and leaves nothing behind."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6 import QtCore, QtGui, QtWidgets

from convviz import export
from convviz.cli import main
from convviz.core.scene import load_scene
from convviz.gui import exporting
from convviz.gui.stage_view import StageView

LESSON = Path(__file__).resolve().parents[2] / "resources" / "lessons" / "002-stride-2-inserted-zeros.json"


def _rgb(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format_RGB888)
    a = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * img.height())
    return a.reshape(img.height(), img.bytesPerLine())[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def _stage_views() -> list:
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
    return [w for w in QtWidgets.QApplication.allWidgets() if isinstance(w, StageView)]


@pytest.mark.parametrize("path,position", [("dx-gather", 3), ("dw", 0), ("forward", 7)])
def test_an_exported_step_is_the_picture_of_the_step_in_the_window(window, tmp_path, path, position):
    assert window.files.open_lesson(LESSON)
    window.doc.set_path(path)
    window.doc.set_position(position)
    QtWidgets.QApplication.processEvents()
    on_screen = _rgb(exporting.render_stage(window.stage, 800))
    scene = load_scene(LESSON)
    (png,) = export.render_path(export.step_model(scene), path, tmp_path, "png", 800, [position],
                                title=scene.title, text=scene.text)
    with Image.open(png) as im:
        exported = np.asarray(im.convert("RGB"))
    assert exported.shape == on_screen.shape
    differ = np.argwhere((exported != on_screen).any(axis=2))
    assert differ.size == 0, f"{len(differ)} pixels differ, the first at (y, x) = {tuple(map(int, differ[0]))}"


def test_an_export_in_process_leaves_no_widget_behind(qapp, tmp_path, cl_engine):
    before = set(QtWidgets.QApplication.topLevelWidgets())
    assert _stage_views() == []
    scene = load_scene(LESSON)
    files = export.render_path(export.step_model(scene), "dw", tmp_path / "gif", "gif", 400)
    assert [f.name for f in files] == ["dw.gif"]
    assert _stage_views() == []
    code = main(["export", str(LESSON), "--path", "db", "--out", str(tmp_path / "svg"), "--format", "svg"])
    assert code == 0 and sorted(p.suffix for p in (tmp_path / "svg").iterdir()) == [".svg"]
    assert _stage_views() == []
    assert set(QtWidgets.QApplication.topLevelWidgets()) <= before


def test_a_failed_export_leaves_no_widget_behind(qapp, tmp_path, cl_engine):
    scene = load_scene(LESSON)
    with pytest.raises(ValueError, match="step 99 is not on the db path"):
        export.render_path(export.step_model(scene), "db", tmp_path, "png", 400, [99])
    assert _stage_views() == []
    assert list(tmp_path.iterdir()) == []

"""Export, lessons and presentation: what teachers and authors take away."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from convviz.core.lessons import LESSONS, lesson_files, lessons_dir
from convviz.gui import exporting


def _pixels(img: QtGui.QImage) -> np.ndarray:
    img = img.convertToFormat(QtGui.QImage.Format_RGB888)
    ptr = img.constBits()
    a = np.frombuffer(ptr, np.uint8, img.bytesPerLine() * img.height()).reshape(img.height(), img.bytesPerLine())
    return a[:, :img.width() * 3].reshape(img.height(), img.width(), 3).astype(float)


def _svg_texts(path) -> list[str]:
    return re.findall(r"<text[^>]*>(.*?)</text>", path.read_text(), re.S)


def _shown_labels(win):
    path = win.doc.path()
    si, k = path.position(win.doc.position)
    return [s.label for s in path.stages[si].tensors_at(k)]


@pytest.mark.parametrize("width,dpi", [(1920, None), (exporting.print_width(16), 300)])
def test_the_composite_png_has_the_requested_size_and_is_not_blank(window, tmp_path, width, dpi):
    window.doc.set_path("forward")
    window.doc.set_position(3)
    out = tmp_path / "step.png"
    window.exports.export_step(out, width=width, dpi=dpi)
    img = QtGui.QImage(str(out))
    assert img.width() == width and img.height() > width / 4
    if dpi:
        assert round(img.dotsPerMeterX() * 0.0254) == 300 and width == 1890          # 16 cm at 300 dpi
    px = _pixels(img)
    packed = (px[..., 0] * 65536 + px[..., 1] * 256 + px[..., 2]).astype(np.int64)
    assert px.std() > 20 and len(np.unique(packed)) > 50


@pytest.mark.parametrize("path,position", [("forward", 3), ("dx-gather", 6), ("pool", 2)])
def test_the_composite_svg_holds_every_tensor_of_the_step_and_the_formula(window, tmp_path, path, position):
    window.doc.set_path(path)
    window.doc.set_position(position)
    out = tmp_path / "step.svg"
    window.exports.export_step(out)
    texts = " ".join(_svg_texts(out))
    labels = _shown_labels(window)
    assert len(labels) >= 2
    for label in labels:
        assert label in texts, label
    assert window.stage.title.text() in texts
    last_formula_line = window.stage.formula.text().splitlines()[-1]
    assert last_formula_line.split(" = ")[0] in texts


def test_right_click_exports_one_view_as_png_or_svg(window, tmp_path):
    window.doc.set_path("forward")
    window.doc.set_position(1)
    view = next(v for v in window.stage.views if v.role.name == "Z")
    actions = [a.text() for a in view.context_menu().actions()]
    assert actions == ["Export view as PNG…", "Export view as SVG…", "Copy view"]
    view.export(tmp_path / "z.png", width=800)
    view.export(tmp_path / "z.svg")
    img = QtGui.QImage(str(tmp_path / "z.png"))
    assert img.width() == 800 and _pixels(img).std() > 20
    assert any(t.startswith("Z 1×1×") for t in _svg_texts(tmp_path / "z.svg"))
    with pytest.raises(ValueError, match="png or svg"):
        view.export(tmp_path / "z.bmp")


def test_the_step_and_the_pytorch_code_go_to_the_clipboard(window):
    window.exports.copy_step()
    img = QtWidgets.QApplication.clipboard().image()
    assert not img.isNull() and (img.width(), img.height()) == (exporting.DEFAULT_WIDTH, exporting.stage_size().height())
    code = window.exports.copy_torch_code()
    assert QtWidgets.QApplication.clipboard().text() == code
    assert code.startswith("# convviz") and "F.conv2d" in code and "loss.backward()" in code
    compile(code, "<clipboard>", "exec")


def test_a_path_exports_as_frames_and_gif_with_progress_and_cancel_writes_nothing(window, tmp_path, monkeypatch):
    window.doc.set_path("dw")
    window.doc.set_position(2)
    n = window.doc.path().n_positions
    files = window.exports.export_path(tmp_path / "png", "png", 640)
    assert [f.name for f in files] == [f"dw-{p:04d}.png" for p in range(n)]
    assert QtGui.QImage(str(files[0])).width() == 640
    assert window.doc.position == 2                                   # back where the teacher was
    (gif,) = window.exports.export_path(tmp_path / "gif", "gif", 480)
    from PIL import Image
    with Image.open(gif) as im:
        assert im.n_frames == n and im.width == 480
    calls = []
    monkeypatch.setattr(QtWidgets.QProgressDialog, "wasCanceled", lambda self: calls.append(1) or len(calls) >= 2)
    with pytest.raises(exporting.ExportCancelled):
        window.exports.export_path(tmp_path / "cancel", "png", 400)
    assert list((tmp_path / "cancel").iterdir()) == []


def test_the_tensors_export_as_npy_and_csv(window, tmp_path):
    files = window.exports.export_tensors(tmp_path / "t")
    names = {f.name for f in files}
    assert {"x.npy", "x.csv", "dw.npy", "dx.csv", "p.npy"} <= names
    np.testing.assert_array_equal(np.load(tmp_path / "t" / "dx.npy"), window.doc.results.dx)


def test_the_lessons_menu_opens_every_lesson_and_asks_before_discarding_work(window, monkeypatch):
    menu = next(m for m in window.menuBar().findChildren(QtWidgets.QMenu) if m.objectName() == "lessonsMenu")
    assert len(menu.actions()) == len(LESSONS) == len(lesson_files())
    stride = next(a for a in menu.actions() if "Stride 2" in a.text())
    stride.trigger()                                                    # nothing unsaved: no question
    assert window.doc.scene.title.startswith("Stride 2") and window.stage.lesson_banner.isVisible()
    assert window.files.file_path is None and window.doc.path_name == "dx-gather"
    x = window.doc.scene.x.copy()
    x[0, 0, 0, 0] = 9
    window.doc.edit("paint", tensors={"x": x})
    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: asked.append(a) or QtWidgets.QMessageBox.Cancel)
    assert not window.files.open_lesson(lessons_dir() / "002-average-pooling.json")
    assert asked and window.doc.scene.x[0, 0, 0, 0] == 9          # the work is still there
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: QtWidgets.QMessageBox.Discard)
    assert window.files.open_lesson(lessons_dir() / "002-average-pooling.json")
    assert window.doc.scene.title.startswith("Average pooling")


def test_predict_the_next_cell_hides_the_value_until_the_next_key(window, qtbot):
    window.files.open_lesson(lessons_dir() / "003-forward-padding-1.json")
    window.doc.set_path("forward")
    window.doc.set_position(8)
    window.menus.predict_action.setChecked(True)
    z = next(v for v in window.stage.views if v.role.name == "Z")
    assert window.stage.formula.text().endswith("= ?") and z._cover.isVisible()
    assert "?" in [t.toPlainText() for t in z._texts if t.isVisible()]
    qtbot.keyClick(window, QtCore.Qt.Key_Right)                       # reveal, stay
    assert window.doc.position == 8 and window.stage.formula.text().endswith("= 264") and not z._cover.isVisible()
    qtbot.keyClick(window, QtCore.Qt.Key_Right)                       # then move on, hidden again
    assert window.doc.position == 9 and window.stage.formula.text().endswith("= ?")
    window.menus.predict_action.setChecked(False)
    assert not window.stage.formula.text().endswith("= ?")


def test_predict_hides_only_the_stamps_unknowns(window, qtbot):
    window.files.open_lesson(lessons_dir() / "001-scope-of-impact.json")
    window.doc.set_path("dx-scatter")
    window.doc.set_position(0)
    step = window.doc.path().stages[0].step(0)
    revealed = window.stage.formula.text()
    window.menus.predict_action.setChecked(True)
    hidden = window.stage.formula.text()
    assert step.formula in hidden                                      # dZ and W, the givens, stay
    assert step.note not in hidden and "before + stamp = after" in hidden and " + ? = ?" in hidden
    qtbot.keyClick(window, QtCore.Qt.Key_Right)                       # reveal: the note is back
    assert window.stage.formula.text() == revealed


def test_v_toggles_the_values_in_the_cells(window, qtbot):
    window.doc.set_path("forward")
    window.doc.set_position(1)
    z = next(v for v in window.stage.views if v.role.name == "Z")
    assert any(t.isVisible() for t in z._texts)
    window.menus.values_action.trigger()
    assert not any(t.isVisible() for t in z._texts)
    window.menus.values_action.trigger()
    assert any(t.isVisible() for t in z._texts)


def test_presentation_mode_scales_fonts_and_uses_the_colour_blind_map(window, qtbot):
    window.toggle_presentation()
    before = window.font_scale
    window.scale_fonts(1.15)
    assert window.font_scale > before
    window.menus.cb_action.trigger()
    window.doc.set_path("dx-gather")
    window.doc.set_position(5)
    assert any(v.colorblind for v in window.stage.views if v.isVisible())
    qtbot.keyClick(window, QtCore.Qt.Key_PageDown)
    assert window.doc.position == 6
    qtbot.keyClick(window, QtCore.Qt.Key_Escape)
    assert not window.presenting and window.editors.isVisible()

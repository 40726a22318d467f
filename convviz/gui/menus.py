"""The menu bar: File, Lessons, Edit, View. The View menu's checkable actions are kept here."""
from __future__ import annotations

from PySide6 import QtCore, QtGui

from ..core.lessons import lesson_titles


def _checkable(menu, text: str, checked: bool = False, key: str | None = None):
    action = menu.addAction(text)
    action.setCheckable(True)
    action.setChecked(checked)
    if key:
        action.setShortcut(QtGui.QKeySequence(key))
    return action


class Menus:
    """Builds ``window``'s menus from its parts (``files``, ``exports``, ``doc``, ``stage``)."""

    def __init__(self, window):
        files, exports, bar = window.files, window.exports, window.menuBar()
        m = bar.addMenu("&File")
        for text, key, fn in (("&New", QtGui.QKeySequence.New, files.new_scene),
                              ("&Open…", QtGui.QKeySequence.Open, files.open_dialog),
                              ("&Save", QtGui.QKeySequence.Save, files.save),
                              ("Save &As…", QtGui.QKeySequence.SaveAs, files.save_as)):
            m.addAction(text, fn).setShortcut(key)
        m.addMenu(files.recent_menu)
        files.refresh_recent()
        m.addSeparator()
        m.addAction("Export step…", exports.export_step_dialog).setShortcut(QtGui.QKeySequence("Ctrl+E"))
        m.addAction("Export every step of the path…", exports.export_path_dialog)
        m.addAction("Export tensors (.npy, CSV)…", exports.export_tensors_dialog)
        m.addSeparator()
        m.addAction("Quit", window.close).setShortcut(QtGui.QKeySequence.Quit)
        lessons_menu = bar.addMenu("&Lessons")
        lessons_menu.setObjectName("lessonsMenu")
        for f, title in lesson_titles():
            lessons_menu.addAction(title, lambda f=f: files.open_lesson(f))
        e = bar.addMenu("&Edit")
        undo = window.doc.undo_action(window)
        undo.setShortcut(QtGui.QKeySequence("Ctrl+Z"))
        undo.setShortcutContext(QtCore.Qt.WindowShortcut)      # keys.ClassroomKeys keeps spin boxes off it
        redo = window.doc.redo_action(window)
        redo.setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"), QtGui.QKeySequence("Ctrl+Y")])
        redo.setShortcutContext(QtCore.Qt.WindowShortcut)
        e.addAction(undo)
        e.addAction(redo)
        e.addSeparator()
        e.addAction("Copy step as image", exports.copy_step).setShortcut(QtGui.QKeySequence("Ctrl+Shift+C"))
        e.addAction("Copy as PyTorch code", exports.copy_torch_code)
        v = bar.addMenu("&View")
        self.values_action = _checkable(v, "Values in cells", True, "V")
        self.values_action.triggered.connect(window.show_position)
        self.legend_action = _checkable(v, "Legend", True)
        self.legend_action.toggled.connect(window.stage.legend.setVisible)
        self.cb_action = _checkable(v, "Colour-blind-safe colours")
        self.cb_action.triggered.connect(window.show_position)
        self.predict_action = _checkable(v, "Predict the next cell", False, "P")
        self.predict_action.toggled.connect(window.show_position)
        self.predict_action.setToolTip("hide the value each step computes until the next → (or PageDown, space)")
        v.addAction("Presentation mode", window.toggle_presentation).setShortcut(QtGui.QKeySequence("F11"))
        v.addAction("Larger", lambda: window.scale_fonts(1.15)).setShortcut(QtGui.QKeySequence("Ctrl+="))
        v.addAction("Smaller", lambda: window.scale_fonts(1 / 1.15)).setShortcut(QtGui.QKeySequence("Ctrl+-"))

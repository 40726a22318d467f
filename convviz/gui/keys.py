"""Keyboard and wheel rules for a window used in front of a class.

One application event filter, so no widget that happens to hold the focus (a scroll
area, a combo box, the kernel table) can swallow them:

- the step keys (←/→, PageUp/PageDown, space, Home/End, ↑/↓) step whenever the window
  is active, except while someone types in a text field; a spin box people click rather
  than type into (the n / c selectors, marked ``PASSES_STEP_KEYS``) keeps only ↑/↓;
- Enter in a spin box sets its value and hands the keys back to the stage, so → steps next;
- the wheel over a spin box or combo box that has not been clicked scrolls the panel
  instead of changing a value;
- Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y undo and redo the scene even when a spin box (which has
  its own text undo) holds the focus.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

STEP_KEYS = (QtCore.Qt.Key_Left, QtCore.Qt.Key_Right, QtCore.Qt.Key_PageUp, QtCore.Qt.Key_PageDown,
             QtCore.Qt.Key_Up, QtCore.Qt.Key_Down, QtCore.Qt.Key_Home, QtCore.Qt.Key_End, QtCore.Qt.Key_Space,
             QtCore.Qt.Key_Escape)
UNDO_REDO = (QtGui.QKeySequence.Undo, QtGui.QKeySequence.Redo)
TEXT_ENTRY = (QtWidgets.QLineEdit, QtWidgets.QAbstractSpinBox, QtWidgets.QTextEdit, QtWidgets.QPlainTextEdit)
WHEEL_GUARDED = (QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox)
ENTER = (QtCore.Qt.Key_Return, QtCore.Qt.Key_Enter)
PASSES_STEP_KEYS = "passesStepKeys"     # a widget property: this spin box keeps ↑/↓ only


def is_text_entry(widget: QtWidgets.QWidget | None) -> bool:
    """A widget someone types into: a line edit, a spin box, a text box, an open table-cell editor."""
    w = widget
    while w is not None:
        if isinstance(w, TEXT_ENTRY):
            return True
        if isinstance(w, QtWidgets.QAbstractItemView) and w.state() == QtWidgets.QAbstractItemView.EditingState:
            return True
        if w.isWindow():
            break
        w = w.parentWidget()
    return False


def _owner(widget, kinds):
    """``widget`` if it is one of ``kinds``, or the one of ``kinds`` whose inner line edit it is."""
    if isinstance(widget, kinds):
        return widget
    if isinstance(widget, QtWidgets.QLineEdit) and isinstance(widget.parentWidget(), kinds):
        return widget.parentWidget()
    return None


def _spin_box(widget) -> QtWidgets.QAbstractSpinBox | None:
    return _owner(widget, QtWidgets.QAbstractSpinBox)


def _guarded(obj) -> QtWidgets.QWidget | None:
    """The spin box or combo box an event goes to (or the spin box of its inner line edit)."""
    return _owner(obj, WHEEL_GUARDED)


class ClassroomKeys(QtCore.QObject):
    """Installed on the application for one main window; ``window.step_key(key)`` does the stepping."""

    def __init__(self, window: QtWidgets.QMainWindow):
        super().__init__(window)
        self.window = window
        QtWidgets.QApplication.instance().installEventFilter(self)
        window.destroyed.connect(self._remove)

    def _remove(self, *_):
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def _ours(self, obj) -> bool:
        return isinstance(obj, QtWidgets.QWidget) and obj.window() is self.window

    def eventFilter(self, obj, ev):
        t = ev.type()
        if t == QtCore.QEvent.KeyPress:
            return self._key(obj, ev)
        if t == QtCore.QEvent.ShortcutOverride:
            if self._ours(obj) and any(ev.matches(k) for k in UNDO_REDO):
                ev.ignore()            # not the spin box's own text undo: the window's Undo / Redo
                return True
            return False
        if t == QtCore.QEvent.Wheel:
            box = _guarded(obj)
            if box is not None and not box.hasFocus() and self._ours(box):
                ev.ignore()            # goes on to the scroll area under it
                return True
        return False

    def _window_active(self) -> bool:
        """Our window is active, or a popup of ours that has closed (a combo box's list) is
        still marked active: the platform hands activation back later, or not at all."""
        active = QtWidgets.QApplication.activeWindow()
        if active is self.window:
            return True
        parent = active.parentWidget() if active is not None else None
        return active is not None and not active.isVisible() and parent is not None and parent.window() is self.window

    def _key(self, obj, ev) -> bool:
        focus = QtWidgets.QApplication.focusWidget()
        if ev.key() in ENTER and self._ours(obj) and _spin_box(obj) is not None and obj is focus:
            QtCore.QTimer.singleShot(0, self.window.stage.setFocus)     # after the box has taken its value
            return False
        if ev.key() not in STEP_KEYS or ev.modifiers() & ~QtCore.Qt.KeypadModifier:
            return False
        if not self._window_active() or QtWidgets.QApplication.activePopupWidget():
            return False
        if not self._ours(obj) and obj is not self.window.windowHandle():
            return False
        box = _spin_box(focus)
        clicked_only = box is not None and box.property(PASSES_STEP_KEYS) is True
        if clicked_only and ev.key() in (QtCore.Qt.Key_Up, QtCore.Qt.Key_Down):
            return False
        if not clicked_only and is_text_entry(focus):
            return False
        return self.window.step_key(ev.key())


def guard_wheel(root: QtWidgets.QWidget) -> None:
    """Spin boxes and combo boxes under ``root`` take the focus only when clicked or tabbed to."""
    for w in root.findChildren(QtWidgets.QWidget):
        if isinstance(w, WHEEL_GUARDED) and w.focusPolicy() == QtCore.Qt.WheelFocus:
            w.setFocusPolicy(QtCore.Qt.StrongFocus)

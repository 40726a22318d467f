"""The editors' common part: the ``edited`` signal, showing without writing, spin boxes that never clamp."""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets


def spin_box(lo: int, hi: int, value: int, tip: str = "") -> QtWidgets.QSpinBox:
    """A spin box that writes only when Enter is pressed or the focus leaves (not per keystroke)."""
    s = QtWidgets.QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


def show_number(spin: QtWidgets.QSpinBox, value: int) -> None:
    """Show ``value`` without emitting and without clamping: the range widens if it must."""
    value = int(value)
    blocked = spin.blockSignals(True)
    if value > spin.maximum():
        spin.setMaximum(value)
    if value < spin.minimum():
        spin.setMinimum(value)
    spin.setValue(value)
    spin.blockSignals(blocked)


class FieldEditor(QtWidgets.QWidget):
    """Shows one config field (``show``) and emits ``edited(field, value)`` when the person changes it."""

    edited = QtCore.Signal(str, object)

    def __init__(self, field: str, parent=None):
        super().__init__(parent)
        self.field = field
        self._showing = False

    def show_value(self, value) -> None:
        """Show ``value`` (the field as the scene holds it); never emits."""
        self._showing = True
        try:
            self._show(value)
        finally:
            self._showing = False

    def _show(self, value) -> None:
        raise NotImplementedError

    def _write(self, value) -> None:
        if not self._showing:
            self.edited.emit(self.field, value)

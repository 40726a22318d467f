"""The padding editor: a mode (number, per side, same, valid) and one spin box or four.

It shows every padding a scene may hold without loss: an int or an equal pair as a number,
an unequal pair (h, w) or ((top, bottom), (left, right)) per side, "same" and "valid" by name.
It writes (p, p), ((t, b), (l, r)), "same" or "valid".
"""
from __future__ import annotations

from PySide6 import QtWidgets

from .base import FieldEditor, show_number, spin_box

MODES = ("number", "per side", "same", "valid")
SIDES = ("top", "bottom", "left", "right")


class PaddingEditor(FieldEditor):
    def __init__(self, hi: int, parent=None):
        super().__init__("padding", parent)
        self.mode = QtWidgets.QComboBox()
        self.mode.addItems(MODES)
        self.mode.setToolTip("padding: one number for every side, each side apart, 'same' (stride 1: the "
                             "output keeps the input's size) or 'valid' (none)")
        self.number = spin_box(0, hi, 1, "padding (px on every side)")
        self.sides = [spin_box(0, hi, 1, f"padding on the {s} (px)") for s in SIDES]
        for s, name in zip(self.sides, SIDES):
            s.setPrefix(name[0] + " ")
            s.setAccessibleName(f"padding {name}")
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.mode, 0, 0, 1, 2)
        grid.addWidget(self.number, 0, 2, 1, 2)
        self.sides_row = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(self.sides_row)
        row.setContentsMargins(0, 0, 0, 0)
        for s in self.sides:
            row.addWidget(s)
        grid.addWidget(self.sides_row, 1, 0, 1, 4)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.number.valueChanged.connect(lambda _v: self._write(self.value()))
        for s in self.sides:
            s.valueChanged.connect(lambda _v: self._write(self.value()))
        self._resolved = None
        self._layout_for("number")

    def value(self):
        """The padding the widgets show, as the config holds it."""
        mode = self.mode.currentText()
        if mode == "number":
            p = self.number.value()
            return (p, p)
        if mode == "per side":
            t, b, l, r = (s.value() for s in self.sides)
            return ((t, b), (l, r))
        return mode

    def _layout_for(self, mode: str) -> None:
        self._mode_now = mode
        self.number.setVisible(mode != "per side")
        self.number.setEnabled(mode == "number")
        self.sides_row.setVisible(mode == "per side")

    def _mode_changed(self, _i) -> None:
        mode = self.mode.currentText()
        if mode == "number":
            show_number(self.number, self.sides[0].value())
        elif mode == "per side" and self._mode_now == "number":
            for s in self.sides:
                show_number(s, self.number.value())
        self._layout_for(mode)
        self._write(self.value())

    def show_padding(self, value, resolved=None) -> None:
        """Show ``value``; ``resolved`` (t, b, l, r), if known, fills the spin boxes for same / valid."""
        self._resolved = resolved
        self.show_value(value)

    def _show(self, value) -> None:
        if isinstance(value, str):
            mode, sides = value, self._resolved or tuple(s.value() for s in self.sides)
        elif isinstance(value, int):
            mode, sides = "number", (value,) * 4
        elif all(isinstance(p, int) for p in value):
            (h, w) = value
            mode, sides = ("number" if h == w else "per side"), (h, h, w, w)
        else:
            (t, b), (l, r) = value
            mode, sides = "per side", (t, b, l, r)
        blocked = self.mode.blockSignals(True)
        self.mode.setCurrentText(mode)
        self.mode.blockSignals(blocked)
        for s, v in zip(self.sides, sides):
            show_number(s, v)
        show_number(self.number, sides[0])
        self._layout_for(mode)

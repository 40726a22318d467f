"""An editor of a (height, width) pair: stride, dilation, pool window.

One spin box for both axes; the "h≠w" toggle shows a second one for the width. A pair the
scene holds with unequal axes is shown split, so nothing is lost.
"""
from __future__ import annotations

from PySide6 import QtWidgets

from .base import FieldEditor, show_number, spin_box


class PairEditor(FieldEditor):
    def __init__(self, field: str, lo: int, hi: int, tip: str = "", parent=None):
        super().__init__(field, parent)
        self.spin_h = spin_box(lo, hi, lo, f"{tip} along the height (and the width unless h≠w is ticked)")
        self.spin_w = spin_box(lo, hi, lo, f"{tip} along the width")
        self.split = QtWidgets.QCheckBox("h≠w")
        self.split.setToolTip(f"{tip}: a different value along the height and the width")
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.spin_h, self.spin_w, self.split):
            row.addWidget(w)
        self.spin_w.setVisible(False)
        self._user_split = False                 # ticked by the person: stays split while the axes agree
        self.spin_h.valueChanged.connect(self._spin_changed)
        self.spin_w.valueChanged.connect(self._spin_changed)
        self.split.toggled.connect(self._split_toggled)

    def value(self) -> tuple[int, int]:
        h = self.spin_h.value()
        return (h, self.spin_w.value()) if self.split.isChecked() else (h, h)

    def _spin_changed(self, _v) -> None:
        self._write(self.value())

    def _split_toggled(self, on: bool) -> None:
        self._user_split = on
        self.spin_w.setVisible(on)
        if on:
            show_number(self.spin_w, self.spin_h.value())   # the same pair: nothing to write
        elif self.spin_w.value() != self.spin_h.value():
            self._write(self.value())                        # the width follows the height again

    def _show(self, value) -> None:
        h, w = (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))
        split = h != w or self._user_split
        blocked = self.split.blockSignals(True)
        self.split.setChecked(split)
        self.split.blockSignals(blocked)
        self.spin_w.setVisible(split)
        show_number(self.spin_h, h)
        show_number(self.spin_w, w)

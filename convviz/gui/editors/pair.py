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


class OptionalPairEditor(PairEditor):
    """A pair that may be None, meaning "as ``default``": the pool stride (None: the pool window).

    With "= window" ticked the field is None and the spins show ``default`` greyed; unticking
    writes the pair the spins show, and from then on the spins edit it.
    """

    def __init__(self, field: str, lo: int, hi: int, tip: str = "", default_text: str = "= window", parent=None):
        super().__init__(field, lo, hi, tip, parent)
        self.default: tuple[int, int] = (lo, lo)
        self.auto = QtWidgets.QCheckBox(default_text)
        self.auto.setToolTip(f"{tip}: {default_text}")
        self.layout().insertWidget(0, self.auto)
        self.auto.toggled.connect(self._auto_toggled)

    def value(self):
        return None if self.auto.isChecked() else super().value()

    def _auto_toggled(self, on: bool) -> None:
        for w in (self.spin_h, self.spin_w, self.split):
            w.setEnabled(not on)
        self._write(self.value())

    def _spin_changed(self, _v) -> None:
        if not self.auto.isChecked():
            super()._spin_changed(_v)

    def _show(self, value) -> None:
        blocked = self.auto.blockSignals(True)
        self.auto.setChecked(value is None)
        self.auto.blockSignals(blocked)
        for w in (self.spin_h, self.spin_w, self.split):
            w.setEnabled(value is not None)
        super()._show(self.default if value is None else value)

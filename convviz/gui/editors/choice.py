"""Editors of one choice (combo box), one flag (check box) and one whole number (spin box)."""
from __future__ import annotations

from PySide6 import QtWidgets

from .base import FieldEditor, show_number, spin_box


def _bare(layout: QtWidgets.QLayout) -> QtWidgets.QLayout:
    layout.setContentsMargins(0, 0, 0, 0)
    return layout


class ChoiceEditor(FieldEditor):
    """A field that is one of a few names: padding_mode, activation, pool, loss."""

    def __init__(self, field: str, options, tip: str = "", parent=None):
        super().__init__(field, parent)
        self.combo = QtWidgets.QComboBox()
        self.combo.addItems(list(options))
        self.combo.setToolTip(tip)
        _bare(QtWidgets.QHBoxLayout(self)).addWidget(self.combo)
        self.combo.currentIndexChanged.connect(lambda _i: self._write(self.combo.currentText()))

    def _show(self, value) -> None:
        blocked = self.combo.blockSignals(True)
        self.combo.setCurrentText(str(value))
        self.combo.blockSignals(blocked)


class CheckEditor(FieldEditor):
    """A true/false field: true_convolution."""

    def __init__(self, field: str, text: str, tip: str = "", parent=None):
        super().__init__(field, parent)
        self.check = QtWidgets.QCheckBox(text)
        self.check.setToolTip(tip)
        _bare(QtWidgets.QHBoxLayout(self)).addWidget(self.check)
        self.check.toggled.connect(lambda on: self._write(bool(on)))

    def _show(self, value) -> None:
        blocked = self.check.blockSignals(True)
        self.check.setChecked(bool(value))
        self.check.blockSignals(blocked)


class NumberEditor(FieldEditor):
    """A whole-number field: groups."""

    def __init__(self, field: str, lo: int, hi: int, tip: str = "", parent=None):
        super().__init__(field, parent)
        self.spin = spin_box(lo, hi, lo, tip)
        _bare(QtWidgets.QHBoxLayout(self)).addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self._write(int(v)))

    def _show(self, value) -> None:
        show_number(self.spin, value)


class FloatEditor(FieldEditor):
    """A real-number field: leaky ReLU's slope. Written on Enter or when the focus leaves."""

    def __init__(self, field: str, decimals: int = 4, tip: str = "", parent=None):
        super().__init__(field, parent)
        self.spin = QtWidgets.QDoubleSpinBox(decimals=decimals, minimum=-1e6, maximum=1e6, singleStep=0.01,
                                             toolTip=tip)
        self.spin.setKeyboardTracking(False)
        _bare(QtWidgets.QHBoxLayout(self)).addWidget(self.spin)
        self.spin.valueChanged.connect(lambda v: self._write(float(v)))

    def _show(self, value) -> None:
        blocked = self.spin.blockSignals(True)
        self.spin.setRange(min(self.spin.minimum(), float(value)), max(self.spin.maximum(), float(value)))
        self.spin.setValue(float(value))
        self.spin.blockSignals(blocked)

"""The input (or the target T, or dP) as a heatmap painted with the mouse."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from ..core.paths import roles
from .tensorview import TensorView


class InputCanvas(TensorView):
    """The input (or the target T, or dP) as a heatmap you paint on with the mouse."""

    stroke_started = QtCore.Signal()
    value_requested = QtCore.Signal(object)           # Ctrl+click: the cell whose value to type
    stroke_moved = QtCore.Signal(object, str)         # the array so far, its name (live preview)
    stroke_finished = QtCore.Signal(object, str)      # the painted array, its name

    def __init__(self, parent=None):
        super().__init__(roles.X, parent)
        self.setObjectName("inputView")
        self.setAccessibleName("input drawing")
        self.brush_value = 1.0
        self.brush_size = 1
        self.erase = False
        self.target_name = "x"
        self.array: np.ndarray | None = None
        self.plane_index = (0, 0)
        self._painting = False
        self.read_only = False            # shown, not painted: another block's tensor
        self.glw.viewport().installEventFilter(self)
        self.glw.setContextMenuPolicy(QtCore.Qt.NoContextMenu)     # the right button erases here

    def set_array(self, name: str, array: np.ndarray, label: str) -> None:
        self.target_name, self.array = name, array.copy()
        scale = float(np.abs(array).max(initial=0)) or 1.0
        self.set_tensor(self.role, self.array, label, self.plane_index, True, scale)

    def _paint_at(self, view_pos) -> bool:
        """Paint the brush at a point; False when that changed nothing."""
        cell = self.cell_at(self.glw.mapToScene(view_pos))
        if cell is None or self.array is None:
            return False
        y, x = cell[-2], cell[-1]
        r = self.brush_size // 2
        lead = tuple(min(i, s - 1) for i, s in zip(self.plane_index, self.array.shape[:2]))
        patch = self.array[lead][max(0, y - r):y - r + self.brush_size, max(0, x - r):x - r + self.brush_size]
        value = 0.0 if self.erase else self.brush_value
        if np.all(patch == value):
            return False
        patch[...] = value
        scale = max(1.0, float(np.abs(self.array).max(initial=0)))
        self.set_tensor(self.role, self.array, f"{self.role.name} (painting)", self.plane_index, True, scale)
        return True

    def _stroke_to(self, pos) -> None:
        erase, self.erase = self.erase, self.erase or self._erase_stroke
        changed = self._paint_at(pos)
        self.erase = erase
        if changed:
            self.stroke_moved.emit(self.array, self.target_name)     # Document.edit keeps a copy

    def eventFilter(self, obj, ev):
        t = ev.type()
        if self.read_only and t in (QtCore.QEvent.MouseButtonPress, QtCore.QEvent.MouseMove,
                                    QtCore.QEvent.MouseButtonRelease):
            return t != QtCore.QEvent.MouseMove           # the hover still reads the values
        if (t == QtCore.QEvent.MouseButtonPress and ev.button() == QtCore.Qt.LeftButton
                and ev.modifiers() & QtCore.Qt.ControlModifier):
            cell = self.cell_at(self.glw.mapToScene(ev.position().toPoint()))
            if cell is not None:
                self.value_requested.emit(cell)
            return True
        if t == QtCore.QEvent.MouseButtonPress and ev.button() in (QtCore.Qt.LeftButton, QtCore.Qt.RightButton):
            self._painting = True
            self._erase_stroke = ev.button() == QtCore.Qt.RightButton
            self.stroke_started.emit()
            self._stroke_to(ev.position().toPoint())
            return True
        if t == QtCore.QEvent.MouseMove and self._painting:
            self._stroke_to(ev.position().toPoint())
            return True
        if t == QtCore.QEvent.MouseButtonRelease and self._painting:
            self._painting = False
            self.stroke_finished.emit(self.array.copy(), self.target_name)
            return True
        return False

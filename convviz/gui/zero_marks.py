"""Zeros that say what they are, on the heatmaps: padding is hatched, padded copies hatched the
other way, inserted zeros cross-hatched, cells no window reaches greyed; a plain 0 is a real
zero. The kinds come from ``core.zeros``; hovering a marked cell says what it is (and, for a
cell never reached, why its gradient is 0).
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..core import zeros
from ..core.paths import roles

MARK_LIMIT = 64            # mark cells one by one on planes up to this many cells across

# brush (colour, pattern) per kind; VALUE and ZERO get none: a plain 0 is a real zero
BRUSHES = {
    zeros.PADDING: ((70, 70, 70), QtCore.Qt.BDiagPattern),
    zeros.COPY: ((0, 90, 200), QtCore.Qt.FDiagPattern),
    zeros.INSERTED: ((130, 0, 160), QtCore.Qt.DiagCrossPattern),
    zeros.UNREACHED: ((150, 150, 150, 170), QtCore.Qt.SolidPattern),
}
SWATCH = {zeros.PADDING: "▨", zeros.COPY: "▧", zeros.INSERTED: "▩", zeros.UNREACHED: "■"}


def geometry_of(model) -> tuple:
    """(spec, x_hw, out_hw) of a StepModel: what the kinds of its zeros depend on."""
    return model.spec, model.x_hw, tuple(model.r.z.shape[2:])


def plane_kinds(role, data: np.ndarray, geometry, index) -> np.ndarray | None:
    """The kinds of the plane ``index`` of ``data`` (None: nothing to mark, or too large a plane to mark)."""
    if data.ndim != 4 or max(data.shape[-2:]) > MARK_LIMIT:
        return None
    kinds = kinds_for(role, data, geometry)
    return None if kinds is None else kinds[tuple(min(i, s - 1) for i, s in zip(index[:2], data.shape[:2]))]


def kinds_for(role, data: np.ndarray, geometry) -> np.ndarray | None:
    """The kind of every cell of ``data`` shown as ``role`` (``core.zeros`` kinds), or None for a
    tensor whose zeros need no explaining. ``geometry``: (spec, x_hw, out_hw) of the scene."""
    if geometry is None or data.ndim != 4:
        return None
    spec, hw, out_hw = geometry
    try:
        if role in (roles.X_PAD, roles.DX_PAD):
            kinds = zeros.x_pad_kinds(spec, hw, out_hw, data)
        elif role == roles.DZ_PAD:
            kinds = zeros.dz_pad_kinds(spec, hw, out_hw, data)
        elif role == roles.DZ_INSERTED:
            kinds = zeros.inserted_kinds(spec.stride, data)
        elif role == roles.DX:
            kinds = zeros.dx_kinds(spec, hw, out_hw, data)
        else:
            return None
    except ValueError:                   # shapes that do not fit this scene (a stale view)
        return None
    return kinds if kinds.shape == data.shape else None


def what_it_is(role, kind: int | None, geometry, cell) -> str:
    """What a marked cell is, in words ('' for a value); a cell never reached says why."""
    if kind is None or kind == zeros.VALUE:
        return ""
    if kind == zeros.UNREACHED and role == roles.DX and geometry is not None:
        spec, hw, out_hw = geometry
        reasons = [zeros.unreached_reason(spec, hw, out_hw, axis, int(cell[2 + axis])) for axis in (0, 1)]
        said = [r for r in reasons if r]
        if said:
            return "; ".join(said)
    return zeros.KIND_TEXT[kind]


def legend_line() -> str:
    """The legend's line for the zeros, each with a swatch in its colour."""
    def colour(kind):
        c = BRUSHES[kind][0]
        return f"rgb({c[0]},{c[1]},{c[2]})"
    marks = " ".join(f"<span style='color:{colour(k)}'>{SWATCH[k]}</span> {zeros.KIND_NAMES[k]}"
                     for k in (zeros.PADDING, zeros.COPY, zeros.INSERTED, zeros.UNREACHED))
    return f"Zeros: {marks} · a plain 0 is a real zero of the data (hover a cell to read what it is)"


class ZeroOverlay:
    """The marks over one view's plane: one path item per kind, under the values and outlines."""

    def __init__(self, plot):
        self.kinds: np.ndarray | None = None           # the kinds of the plane on screen
        self._items = {}
        for z, (kind, (rgb, pattern)) in enumerate(BRUSHES.items()):
            item = QtWidgets.QGraphicsPathItem()
            item.setBrush(QtGui.QBrush(QtGui.QColor(*rgb), pattern))
            item.setPen(QtGui.QPen(QtCore.Qt.NoPen))
            item.setZValue(3 + 0.1 * z)                 # over the image, under the cover, values and outlines
            item.setVisible(False)
            plot.addItem(item)
            self._items[kind] = item

    def show(self, kinds_plane: np.ndarray | None) -> None:
        """Mark the cells of a 2-D kinds plane (None: no marks)."""
        self.kinds = kinds_plane
        for kind, item in self._items.items():
            path = QtGui.QPainterPath()
            if kinds_plane is not None and max(kinds_plane.shape) <= MARK_LIMIT:
                for y, x in np.argwhere(kinds_plane == kind).tolist():
                    path.addRect(QtCore.QRectF(x, y, 1, 1))
            item.setPath(path)
            item.setVisible(not path.isEmpty())

    def kind_at(self, y: int, x: int) -> int | None:
        if self.kinds is None or not (0 <= y < self.kinds.shape[0] and 0 <= x < self.kinds.shape[1]):
            return None
        return int(self.kinds[y, x])

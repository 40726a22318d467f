"""Small multiples: one small panel per channel or sample a step's sum runs over, each with its
subtotal and its own highlights; the formula line adds the subtotals up to the value.

With 'follow step' off the main views show the plane the person chose; a step that works in
another plane then gets a panel of that plane here, so its highlights are never lost.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core import subtotals
from ..core.paths.common import short_number
from .tensorview import TensorView
from .zero_marks import plane_kinds

MAX_PANELS = 8


def panels_for(step, shown, follow: bool, planes: dict) -> list[tuple]:
    """(role, plane, cells, caption, subtotal or None) per panel; ``planes`` maps a role to the
    plane its main view shows. Empty when every highlight is already on screen."""
    if step is None:
        return []
    data = {s.role: s.data for s in shown}
    split = subtotals.of_step(step)
    if split is not None and split.role in data and (
            len(split.subtotals) > 1
            or not follow and planes.get(split.role) != split.plane(split.subtotals[0].index, 0)):
        return [(split.role, split.plane(s.index, 0), split.cells[s.index],
                 f"{split.role.name} [{s.label}]: subtotal {short_number(s.value)}", s.value)
                for s in split.subtotals[:MAX_PANELS]]
    out = []
    for role, cells in step.highlights.items():
        d = data.get(role)
        if d is None or d.ndim != 4 or not len(cells) or role.leading_axes != 2:
            continue
        plane = tuple(int(i) for i in cells[0][:2])
        if planes.get(role) == plane:
            continue
        out.append((role, plane, [c for c in cells if tuple(c[:2]) == plane],
                    f"{role.name} [{plane[0]}, {plane[1]}]: where the step works", None))
    return out[:MAX_PANELS]


class SmallMultiples(QtWidgets.QWidget):
    """A row of small heatmaps with a caption each; hidden when the step needs none."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("smallMultiples")
        self.setAccessibleName("small multiples")
        self._row = QtWidgets.QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self.panels: list[tuple[TensorView, QtWidgets.QLabel]] = []
        self.subtotals: list[float] = []       # the subtotals shown, in panel order (none: not a sum)
        self.more = QtWidgets.QLabel()
        self._row.addWidget(self.more)
        self._row.addStretch(1)
        self.hide()

    def show_step(self, step, shown, scales: dict, signed: frozenset, follow: bool, planes: dict, *,
                  values: bool = True, colorblind: bool = False, font_scale: float = 1.0, geometry=None) -> None:
        panels = panels_for(step, shown, follow, planes)
        data = {s.role: s for s in shown}
        while len(self.panels) < len(panels):
            box = QtWidgets.QWidget()
            lay = QtWidgets.QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            view = TensorView()
            view.glw.setMinimumSize(90, 90)
            caption = QtWidgets.QLabel(alignment=QtCore.Qt.AlignCenter)
            caption.setObjectName("subtotal")
            lay.addWidget(view)
            lay.addWidget(caption)
            self._row.insertWidget(len(self.panels), box)
            self.panels.append((view, caption))
        self.subtotals = [p[4] for p in panels if p[4] is not None]
        for i, (view, caption) in enumerate(self.panels):
            box = view.parentWidget()
            if i >= len(panels):
                box.hide()
                continue
            role, plane, cells, text, _sub = panels[i]
            s = data[role]
            view.show_values, view.colorblind, view.font_scale = values, colorblind, font_scale
            view.set_tensor(role, s.data, s.label, plane, role in signed, scales.get(role, 1.0))
            view.zeros.show(plane_kinds(role, s.data, geometry, plane))
            h, w = s.data.shape[-2:]
            size = view.max_panel_size((h, w))
            view.setMaximumSize(QtCore.QSize(min(size.width(), 260), min(size.height(), 240)))
            view.clear_highlights()
            view.set_highlights("field", cells)
            caption.setText(text)
            caption.setStyleSheet(f"font-size: {max(6, round(13 * font_scale))}px; font-weight: bold;")
            box.show()
        split = subtotals.of_step(step) if step is not None else None
        extra = len(split.subtotals) - MAX_PANELS if split is not None else 0
        self.more.setText(f"+ {extra} more in the formula" if extra > 0 and panels else "")
        self.setVisible(bool(panels))

"""Hover: which cells light up in every view when the mouse is over one cell, and its value in the status bar.

``linked_cells`` is the maths (from the core's links), by role; ``Hover`` outlines them in
every view whose role has the same *kind* (Z, dZ and σ′(Z) share one index space; W, K′, dW …).
"""
from __future__ import annotations

import numpy as np

from ..core import links
from ..core.paths import roles
from .tensorview import TensorView
from .zero_marks import what_it_is


def linked_cells(results, x_hw: tuple[int, int], role: roles.Role, cell: tuple) -> dict:
    """The cells, by role, that ``cell`` of ``role`` reads or reaches; empty when it links nothing.

    An output cell: its receptive field; an input or padded-input cell: every output it
    reaches; a kernel tap: every position it meets; pooled and activation cells: the pooling
    window and the outputs a cell feeds.
    """
    spec, kind = results.spec, role.kind
    try:
        if kind == roles.OUTPUT and len(cell) == 4:
            return {**links.receptive_field(spec, results.w_eff.shape, x_hw, cell), roles.Z: [cell]}
        if kind in (roles.INPUT, roles.PADDED) and len(cell) == 4:
            if kind == roles.PADDED:
                rows, cols = spec.pad_maps(x_hw)
                if rows[cell[2]] < 0 or cols[cell[3]] < 0:
                    return {}
                cell = (cell[0], cell[1], int(rows[cell[2]]), int(cols[cell[3]]))
            return {**links.influence(spec, results.w_eff.shape, x_hw, results.z.shape[2:], cell), roles.X: [cell]}
        if kind == roles.KERNEL and len(cell) == 4:
            return {**links.tap_support(spec, results.w_eff.shape, results.dz.shape, cell), roles.W: [cell]}
        if kind == roles.POOLED and results.pool_spec is not None:
            return {roles.A: links.pool_window(results.pool_spec, results.a.shape, cell), roles.P: [cell]}
        if kind == roles.ACTIVATION and results.pool_spec is not None:
            return {roles.P: links.pool_targets(results.pool_spec, results.a.shape, results.p.shape, cell),
                    roles.A: [cell], roles.Z: [cell]}
    except (IndexError, ValueError):
        return {}
    return {}


def cell_text(view: TensorView, cell) -> str:
    """A cell named by the indices of the tensor under the mouse, with its value."""
    value = float(np.asarray(view.data)[cell]) if view.data is not None and len(cell) == view.data.ndim else None
    shown = "" if value is None else (" = (not computed yet)" if value != value else f" = {value:.4g}")
    return f"{view.role.cell_text(cell)}{shown}"


class Hover:
    """Follows ``stage.hovered``: outlines the linked cells and names the cell in ``message(text)``."""

    def __init__(self, doc, stage, message):
        self.doc, self.stage, self._message = doc, stage, message
        self._source = None
        stage.hovered.connect(self.hover)

    def reset(self) -> None:
        """The step changed: the next hover redraws even over the same cell."""
        self._source = None

    def hover(self, view: TensorView, cell) -> None:
        key = (id(view), view.role, cell)
        if key == self._source:          # mouse moved within the same cell: nothing to redo
            return
        self._source = key
        for v in self.stage.views:
            v.set_highlights("link", [])
        if cell is None or self.doc.model is None:
            self._message("")
            return
        kind = view.zeros.kind_at(*cell[-2:]) if len(cell) >= 2 else None
        why = what_it_is(view.role, kind, self.stage.geometry, cell)
        self._message(cell_text(view, cell) + (f" — {why}" if why else ""))
        lit = linked_cells(self.doc.results, self.doc.shown.tensors.x.shape[2:], view.role, cell)
        by_kind = {role.kind: cells for role, cells in lit.items()}     # a view lights its kind's cells
        for v in self.stage.views:
            cells = by_kind.get(v.role.kind) if v.role is not None else None
            if cells:
                v.set_highlights("link", cells)

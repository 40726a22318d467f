"""Hover: which cells light up in every view when the mouse is over one cell, and its value in the status bar.

``linked_cells`` is the maths (from the core's links), by tensor; ``Hover`` outlines them.
A gradient view (dX, dZ, …) links like its tensor; K′ (the flipped kernel) like W.
"""
from __future__ import annotations

import numpy as np

from ..core import links
from .tensorview import TensorView


def base_role(role: str) -> str:
    """The tensor a view's cells index: dX → X, K′ → W; dW_eff is a tensor of its own."""
    base = role[1:] if role.startswith("d") and role != "dW_eff" else role
    return "W" if base == "K′" else base


def linked_cells(results, x_hw: tuple[int, int], role: str, cell: tuple) -> dict[str, list]:
    """The cells, by tensor, that ``cell`` of ``role`` reads or reaches; empty when it links nothing.

    Z: its receptive field; X or X_pad: every output it reaches; W: every tap position it
    meets; P and A: the pooling window and the outputs a cell feeds.
    """
    spec, role = results.spec, base_role(role)
    try:
        if role == "Z" and len(cell) == 4:
            return {**links.receptive_field(spec, results.w_eff.shape, x_hw, cell), "Z": [cell]}
        if role in ("X", "X_pad") and len(cell) == 4:
            if role == "X_pad":
                rows, cols = spec.pad_maps(x_hw)
                if rows[cell[2]] < 0 or cols[cell[3]] < 0:
                    return {}
                cell = (cell[0], cell[1], int(rows[cell[2]]), int(cols[cell[3]]))
            lit = links.influence(spec, results.w_eff.shape, x_hw, results.z.shape[2:], cell)
            lit.pop("pairs")
            return {**lit, "X": [cell]}
        if role in ("W", "W_eff") and len(cell) == 4:
            return {**links.tap_support(spec, results.w_eff.shape, results.dz.shape, cell), "W": [cell]}
        if role == "P" and results.pool_spec is not None:
            return {"A": links.pool_window(results.pool_spec, results.a.shape, cell), "P": [cell]}
        if role == "A" and results.pool_spec is not None:
            return {"P": links.pool_targets(results.pool_spec, results.a.shape, results.p.shape, cell),
                    "A": [cell], "Z": [cell]}
    except (IndexError, ValueError):
        return {}
    return {}


def cells_for(lit: dict[str, list], role: str) -> list:
    """The linked cells a view of ``role`` outlines (X_pad keeps its own, padded indices)."""
    base = base_role(role)
    if base == "X_pad" and "X_pad" in lit:
        return lit["X_pad"]
    return lit.get(role) or lit.get(base) or []


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
        self._message(cell_text(view, cell))
        lit = linked_cells(self.doc.results, self.doc.shown.tensors.x.shape[2:], view.role, cell)
        for v in self.stage.views:
            cells = cells_for(lit, v.role)
            if cells:
                v.set_highlights("link", cells)


def cell_text(view: TensorView, cell) -> str:
    """A cell named by the indices of the tensor under the mouse, with its value."""
    value = float(np.asarray(view.data)[cell]) if view.data is not None and len(cell) == view.data.ndim else None
    shown = "" if value is None else (" = (not computed yet)" if value != value else f" = {value:.4g}")
    return f"{view.role}[{', '.join(map(str, cell))}]{shown}"

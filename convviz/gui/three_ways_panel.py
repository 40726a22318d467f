"""One value three ways: click a dX cell (or a dW tap) and this dock shows, side by side,

- its gather window, each product next to the two cells it multiplies;
- the scatter stamps that reach it, each dZ·W with before + stamp = after;
- its row of Jᵀ dotted with dZ (for a dW tap: the correlation X_pad ⋆ dZ↑0 and the im2col row).

All three come from ``core.three_ways`` and each adds up to the value. Choosing a row lights its
cells in the stage. The dock is not modal: the stage keeps stepping while it is open.
"""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

from ..core.paths import roles
from ..core.paths.common import short_number
from ..core.three_ways import dw_three_ways, dx_three_ways

MAX_ROWS = 200          # rows listed per way; the totals count every term


def _num(v: float) -> str:
    return short_number(float(v))


def _cell(cell) -> str:
    return "[" + ", ".join(str(int(i)) for i in cell) + "]"


def dx_tables(results, x_hw, cell, kernel=roles.W) -> tuple[str, list]:
    """(title, ways) of dX[cell]; a way is (name, headers, rows, total, lights) with lights[i] the
    {role: [cells]} row i stands for. ``kernel``: the role the stage gives the kernel correlated
    (K′ under true convolution)."""
    tw = dx_three_ways(results.spec, results.w_eff, results.dz, x_hw, cell)
    value = float(results.dx[tuple(cell)])
    gather = [(f"dZ_pad{_cell(p.a_cell)}", _num(p.a), f"W′{_cell(p.b_cell)}", _num(p.b), _num(p.value))
              for p in tw.gather]
    glights = [{roles.DZ_PAD: [p.a_cell], roles.W_FLIP: [p.b_cell]} for p in tw.gather]
    stamps = [(f"dZ{_cell(s.dz_cell)}", f"{kernel.name}{_cell(s.tap)}", f"{_num(s.dz)}·{_num(s.w)} = {_num(s.amount)}",
               _num(s.before), _num(s.after)) for s in tw.stamps]
    slights = [{roles.DZ: [s.dz_cell], kernel: [s.tap]} for s in tw.stamps]
    jt = [(f"Z{_cell(z)}", _num(w), _num(results.dz[z]), _num(np.float64(w) * np.float64(results.dz[z])))
          for z, w in sorted(tw.jt_row.items())]
    jlights = [{roles.DZ: [z]} for z in sorted(tw.jt_row)]
    return (f"dX{_cell(cell)} = {_num(value)}", [
        ("Gather: the flipped kernel's window on dZ_pad", ("dZ_pad cell", "dZ", "W′ cell", "W′", "product"),
         gather, tw.gathered, glights),
        ("Scatter: the stamps that reach it", ("dZ cell", f"{kernel.name} tap", f"stamp dZ·{kernel.name}", "before",
                                               "after"),
         stamps, tw.stamped, slights),
        ("Jᵀ row · dZ", ("Z cell", "Jᵀ entry ∂Z/∂X", "dZ", "product"), jt, tw.jt_dot(results.dz), jlights)])


def dw_tables(results, tap, clicked: tuple | None = None) -> tuple[str, list]:
    """(title, ways) of dW_eff[tap], as :func:`dx_tables`; ``clicked``: the tap of dW the person
    clicked when it is not ``tap`` (true convolution: dW = rot180(dW_eff)), named in the title."""
    ways = dw_three_ways(results.spec, results.w_eff.shape, results.x_pad, results.dz, tap)
    value = float(results.dw_eff[tuple(tap)])

    def total(ps):
        return float(sum(np.float64(p.value) for p in ps))
    shift = [(f"X_pad{_cell(p.a_cell)}", _num(p.a), f"dZ{_cell(p.b_cell)}", _num(p.b), _num(p.value))
             for p in ways["shift"]]
    corr = [(f"X_pad{_cell(p.a_cell)}", _num(p.a), f"dZ↑0{_cell(p.b_cell)}", _num(p.b), _num(p.value))
            for p in ways["correlation"]]
    im2 = [(f"dZ_row{_cell(p.a_cell)}", _num(p.a), f"X_col{_cell(p.b_cell)}", _num(p.b), _num(p.value))
           for p in ways["im2col"]]
    title = (f"dW{_cell(tap)} = {_num(value)}" if clicked is None else
             f"dW{_cell(clicked)} = {_num(value)}  (= dW_eff{_cell(tap)}, the kernel rotated 180°)")
    return (title, [
        ("Shifted X_pad times dZ", ("X_pad cell", "X_pad", "dZ cell", "dZ", "product"), shift, total(ways["shift"]),
         [{roles.X_PAD: [p.a_cell], roles.DZ: [p.b_cell]} for p in ways["shift"]]),
        ("The correlation X_pad ⋆ dZ↑0", ("X_pad cell", "X_pad", "dZ↑0 cell", "dZ", "product"), corr,
         total(ways["correlation"]),
         [{roles.X_PAD: [p.a_cell], roles.DZ_INSERTED: [p.b_cell]} for p in ways["correlation"]]),
        ("im2col: dZ_row · X_colᵀ", ("dZ_row entry", "dZ", "X_col entry", "X_col", "product"), im2,
         total(ways["im2col"]), [{roles.DZ_ROW: [p.a_cell], roles.X_COL: [p.b_cell]} for p in ways["im2col"]])])


class ThreeWaysDock(QtWidgets.QDockWidget):
    """The linked views of the dX cell or dW tap last clicked in ``stage``; follows ``doc``'s edits."""

    def __init__(self, doc, stage, parent=None):
        super().__init__("One value, three ways", parent)
        self.setObjectName("threeWays")
        self.setMinimumWidth(420)               # five columns of a product, readable
        self.doc, self.stage = doc, stage
        self._clicked = None                   # (role, cell) shown
        doc.changed.connect(self._refresh)
        body = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(body)
        self.title = QtWidgets.QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: bold;")
        lay.addWidget(self.title)
        self.ways: list[tuple[QtWidgets.QGroupBox, QtWidgets.QTableWidget, QtWidgets.QLabel]] = []
        for _ in range(3):
            box = QtWidgets.QGroupBox()
            inner = QtWidgets.QVBoxLayout(box)
            table = QtWidgets.QTableWidget(editTriggers=QtWidgets.QAbstractItemView.NoEditTriggers,
                                           selectionBehavior=QtWidgets.QAbstractItemView.SelectRows)
            table.verticalHeader().hide()
            table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
            table.itemSelectionChanged.connect(lambda t=table: self._row_chosen(t))
            total = QtWidgets.QLabel(objectName="wayTotal")
            total.setStyleSheet("font-family: monospace; font-weight: bold;")
            inner.addWidget(table)
            inner.addWidget(total)
            lay.addWidget(box, 1)
            self.ways.append((box, table, total))
        self.setWidget(body)
        self._lights: dict[int, list] = {}

    def show_click(self, role, cell) -> bool:
        """Show ``cell`` of ``role`` three ways; False (nothing shown) when it is no dX cell or dW tap."""
        if self.doc.model is None:
            return False
        config = self.doc.scene.config
        try:
            content = clicked_value(self.doc.results, self.doc.model.x_hw, role, tuple(cell),
                                    config.true_convolution)
        except IndexError:                     # a cell the scene no longer has
            content = None
        if content is None:
            return False
        self._clicked = (role, tuple(cell))
        self.show_value(*content)
        return True

    def _refresh(self) -> None:
        if self._clicked is not None and self.isVisible() and not self.show_click(*self._clicked):
            self.hide()

    def show_value(self, title: str, ways: list) -> None:
        self.title.setText(title)
        self._lights = {}
        for (box, table, total_label), (name, headers, rows, total, lights) in zip(self.ways, ways):
            box.setTitle(name)
            blocked = table.blockSignals(True)
            table.clear()
            table.setColumnCount(len(headers))
            table.setHorizontalHeaderLabels(list(headers))
            shown = rows[:MAX_ROWS]
            table.setRowCount(len(shown))
            for i, row in enumerate(shown):
                for j, text in enumerate(row):
                    table.setItem(i, j, QtWidgets.QTableWidgetItem(text))
            table.resizeColumnsToContents()
            table.blockSignals(blocked)
            self._lights[id(table)] = lights
            more = f" ({len(rows) - MAX_ROWS} more rows not listed)" if len(rows) > MAX_ROWS else ""
            word = "after the last stamp" if "stamp" in name else "sum"
            total_label.setText(f"{word} = {_num(total)}  ({len(rows)} terms){more}")
        self.show()
        self.raise_()

    def _row_chosen(self, table) -> None:
        rows = sorted({i.row() for i in table.selectedIndexes()})
        lights = self._lights.get(id(table), [])
        merged: dict = {}
        for r in rows:
            if r < len(lights):
                for role, cells in lights[r].items():
                    merged.setdefault(role, []).extend(cells)
        light_in(self.stage, merged)

    def table_rows(self, way: int) -> list[list[str]]:
        """What table ``way`` shows, cell by cell (for reading the panel back)."""
        table = self.ways[way][1]
        return [[table.item(i, j).text() for j in range(table.columnCount())] for i in range(table.rowCount())]


def clicked_value(results, x_hw, role, cell, true_convolution: bool) -> tuple[str, list] | None:
    """The panel's content for a click on ``cell`` of ``role``: dX cells and dW taps; None for others."""
    if role == roles.DX and len(cell) == 4:
        return dx_tables(results, x_hw, cell, roles.K_FLIP if true_convolution else roles.W)
    if role in (roles.DW, roles.DW_EFF) and len(cell) == 4:
        q, c, m, n = cell
        if role == roles.DW and true_convolution:          # dW = rot180(dW_eff): the tap correlated
            kh, kw = results.w_eff.shape[2:]
            return dw_tables(results, (q, c, kh - 1 - m, kw - 1 - n), clicked=tuple(cell))
        return dw_tables(results, cell)
    return None


def light_in(stage, cells_by_role: dict) -> None:
    """Outline ``cells_by_role`` in every stage view showing that role (the hover's link colour)."""
    for v in stage.views:
        if v.isVisible() and v.role is not None:
            v.set_highlights("link", cells_by_role.get(v.role, []))

"""The stage: what one step of a path looks like, shared by the window and the headless export.

    StageView.show_step(path, position)

draws the problem box (over everything), the stage title, the lesson text, the stage's
words, the formula with the live numbers, one TensorView heatmap per tensor of the step
(one colour scale per role across the path: ``role_colours``, worked out once per path) and the legend. It holds
no state of the scene: the caller passes the core's Path and position each time.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6 import QtCore, QtWidgets

from ..core.paths.common import MAX_SHOWN_TERMS, fmt
from ..core.paths.roles import FLIPPED, KERNEL, Role
from .legend import legend_html
from .multiples import SmallMultiples
from .tensorview import TensorView
from .zero_marks import plane_kinds


def role_colours(path) -> tuple[dict[Role, float], frozenset[Role]]:
    """One colour scale per role across every stage of ``path``, so stepping never rescales, and
    the roles drawn on a signed (diverging) scale: signed by nature (gradients), or holding a
    negative value on some stage (a Z, a tanh's A), so a tensor shown while it fills up never
    switches colour map when its first negative value arrives."""
    scales: dict[Role, float] = {}
    signed = set()
    for stage in path.stages:
        for s in stage.tensors:
            scales[s.role] = max(scales.get(s.role, 0.0), float(np.abs(s.data).max(initial=0.0)))
            if s.role not in signed and s.signed:
                signed.add(s.role)
    return scales, frozenset(signed)


def _is_kernel(shown) -> bool:
    return shown.role.kind in (KERNEL, FLIPPED)


def plane_for(shown, step, n: int = 0, c: int = 0, follow: bool = True) -> tuple:
    """The plane of ``shown`` on screen for sample ``n`` and channel ``c``, within its shape.

    ``follow``: a tensor the step highlights shows the plane of its first highlighted cell.
    Otherwise a 4-D activation shows [n, c], a 4-D kernel its first axis at c, in the second
    axis the step reads there (else 0); other tensors the step's plane, else [n, c].
    """
    lead = shown.data.shape[:min(shown.role.leading_axes, max(0, shown.data.ndim - 2))]
    cells = step.highlights.get(shown.role, []) if step is not None else []
    if cells and (follow or len(lead) != 2):
        index = tuple(cells[0][:len(lead)])
    elif len(lead) == 2 and _is_kernel(shown):
        q = min(c, lead[0] - 1)
        index = (q, next((cell[1] for cell in cells if cell[0] == q), 0))
    else:
        index = (n, c)
    return tuple(min(i, s - 1) for i, s in zip(index, lead))


def step_plane(step, n: int, c: int) -> tuple[int, int]:
    """(n, c) of the cell ``step`` writes (a kernel cell gives its first axis as c); else (n, c) as given."""
    if step is None or len(step.cell) != 4:
        return n, c
    return (n, step.cell[0]) if step.role.kind in (KERNEL, FLIPPED) else (step.cell[0], step.cell[1])


def plane_ranges(shown) -> tuple[int, int]:
    """How many samples and channels the 4-D tensors in ``shown`` have (a kernel's first axis counts as channels)."""
    ns = [s.data.shape[0] for s in shown if s.data.ndim == 4 and not _is_kernel(s)]
    cs = [s.data.shape[0] if _is_kernel(s) else s.data.shape[1] for s in shown if s.data.ndim == 4]
    return max(ns, default=1), max(cs, default=1)


def _hidden_stamps(step, after) -> str:
    """A stamp's note with its amounts and results as '?': the factors and the cells before it stay."""
    shown = step.writes[:MAX_SHOWN_TERMS]
    more = f", … ({len(step.writes)} cells)" if len(step.writes) > MAX_SHOWN_TERMS else ""
    stamp = ", ".join(f"{fmt(t.a)}·{fmt(t.b)} = ?" for t in step.terms[:len(shown)])
    sums = ", ".join(f"{fmt(float(after[c]) - a)} + ? = ?" for c, a in shown)
    return f"\nstamp: {stamp}{more}\nbefore + stamp = after: {sums}{more}"


class StageView(QtWidgets.QWidget):
    """Titles, lesson, text, formula, the tensors of one step and the legend; no controls.

    ``hovered(view, cell)`` passes on a view's hover (cell None when the mouse left it);
    ``clicked(view, cell)`` a click on a cell.
    """

    hovered = QtCore.Signal(object, object)
    clicked = QtCore.Signal(object, object)       # (view, cell) a view was clicked on

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("stageArea")
        self.setAutoFillBackground(True)
        self.font_scale, self.stale = 1.0, False
        self.views: list[TensorView] = []
        self.plane, self.plane_ranges = (0, 0), (1, 1)
        self.geometry = None
        self._shown: list = []
        area = QtWidgets.QVBoxLayout(self)
        area.setContentsMargins(0, 0, 0, 0)
        self.problem = QtWidgets.QLabel(wordWrap=True)
        self.problem.setObjectName("stageProblem")
        self.problem.setAccessibleName("problem")
        self.problem.hide()
        area.addWidget(self.problem)
        self.title = QtWidgets.QLabel()
        area.addWidget(self.title)
        self.lesson_banner = QtWidgets.QLabel(wordWrap=True)
        self.lesson_banner.setObjectName("lessonBanner")
        self.lesson_banner.setAccessibleName("lesson")
        self.lesson_banner.hide()
        area.addWidget(self.lesson_banner)
        self.text = QtWidgets.QLabel(wordWrap=True)
        area.addWidget(self.text)
        self.formula = QtWidgets.QLabel(wordWrap=True)
        self.formula.setObjectName("formulaLine")
        self.formula.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        area.addWidget(self.formula)
        self.multiples = SmallMultiples()          # one panel per channel or sample a sum runs over
        area.addWidget(self.multiples)
        grid_host = QtWidgets.QWidget()            # takes the room small views leave: the text stays together
        grid_host.setSizePolicy(QtWidgets.QSizePolicy.Expanding, QtWidgets.QSizePolicy.Expanding)
        self.view_grid = QtWidgets.QGridLayout(grid_host)
        self.view_grid.setContentsMargins(0, 0, 0, 0)
        area.addWidget(grid_host, 1)
        self.legend = QtWidgets.QLabel(legend_html(), wordWrap=True)
        self.legend.setObjectName("legend")
        self.legend.setAccessibleName("legend")
        area.addWidget(self.legend)
        self.set_style(1.0, False)

    # ------------------------------------------------------------ words

    def set_lesson(self, title: str, text: str) -> None:
        """A lesson's title and text above the stage; nothing when ``title`` is empty (plain text)."""
        self.lesson_banner.setText(f"<b>{html.escape(title)}</b><br>{html.escape(text)}" if title else "")
        self.lesson_banner.setVisible(bool(title))

    def set_problem(self, message: str, stale: bool) -> None:
        """A problem over the stage, in words; ``stale``: the views show the last scene that worked."""
        note = "<br><i>Out of date: the views below still show the last scene that worked.</i>" if stale else ""
        self.problem.setText(f"⚠ {html.escape(message)}{note}" if message else "")
        self.problem.setVisible(bool(message))
        self.set_style(self.font_scale, stale)

    def set_style(self, font_scale: float, stale: bool) -> None:
        """Sizes of every word on the stage follow ``font_scale``; a stale formula is greyed."""
        if getattr(self, "_styled_as", None) == (font_scale, stale):
            return
        self._styled_as = (font_scale, stale)
        self.font_scale, self.stale = font_scale, stale

        def px(n: float) -> int:
            return max(6, round(n * font_scale))
        self.title.setStyleSheet(f"font-size: {px(18)}px; font-weight: bold;")
        self.lesson_banner.setStyleSheet(f"background: #fff8e1; border-left: {px(4)}px solid #f0a000;"
                                         f" padding: {px(6)}px; font-size: {px(14)}px;")
        self.text.setStyleSheet(f"font-size: {px(14)}px;")
        self.legend.setStyleSheet(f"font-size: {px(12)}px; color: #333333; padding: {px(2)}px;")
        self.formula.setStyleSheet(f"font-family: monospace; font-size: {px(14)}px; padding: {px(6)}px;"
                                   + (" background: #eeeeee; color: #8a8a8a;" if stale else " background: #f4f4f4;"))
        self.problem.setStyleSheet(f"background: #fdecea; color: #b00020; border-left: {px(5)}px solid #b00020;"
                                   f" padding: {px(6)}px; font-size: {px(15)}px; font-weight: bold;")

    # ------------------------------------------------------------ the step

    def show_step(self, path, position: int, *, plane: tuple[int, int] = (0, 0),
                  follow: bool = True, values: bool = True, colorblind: bool = False, geometry=None):
        """Draw ``position`` of ``path`` (a core Path); returns its Step, None at a stage's overview.

        ``plane`` (n, c) is the sample and channel the views show (``plane_for``); with ``follow``
        the views a step highlights show the step's planes instead. ``self.plane`` is (n, c) of
        the cell the step writes (else ``plane``), ``self.plane_ranges`` how many there are.
        ``geometry`` (spec, x_hw, out_hw; ``zero_marks.geometry_of``) marks what each zero is.
        """
        self.geometry = geometry
        if getattr(self, "_colours_for", None) is not path:
            self._colours_for, (self._scales, self._signed) = path, role_colours(path)
        scales = self._scales
        si, k = path.position(position)
        stage = path.stages[si]
        step = stage.step(k) if k is not None else None
        self.plane = step_plane(step, *plane) if follow else tuple(plane)
        self.title.setText(f"{path.title} — {si + 1}/{len(path.stages)}: {stage.title}"
                           + ("  (out of date)" if self.stale else ""))
        self.text.setText(stage.text)
        self.formula.setText(stage.formula + ("\n" + step.formula if step is not None else "")
                             + ("\n" + step.note if step is not None and step.note else ""))
        shown = stage.tensors_at(k)
        while len(self.views) < len(shown):
            v = TensorView()
            v.hovered.connect(lambda cell, v=v: self.hovered.emit(v, cell))
            v.clicked.connect(lambda cell, v=v: self.clicked.emit(v, cell))
            self.views.append(v)
        for i, v in enumerate(self.views):
            self.view_grid.removeWidget(v)
            if i >= len(shown):
                v.hide()
        cols = 2 if len(shown) == 4 else min(3, len(shown))
        for i, s in enumerate(shown):
            v = self.views[i]
            v.show_values = values
            v.colorblind = colorblind
            v.font_scale = self.font_scale
            v.set_tensor(s.role, s.data, s.label, plane_for(s, step, *plane, follow), s.role in self._signed,
                         scales.get(s.role, 1.0))
            v.zeros.show(plane_kinds(s.role, s.data, geometry, v.index))
            v.setMaximumSize(v.max_panel_size(s.data.shape[-2:] if s.data.ndim >= 2 else (1, s.data.shape[0])))
            v.clear_highlights()
            if step is not None:
                for role, cells in step.highlights.items():
                    if role == s.role:
                        v.set_highlights("target" if role == step.role or cells == [step.cell] else "field", cells)
                if step.role == s.role and not step.writes:
                    v.set_highlights("target", [step.cell])
                if s.role in step.marks:
                    v.set_highlights("mark", step.marks[s.role])
            self.view_grid.addWidget(v, i // cols, i % cols)
            v.show()                    # after addWidget: reparenting hides a widget
        self._shown = shown
        planes = {s.role: tuple(self.views[i].index[:2]) for i, s in enumerate(shown)}
        self.multiples.show_step(step, shown, scales, self._signed, follow, planes, values=values,
                                 colorblind=colorblind, font_scale=self.font_scale, geometry=geometry)
        self.plane_ranges = plane_ranges(shown)
        self._stretch_grid(shown, cols)
        return step

    def hide_result(self, step) -> bool:
        """Cover the cells ``step`` writes and the result of its formula; False if no view shows them.

        A scatter stamp keeps its formula (dZ and W are given): its amounts and the cells after it are the unknown.
        """
        by_role = {s.role: self.views[i] for i, s in enumerate(self._shown)}
        view = by_role.get(step.role)
        if view is None:
            return False
        view.set_hidden([c for c, _ in step.writes] if step.writes else [step.cell])
        text = self.formula.text()
        if not step.writes:
            head, sep, _ = step.formula.rpartition(" = ")
            text = text.replace(step.formula, (head + sep + "?") if sep else "?")
        if step.note:                   # the note may say the result (a total, before + stamp = after)
            text = text.replace("\n" + step.note, _hidden_stamps(step, view.data) if step.writes else "")
        self.formula.setText(text)
        return True

    def _stretch_grid(self, shown, cols: int) -> None:
        """Columns and rows share the stage in proportion to the cells they show (plus room for axes);
        a small tensor (a kernel, a bias) is given the room of at least 6 cells, so it stays legible
        beside big planes."""
        def hw(s):
            return s.data.shape[-2:] if s.data.ndim >= 2 else (1, s.data.shape[0])
        col_w, row_h = [0] * 8, [0] * 8
        for i, s in enumerate(shown):
            h, w = hw(s)
            col_w[i % cols] = max(col_w[i % cols], min(max(w, 6), 32) + 5)     # + the axis and colour bar's room
            row_h[i // cols] = max(row_h[i // cols], min(max(h, 6), 32) + 3)
        for k in range(8):
            self.view_grid.setColumnStretch(k, col_w[k])
            self.view_grid.setRowStretch(k, row_h[k])

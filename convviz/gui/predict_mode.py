"""Predict mode's questions (``core.predict``), asked above the stage and answered with the mouse.

- a gather step of dX: which cells of the window on dZ_pad hold a dZ value (not an inserted or
  padding zero)? The zero marks are taken off dZ_pad until the answer is in;
- a dW step: which X_pad cells does this tap multiply? (the window's outline is the answer, so
  it is taken off);
- a scatter stamp: is dZ · W (its first tap) positive, negative or zero? Only the unknown is
  hidden: the factors stay, the stamp's amounts and the cells after it show '?'.

Cells are clicked on the tensor the question names (each click toggles one; blue boxes), then
Check scores them and reveals the step. Other steps hide their result as before.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..core import predict
from ..core.paths import roles


def question_for(step, model) -> predict.Question | None:
    """The question ``step`` asks, or None (then only its result is hidden)."""
    if step is None or model is None or not len(step.terms):
        return None
    r, spec, hw = model.r, model.spec, model.x_hw
    first = step.terms[0]
    if step.writes:                                     # a stamp: ask about a product that is not trivially 0
        first = next((t for t in step.terms[:64] if t.b != 0), first)
    if step.role == roles.DX and first.a_role == roles.DZ_PAD:
        q = predict.window_values(spec, r.w_eff, r.dz, hw, step.cell)
        return q if all(min(c) >= 0 for c in q.answer) else None      # a cropped dZ_pad: cells off screen
    if step.role in (roles.DW, roles.DW_EFF) and roles.X_PAD in step.highlights:
        return predict.tap_support(spec, r.w_eff.shape, r.x_pad, r.dz, step.cell)
    if step.writes and first.a_role is not None and first.b_role is not None:
        return predict.sign_of(first.a, first.b, first.a_role.cell_text(first.a_cell),
                               first.b_role.cell_text(first.b_cell))
    return None


class PredictPanel(QtWidgets.QFrame):
    """The question, the answer buttons and the score. ``reveal()`` shows the step's result."""

    def __init__(self, stage, reveal, parent=None):
        super().__init__(parent)
        self.setObjectName("predictPanel")
        self.setStyleSheet("#predictPanel { background: #f3e5f5; border-left: 4px solid #6a1b9a; }")
        self.stage, self._reveal = stage, reveal
        self.question: predict.Question | None = None
        self.chosen: set[tuple] = set()
        self.result: predict.Score | None = None
        row = QtWidgets.QHBoxLayout(self)
        self.text = QtWidgets.QLabel(wordWrap=True)
        self.text.setObjectName("predictQuestion")
        row.addWidget(self.text, 1)
        self.signs = {}
        for value, label in ((-1, "negative"), (0, "zero"), (1, "positive")):
            b = QtWidgets.QPushButton(label)
            b.setFocusPolicy(QtCore.Qt.NoFocus)            # the arrow keys stay with the player
            b.clicked.connect(lambda _=False, v=value: self._answer(v))
            row.addWidget(b)
            self.signs[value] = b
        self.check = QtWidgets.QPushButton("Check")
        self.check.setFocusPolicy(QtCore.Qt.NoFocus)
        self.check.clicked.connect(lambda: self._answer(self.chosen))
        row.addWidget(self.check)
        self.score = QtWidgets.QLabel()
        self.score.setObjectName("predictScore")
        self.score.setStyleSheet("font-weight: bold;")
        row.addWidget(self.score)
        self.hide()

    def ask(self, step, model) -> None:
        """A new hidden step: ask its question (if it has one) and take off what gives it away."""
        self.question, self.chosen, self.result = question_for(step, model), set(), None
        q = self.question
        if q is None:
            self.hide()
            return
        view = self.view()
        if q.kind == "cells" and view is not None:
            view.zeros.show(None)                            # the marks would say which cells are zeros
            if q.role == roles.X_PAD:
                view.set_highlights("field", [])              # a tap's outline is the answer
            view.set_highlights("answer", [])
        self.stage.multiples.hide()                           # its panels light the answer too
        self.text.setText(q.text)
        for b in self.signs.values():
            b.setVisible(q.kind == "sign")
        self.check.setVisible(q.kind == "cells")
        self.score.setText("")
        self.show()

    def revealed(self) -> None:
        """The step's result is back on screen: keep the score, drop the buttons."""
        if self.result is None:
            self.hide()
            return
        for b in (*self.signs.values(), self.check):
            b.hide()

    def clear(self) -> None:
        self.question, self.result = None, None
        self.hide()

    def view(self):
        role = self.question.role if self.question is not None else None
        return next((v for v in self.stage.views if v.isVisible() and v.role == role), None)

    def take_click(self, view, cell) -> bool:
        """A click on the tensor the question names toggles that cell of the answer."""
        q = self.question
        if q is None or q.kind != "cells" or self.result is not None or view.role != q.role:
            return False
        cell = tuple(int(c) for c in cell)
        self.chosen ^= {cell}
        view.set_highlights("answer", sorted(self.chosen))
        return True

    def _answer(self, answer) -> None:
        if self.question is None or self.result is not None:
            return
        self.result = predict.score(self.question, answer)
        self.score.setText(self.result.message)
        self.score.setStyleSheet("font-weight: bold; color: " + ("#1b5e20;" if self.result.correct else "#b00020;"))
        self._reveal()

"""The stage's legend: what each symbol means and what each box colour marks."""
from __future__ import annotations

from .tensorview import HIGHLIGHT_PENS
from .zero_marks import legend_line

SYMBOLS = (
    ("X", "the input"), ("W", "the kernel (weights)"), ("Z", "X ⋆ W + b"), ("A", "σ(Z), the activation"),
    ("P", "A pooled"), ("L", "the loss"),
)
GRADIENTS = "dP, dA, dZ, dW, db, dX: ∂L/∂ of P, A, Z, W, b, X — how much L changes when that cell changes"
BOXES = (("target", "the cell being computed"), ("field", "the cells it reads (the taps)"),
         ("link", "linked to the cell under the mouse"), ("mark", "the maximum that wins, the bias added"),
         ("answer", "your answer (predict mode)"))


def _colour(kind: str) -> str:
    c = HIGHLIGHT_PENS[kind].color()
    return f"rgb({c.red()},{c.green()},{c.blue()})"


def legend_html() -> str:
    """Two short lines: the symbols, then the box colours (each with a swatch of its colour)."""
    symbols = " · ".join(f"<b>{s}</b> {meaning}" for s, meaning in SYMBOLS)
    boxes = " ".join(f"<span style='color:{_colour(kind)}'>■</span> {meaning}" for kind, meaning in BOXES)
    return f"{symbols} · {GRADIENTS}<br>Boxes: {boxes}<br>{legend_line()}"

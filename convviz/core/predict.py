"""Predict mode: questions a student answers by clicking cells, scored.

Not "what is the sum" (that only tests addition) but what the mechanics decide:
which dZ cells reach a dX cell (with a stride it is often one, or none), which cells
of the gather window carry a dZ value rather than an inserted or padding zero, which
X_pad cells a dW tap multiplies, and the sign of a product.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import links
from .geometry import ConvSpec
from .paths.roles import DZ, DZ_PAD, X_PAD, Role
from .three_ways import dw_three_ways, dx_three_ways


@dataclass(frozen=True)
class Question:
    kind: str                       # "cells" (click the answer's cells) or "sign"
    text: str
    role: Role | None               # the tensor whose cells are clicked (None for sign questions)
    answer: frozenset = frozenset()  # the cells, for "cells"
    sign: int = 0                   # −1, 0 or 1, for "sign"


@dataclass(frozen=True)
class Score:
    correct: bool
    hits: frozenset
    missed: frozenset
    extra: frozenset
    message: str


def _cell_text(cell) -> str:
    return "[" + ", ".join(str(int(c)) for c in cell) + "]"


def reaching_dz(spec: ConvSpec, w_eff: np.ndarray, dz: np.ndarray, x_hw, cell) -> Question:
    """Which dZ cells reach dX[cell]? (every output whose window reads the cell)"""
    cells = frozenset(z for z, _t, _x in links.influence_pairs(spec, w_eff.shape, x_hw, dz.shape[2:], cell))
    return Question("cells", f"Which dZ cells send gradient to dX{_cell_text(cell)}? Click them all (none is "
                    "a possible answer), then Check.", DZ, cells)


def window_values(spec: ConvSpec, w_eff: np.ndarray, dz: np.ndarray, x_hw, cell) -> Question:
    """Which cells of dX[cell]'s gather window in dZ_pad hold a dZ value (not an inserted or padding zero)?"""
    tw = dx_three_ways(spec, w_eff, dz, x_hw, cell)
    return Question("cells", f"The flipped kernel's window for dX{_cell_text(cell)} lies on dZ_pad. Which of its "
                    "cells hold a dZ value rather than an inserted or padding zero? Click them, then Check.",
                    DZ_PAD, frozenset(p.a_cell for p in tw.gather))


def tap_support(spec: ConvSpec, w_shape, x_pad: np.ndarray, dz: np.ndarray, tap) -> Question:
    """Which X_pad cells does dW[tap] multiply with dZ?"""
    shift = dw_three_ways(spec, w_shape, x_pad, dz, tap)["shift"]
    return Question("cells", f"dW{_cell_text(tap)} multiplies dZ with X_pad shifted by the tap. Which X_pad cells "
                    "does it read? Click them, then Check.", X_PAD, frozenset(p.a_cell for p in shift))


def sign_of(a: float, b: float, a_label: str, b_label: str) -> Question:
    v = np.float64(a) * np.float64(b)
    return Question("sign", f"Is {a_label} · {b_label} positive, negative or zero?", None,
                    sign=int(np.sign(v)))


def score(q: Question, answer) -> Score:
    """Score a click answer (a set of cells) or a sign answer (−1, 0, 1)."""
    if q.kind == "sign":
        ok = int(answer) == q.sign
        word = {1: "positive", -1: "negative", 0: "zero"}[q.sign]
        return Score(ok, frozenset(), frozenset(), frozenset(),
                     "Right: it is " + word + "." if ok else f"Not quite: it is {word}.")
    given = frozenset(tuple(int(c) for c in cell) for cell in answer)
    hits, missed, extra = given & q.answer, q.answer - given, given - q.answer
    ok = not missed and not extra
    if ok:
        msg = "Right: " + ("no cell reaches it." if not q.answer else f"all {len(q.answer)} cell(s).")
    else:
        parts = [f"{len(hits)} right"]
        if missed:
            parts.append(f"{len(missed)} missed")
        if extra:
            parts.append(f"{len(extra)} that do not belong")
        msg = "Not quite: " + ", ".join(parts) + "."
    return Score(ok, hits, missed, extra, msg)

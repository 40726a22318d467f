"""The padding fold-back, a stage of its own in every dX path: dX[y, x] is the sum of
dX_pad over the padded cells that hold a copy of X[y, x] (one cell with zeros padding,
whose other padded cells are dropped; several with reflect, replicate or circular)."""
from __future__ import annotations

import numpy as np

from .. import zeros
from .common import Shown, Stage, Step, Term, cell_of, fmt
from .roles import DX, DX_PAD


def copies(spec, hw, cell) -> list[tuple]:
    """The X_pad cells that copy X[n, c, y, x], in row-major order."""
    n, c, y, x = cell
    rows, cols = spec.pad_maps(hw)
    return [(n, c, int(py), int(px)) for py in np.nonzero(rows == y)[0] for px in np.nonzero(cols == x)[0]]


def unreached_note(spec, hw, out_hw, cell) -> str:
    """Why dX[cell] is 0 when no window reaches its row or column; '' when one does."""
    reasons = [zeros.unreached_reason(spec, hw, out_hw, axis, cell[2 + axis]) for axis in (0, 1)]
    return "; ".join(r for r in reasons if r)


def fold_stage(model, dx_pad: np.ndarray, dx: np.ndarray, title: str, text: str) -> Stage:
    spec, hw = model.spec, model.x_hw
    out_hw = model.r.dz.shape[2:]
    zeros_mode = spec.padding_mode == "zeros"

    def step(k):
        cell = cell_of(dx.shape, k)
        src = copies(spec, hw, cell)
        terms = [Term(float(dx_pad[c]), 1.0, DX_PAD, c) for c in src]
        value = float(dx[cell])
        lhs = DX.cell_text(cell)
        if len(src) == 1:
            formula = f"{lhs} = {DX_PAD.cell_text(src[0])} = {fmt(value)}"
            note = "the padded cells around X are dropped: they are no inputs" if zeros_mode else ""
        else:
            formula = f"{lhs} = {' + '.join(fmt(t.a) for t in terms)} = {fmt(value)}"
            note = (f"X{list(cell)} has {len(src)} copies in X_pad ({spec.padding_mode} padding): "
                    f"{', '.join(DX_PAD.cell_text(c) for c in src)}; their gradients add up")
        reason = unreached_note(spec, hw, out_hw, cell)
        note = "; ".join(n for n in (note, reason) if n)
        return Step(k, DX, cell, terms, value, {DX_PAD: src, DX: [cell]}, formula, note=note)

    return Stage("fold", title, text, "dX[n,c,y,x] = Σ dX_pad over the padded cells that copy X[n,c,y,x]",
                 [Shown(DX_PAD, dx_pad), Shown(DX, dx)], dx.size, step)

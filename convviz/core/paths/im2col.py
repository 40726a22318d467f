"""im2col: the convolution as one matrix product, and both gradients as matrix products."""
from __future__ import annotations

import numpy as np

from .common import Path, Shown, Stage, Step, Term, cell_of, terms_formula
from .roles import DW_ROW, DX, DX_COL, DX_PAD, DZ_ROW, W_ROW, X, X_COL, Z_ROW

TITLE = "im2col"


def build(model) -> Path:
    r, spec = model.r, model.spec
    x = model.x
    g = spec.groups
    cout = r.w_eff.shape[0]
    cols = model.op("im2col", x, spec)                                  # (G, Cin_g·kh·kw, N·OH·OW)
    w_row = np.ascontiguousarray(r.w_eff.reshape(g, cout // g, -1))     # (G, Cout_g, Cin_g·kh·kw)
    z_row = model.op("matmul", w_row, cols)                             # (G, Cout_g, N·OH·OW)
    dz_row = np.ascontiguousarray(r.dz.transpose(1, 0, 2, 3).reshape(g, cout // g, -1))
    dw_row = model.op("matmul", dz_row, np.ascontiguousarray(cols.transpose(0, 2, 1)))
    dcols = model.op("matmul", np.ascontiguousarray(w_row.transpose(0, 2, 1)), dz_row)
    dx_pad = model.op("col2im", dcols, spec, x.shape)
    dx = model.op("pad_backward", dx_pad, spec, x.shape[2:])

    def z_step(k):
        gi, row, col = cell_of(z_row.shape, k)
        ts = range(cols.shape[1])
        terms = [Term(float(w_row[gi, row, t]), float(cols[gi, t, col]), W_ROW, (gi, row, t), X_COL, (gi, t, col))
                 for t in ts]
        v = float(z_row[gi, row, col])
        return Step(k, Z_ROW, (gi, row, col), terms, v,
                    {W_ROW: [(gi, row, t) for t in ts], X_COL: [(gi, t, col) for t in ts], Z_ROW: [(gi, row, col)]},
                    terms_formula(f"Z_row[{gi},{row},{col}]", terms, v))

    stages = [
        Stage("unfold", "Unfold X into columns", "Every window of X_pad becomes one column of X_col.",
              "X_col[(c·kh + m)·kw + n′, (n·OH + i)·OW + j] = X_pad[n, c, s·i + d·m, s·j + d·n′]",
              [Shown(X, x), Shown(X_COL, cols)]),
        Stage("multiply", "Z = W_row · X_col", "The convolution is one matrix product: each row of W_row is a "
              "flattened kernel.", "Z_row = W_row · X_col",
              [Shown(W_ROW, w_row), Shown(X_COL, cols), Shown(Z_ROW, z_row)], z_row.size, z_step),
        Stage("dw", "dW = dZ · X_colᵀ", "The kernel's gradient is dZ times the transposed columns.",
              "dW_row = dZ_row · X_colᵀ", [Shown(DZ_ROW, dz_row), Shown(X_COL, cols), Shown(DW_ROW, dw_row)]),
        Stage("dx", "dX = col2im(W_rowᵀ · dZ)", "W_rowᵀ·dZ gives each column's gradient; col2im adds every "
              "column entry back onto the cell it came from.", "dX = col2im(W_rowᵀ · dZ_row)",
              [Shown(DX_COL, dcols), Shown(DX_PAD, dx_pad), Shown(DX, dx)]),
    ]
    return Path("im2col", TITLE, stages)

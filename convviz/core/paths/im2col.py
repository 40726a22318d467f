"""im2col: the convolution as one matrix product, both gradients as matrix products, and
col2im adding each column entry back onto the cell it came from."""
from __future__ import annotations

import numpy as np

from .. import links
from ..geometry import read_by
from .common import LazyTerms, Path, Shown, Stage, Step, Term, cell_of, fmt, terms_formula
from .fold import fold_stage
from .roles import DW_ROW, DX_COL, DX_PAD, DZ_ROW, W_ROW, X, X_COL, Z_ROW

TITLE = "im2col"


def col2im_sources(spec, w_shape, out_hw, cell) -> list[tuple]:
    """The entries (g, t, col) of X_col that copy X_pad[n, ch, py, px]: t = (c·kh + m)·kw + n′,
    col = (n·OH + i)·OW + j for every window (i, j) whose tap (m, n′) reads the cell."""
    n, ch, py, px = cell
    _, cin_g, kh, kw = w_shape
    g, c = divmod(ch, cin_g)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    return [(g, (c * kh + m) * kw + nn, (n * out_hw[0] + i) * out_hw[1] + j)
            for i, m in read_by(py, kh, sh, dh, out_hw[0]) for j, nn in read_by(px, kw, sw, dw, out_hw[1])]


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
    out_hw = r.dz.shape[2:]

    def product_step(k, out, out_role, left, left_role, right, right_role, transposed: bool):
        """out[g, a, b] = Σ_t left[g, a, t] · right[g, t, b] (left read as its transpose when ``transposed``)."""
        gi, a, b = cell = cell_of(out.shape, k)
        inner = left.shape[1] if transposed else left.shape[2]
        ts = np.arange(inner)
        lc = np.stack([np.full_like(ts, gi), ts, np.full_like(ts, a)] if transposed else
                      [np.full_like(ts, gi), np.full_like(ts, a), ts], axis=1)
        rc = np.stack([np.full_like(ts, gi), ts, np.full_like(ts, b)], axis=1)
        lt, rt = links.as_tuples(lc), links.as_tuples(rc)
        terms = LazyTerms(left[tuple(lc.T)], right[tuple(rc.T)], lt, rt, left_role, right_role)
        v = float(out[cell])
        return Step(k, out_role, cell, terms, v, {left_role: lt, right_role: rt, out_role: [cell]},
                    terms_formula(f"{out_role.name}[{gi},{a},{b}]", terms, v))

    def col2im_step(k):
        cell = cell_of(dx_pad.shape, k)
        src = col2im_sources(spec, r.w_eff.shape, out_hw, cell)
        terms = [Term(float(dcols[s]), 1.0, DX_COL, s) for s in src]
        v = float(dx_pad[cell])
        formula = f"{DX_PAD.cell_text(cell)} = {' + '.join(fmt(t.a) for t in terms) or '0'} = {fmt(v)}"
        note = (f"from {', '.join(DX_COL.cell_text(s) for s in src)}" if src else
                "no column holds this cell: no window reads it")
        return Step(k, DX_PAD, cell, terms, v, {DX_COL: src, DX_PAD: [cell]}, formula, note=note)

    stages = [
        Stage("unfold", "Unfold X into columns", "Every window of X_pad becomes one column of X_col.",
              "X_col[(c·kh + m)·kw + n′, (n·OH + i)·OW + j] = X_pad[n, c, s·i + d·m, s·j + d·n′]",
              [Shown(X, x), Shown(X_COL, cols)]),
        Stage("multiply", "Z = W_row · X_col", "The convolution is one matrix product: each row of W_row is a "
              "flattened kernel.", "Z_row = W_row · X_col",
              [Shown(W_ROW, w_row), Shown(X_COL, cols), Shown(Z_ROW, z_row)], z_row.size,
              lambda k: product_step(k, z_row, Z_ROW, w_row, W_ROW, cols, X_COL, False)),
        Stage("dw", "dW = dZ · X_colᵀ", "The kernel's gradient is dZ times the transposed columns: row q of dZ_row "
              "against row t of X_col.", "dW_row[g,q,t] = Σ_col dZ_row[g,q,col] · X_col[g,t,col]",
              [Shown(DZ_ROW, dz_row), Shown(X_COL, cols), Shown(DW_ROW, dw_row)], dw_row.size,
              lambda k: _dw_step(k, dw_row, dz_row, cols)),
        Stage("dx", "dX_col = W_rowᵀ · dZ", "W_rowᵀ·dZ gives each column entry's gradient.",
              "dX_col[g,t,col] = Σ_q W_row[g,q,t] · dZ_row[g,q,col]",
              [Shown(W_ROW, w_row), Shown(DZ_ROW, dz_row), Shown(DX_COL, dcols)], dcols.size,
              lambda k: product_step(k, dcols, DX_COL, w_row, W_ROW, dz_row, DZ_ROW, True)),
        Stage("col2im", "col2im", "col2im adds every column entry back onto the X_pad cell it was copied from; "
              "a cell read by several windows gets several entries.", "dX_pad[cell] = Σ dX_col over its copies",
              [Shown(DX_COL, dcols), Shown(DX_PAD, dx_pad)], dx_pad.size, col2im_step),
        fold_stage(model, dx_pad, dx, "Drop the padding", "The padded cells are not inputs: their gradient is "
                   "dropped (zeros) or sent back to the cell they copy (other modes)."),
    ]
    return Path("im2col", TITLE, stages)


def _dw_step(k, dw_row, dz_row, cols) -> Step:
    """dW_row[g, q, t] = Σ_col dZ_row[g, q, col] · X_col[g, t, col]."""
    gi, q, t = cell = cell_of(dw_row.shape, k)
    cs = np.arange(cols.shape[2])
    dc = np.stack([np.full_like(cs, gi), np.full_like(cs, q), cs], axis=1)
    xc = np.stack([np.full_like(cs, gi), np.full_like(cs, t), cs], axis=1)
    dt, xt = links.as_tuples(dc), links.as_tuples(xc)
    terms = LazyTerms(dz_row[gi, q], cols[gi, t], dt, xt, DZ_ROW, X_COL)
    v = float(dw_row[cell])
    return Step(k, DW_ROW, cell, terms, v, {DZ_ROW: dt, X_COL: xt, DW_ROW: [cell]},
                terms_formula(f"dW_row[{gi},{q},{t}]", terms, v))

"""The Jacobian ∂Z/∂X as a dense matrix, and dX = Jᵀ·dZ row by row (small scenes only: see
``model.JACOBIAN_LIMIT``)."""
from __future__ import annotations

import numpy as np

from .. import links
from .common import Path, Shown, Stage, Step, Term, cell_of, terms_formula
from .roles import DX, DZ, J, JT

TITLE = "Jacobian"


def matrix(model, n: int = 0) -> np.ndarray:
    """∂Z[n]/∂X[n] as a (Cout·OH·OW, Cin·H·W) matrix: the convolution of every unit impulse."""
    x = model.x[n:n + 1]
    size = x[0].size
    impulses = np.eye(size, dtype=np.float32).reshape((size,) + x.shape[1:])
    cols = model.op("conv2d", impulses, model.r.w_eff, None, model.spec)       # (size, Cout, OH, OW)
    return np.ascontiguousarray(cols.reshape(size, -1).T)


def build(model) -> Path:
    r = model.r
    jac = matrix(model, 0)
    jt = np.ascontiguousarray(jac.T)[None]
    dz0 = r.dz[:1]
    dx = model.op("matmul", jt, np.ascontiguousarray(dz0.reshape(1, -1, 1))).reshape(r.dx[:1].shape)

    def step(k):
        cell = cell_of(dx.shape, k)
        # the outputs this input reaches (the band of row k of Jᵀ), by the links' own triples
        reached = sorted({z for z, _t, _x in links.influence_pairs(model.spec, r.w_eff.shape, model.x_hw,
                                                                   dz0.shape[2:], cell)})
        cols = [int(np.ravel_multi_index(z, dz0.shape)) for z in reached]
        terms = [Term(float(jt[0, k, c]), float(dz0[z]), JT, (0, k, c), DZ, z) for c, z in zip(cols, reached)]
        v = float(dx[cell])
        return Step(k, DX, cell, terms, v, {JT: [(0, k, c) for c in cols], DZ: reached, DX: [cell]},
                    terms_formula(f"{DX.cell_text(cell)} = Jᵀ[{k}]·dZ", terms, v),
                    note=f"row {k} of Jᵀ is nonzero only at the {len(cols)} outputs X{list(cell)} reaches")

    batch = r.dz.shape[0]
    sample = (f" This is sample 0 of the batch of {batch}: every sample has the same J, and its dX is "
              f"Jᵀ times its own dZ." if batch > 1 else "")
    return Path("jacobian", TITLE, [
        Stage("J", "The Jacobian ∂Z/∂X", "Row r holds the weights with which output r reads every input: the "
              "kernel, shifted along the diagonal (banded, block-Toeplitz)." + sample, "J[r, c] = ∂Z_r / ∂X_c",
              [Shown(J, jac[None])]),
        Stage("JT", "dX = Jᵀ · dZ", "The backward pass is the transposed matrix applied to dZ: row r of Jᵀ "
              "against dZ gives input r's gradient." + sample, "dX[r] = Σ_c Jᵀ[r, c] · dZ[c]",
              [Shown(JT, jt), Shown(DZ, dz0), Shown(DX, dx)], dx.size, step),
    ])

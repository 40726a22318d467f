"""The Jacobian ∂Z/∂X as a dense matrix, and dX = Jᵀ·dZ (small scenes only: see
``model.JACOBIAN_LIMIT``)."""
from __future__ import annotations

import numpy as np

from .common import Path, Shown, Stage
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
    dz0 = r.dz[:1].reshape(1, -1, 1)
    dx = model.op("matmul", np.ascontiguousarray(jac.T[None]), np.ascontiguousarray(dz0)).reshape(r.dx[:1].shape)
    return Path("jacobian", TITLE, [
        Stage("J", "The Jacobian ∂Z/∂X", "Row r holds the weights with which output r reads every input: the "
              "kernel, shifted along the diagonal (banded, block-Toeplitz).", "J[r, c] = ∂Z_r / ∂X_c",
              [Shown(J, jac[None])]),
        Stage("JT", "dX = Jᵀ · dZ", "The backward pass is the transposed matrix applied to dZ.",
              "dX = Jᵀ · dZ", [Shown(JT, np.ascontiguousarray(jac.T)[None]), Shown(DZ, r.dz[:1]), Shown(DX, dx)]),
    ])

"""The activation gate: dZ = dA ⊙ σ′(Z), cell by cell."""
from __future__ import annotations

import numpy as np

from ..activations import FORMULAS as ACT_FORMULAS
from ..activations import derivative
from .common import Path, Shown, Stage, Step, Term, cell_of, fmt
from .roles import DA, DZ, GATE, Z

TITLE = "Activation gate σ′"


def build(model) -> Path:
    r, c = model.r, model.config
    gate = derivative(r.z, c.activation, c.slope).astype(np.float32)
    _, f = ACT_FORMULAS[c.activation]

    def step(k):
        cell = cell_of(r.dz.shape, k)
        terms = [Term(float(r.da[cell]), float(gate[cell]), DA, cell, GATE, cell)]
        return Step(k, DZ, cell, terms, float(r.dz[cell]), {DA: [cell], Z: [cell], GATE: [cell], DZ: [cell]},
                    f"dZ{list(cell)} = {fmt(terms[0].a)}·σ′({fmt(float(r.z[cell]))}) = "
                    f"{fmt(terms[0].a)}·{fmt(terms[0].b)} = {fmt(float(r.dz[cell]))}")

    return Path("activation", TITLE, [Stage(
        "gate", "The activation gate", "dZ = dA ⊙ σ′(Z): the gradient passes where σ is steep.",
        f"dZ = dA ⊙ σ′(Z),  {f}", [Shown(DA, r.da), Shown(Z, r.z), Shown(GATE, gate), Shown(DZ, r.dz)],
        r.dz.size, step)])

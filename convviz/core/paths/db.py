"""db: the bias gradient, the sum of dZ over each output channel and the batch."""
from __future__ import annotations

from .common import Path, Shown, Stage, Step, Term, sum_formula
from .roles import DB, DZ

TITLE = "db"


def build(model) -> Path:
    r = model.r

    def step(q):
        cells = [(n, q, i, j) for n in range(r.dz.shape[0]) for i in range(r.dz.shape[2])
                 for j in range(r.dz.shape[3])]
        terms = [Term(float(r.dz[c]), 1.0, DZ, c) for c in cells]
        formula, note = sum_formula(f"db[{q}]", terms, float(r.db[q]), [c[0] for c in cells], "n")
        return Step(q, DB, (q,), terms, float(r.db[q]), {DZ: cells, DB: [(q,)]}, formula, note=note,
                    sum_over=(DZ, "n"))

    return Path("db", TITLE, [Stage("sum", "db sums dZ", "Every output cell adds its bias once, so db[q] is the "
                                    "sum of dZ over channel q (and the batch).", "db[q] = Σ_n Σ_i Σ_j dZ[n,q,i,j]",
                                    [Shown(DZ, r.dz), Shown(DB, r.db)], r.db.size, step)])

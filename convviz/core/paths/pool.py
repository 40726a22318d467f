"""Pooling: the forward step (max or mean of a window of A) and the pooling path, which
distributes dP back onto dA."""
from __future__ import annotations

import numpy as np

from .. import links
from .common import Path, Shown, Stage, Step, Term, cell_of, fmt, terms_formula
from .roles import DA, DP, A, P

TITLE = "Pooling distribution"


def _window(model, cell) -> list[tuple]:
    return links.pool_window(model.r.pool_spec, model.r.a.shape, cell)


def _argmax_cell(model, cell) -> tuple:
    r = model.r
    arg = int(r.argmax[cell])
    return (cell[0], cell[1], arg // r.a.shape[3], arg % r.a.shape[3])


def pool_forward_step(model, k: int) -> Step:
    r, c = model.r, model.config
    cell = cell_of(r.p.shape, k)
    window = _window(model, cell)
    vals = [float(r.a[w]) for w in window]
    value = float(r.p[cell])
    if c.pool == "max":
        win_cell = _argmax_cell(model, cell)
        terms = [Term(float(r.a[win_cell]), 1.0, A, win_cell)]
        formula = f"P{list(cell)} = max({', '.join(fmt(v) for v in vals)}) = {fmt(value)}"
    else:
        kk = r.pool_spec.kernel[0] * r.pool_spec.kernel[1]
        terms = [Term(float(r.a[w]), 1.0 / kk, A, w) for w in window]
        formula = terms_formula(f"P{list(cell)}", terms, value)
    return Step(k, P, cell, terms, value, {A: window, P: [cell]}, formula)


def build(model) -> Path:
    r, c = model.r, model.config
    kk = r.pool_spec.kernel[0] * r.pool_spec.kernel[1]
    text = ("Each dP cell goes wholly to the (first) maximum of its window." if c.pool == "max" else
            f"Each dP cell spreads 1/{kk} of itself over its window.") + " Overlapping windows add."
    formula = ("dA[argmax of window] += dP[i,j]" if c.pool == "max" else f"dA[window] += dP[i,j] / {kk}")

    def partial(k: int) -> list[Shown]:
        masked = np.zeros_like(r.dp).reshape(-1)
        masked[:k + 1] = r.dp.reshape(-1)[:k + 1]
        masked = masked.reshape(r.dp.shape)
        da = (model.op("max_pool2d_backward", r.a, masked, r.pool_spec) if c.pool == "max" else
              model.op("avg_pool2d_backward", r.a.shape, masked, r.pool_spec))
        return [Shown(DP, r.dp), Shown(A, r.a), Shown(DA, da)]

    stage = Stage("distribute", "Pooling distribution", text, formula,
                  [Shown(DP, r.dp), Shown(A, r.a), Shown(DA, r.da)], r.dp.size,
                  lambda k: _backward_step(model, k), partial)
    return Path("pool", TITLE, [stage])


def _backward_step(model, k: int) -> Step:
    r, c = model.r, model.config
    cell = cell_of(r.dp.shape, k)
    g = float(r.dp[cell])
    if c.pool == "max":
        targets = [_argmax_cell(model, cell)]
        share = 1.0
    else:
        targets = _window(model, cell)
        share = 1.0 / (r.pool_spec.kernel[0] * r.pool_spec.kernel[1])
    terms = [Term(g, share, DP, cell) for _ in targets]
    writes = [(t, t_.product) for t, t_ in zip(targets, terms)]
    formula = f"dA{list(targets[0]) if len(targets) == 1 else '[window]'} += {fmt(g)}·{fmt(share)} = {fmt(g * share)}"
    return Step(k, DA, cell, terms, g * share, {DP: [cell], A: _window(model, cell), DA: targets},
                formula, writes=writes)

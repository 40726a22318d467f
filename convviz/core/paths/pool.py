"""Pooling: the forward step (max or mean of a window of A) and the pooling path, which
distributes dP back onto dA. The window's maximum is marked in both; a tie goes to the
first maximum in row-major order, as in PyTorch; average pooling counts padding as zeros
(count_include_pad=True, PyTorch's default), and the steps say where that loses gradient."""
from __future__ import annotations

import numpy as np

from .. import links
from .common import MAX_SHOWN_TERMS, Path, Shown, Stage, Step, Term, cell_of, fmt, terms_formula
from .roles import DA, DP, A, P

TITLE = "Pooling distribution"
TIE = "a tie: {n} cells hold the maximum {v}; the first in row-major order wins, as in PyTorch"


def _window(model, cell) -> list[tuple]:
    return links.pool_window(model.r.pool_spec, model.r.a.shape, cell)


def _argmax_cell(model, cell) -> tuple:
    r = model.r
    arg = int(r.argmax[cell])
    return (cell[0], cell[1], arg // r.a.shape[3], arg % r.a.shape[3])


def _size(model) -> int:
    k = model.r.pool_spec.kernel
    return k[0] * k[1]


def padding_text(model) -> str:
    """count_include_pad in words, where the pooling has padding; '' where it has none."""
    if model.config.pool != "avg" or not any(model.r.pool_spec.padding):
        return ""
    kk = _size(model)
    return (f" Padding counts as zeros (count_include_pad=True, PyTorch's default): every window divides by {kk}, "
            f"even at the edge, so the shares that fall on the padding are lost.")


def _notes(model, cell, window) -> str:
    """A tie of the maximum, or the padding an average window covers."""
    r = model.r
    if model.config.pool == "max":
        v = float(r.p[cell])
        n = sum(float(r.a[w]) == v for w in window)
        return TIE.format(n=n, v=fmt(v)) if n > 1 else ""
    pad = _size(model) - len(window)
    return (f"count_include_pad: {pad} of the {_size(model)} window cells are padding (zeros), so the mean divides "
            f"by {_size(model)}, not {len(window)}" if pad else "")


def pool_forward_step(model, k: int) -> Step:
    r, c = model.r, model.config
    cell = cell_of(r.p.shape, k)
    window = _window(model, cell)
    vals = [float(r.a[w]) for w in window]
    value = float(r.p[cell])
    marks = {}
    if c.pool == "max":
        win_cell = _argmax_cell(model, cell)
        terms = [Term(float(r.a[win_cell]), 1.0, A, win_cell)]
        formula = f"P{list(cell)} = max({', '.join(fmt(v) for v in vals)}) = {fmt(value)}"
        marks = {A: [win_cell]}
    else:
        terms = [Term(float(r.a[w]), 1.0 / _size(model), A, w) for w in window]
        formula = terms_formula(f"P{list(cell)}", terms, value)
    return Step(k, P, cell, terms, value, {A: window, P: [cell]}, formula, note=_notes(model, cell, window),
                marks=marks)


def build(model) -> Path:
    r, c = model.r, model.config
    kk = _size(model)
    text = ("Each dP cell goes wholly to the (first) maximum of its window." if c.pool == "max" else
            f"Each dP cell spreads 1/{kk} of itself over its window.") + " Overlapping windows add." \
        + padding_text(model)
    formula = ("dA[argmax of window] += dP[i,j]" if c.pool == "max" else f"dA[window] += dP[i,j] / {kk}")

    def distributed(k: int) -> np.ndarray:
        """dA after the first k dP cells."""
        masked = np.zeros_like(r.dp).reshape(-1)
        masked[:k] = r.dp.reshape(-1)[:k]
        masked = masked.reshape(r.dp.shape)
        return (model.op("max_pool2d_backward", r.a, masked, r.pool_spec) if c.pool == "max" else
                model.op("avg_pool2d_backward", r.a.shape, masked, r.pool_spec))

    def partial(k: int) -> list[Shown]:
        return [Shown(DP, r.dp), Shown(A, r.a), Shown(DA, distributed(k + 1))]

    def step(k: int) -> Step:
        cell = cell_of(r.dp.shape, k)
        g = float(r.dp[cell])
        window = _window(model, cell)
        if c.pool == "max":
            targets, share = [_argmax_cell(model, cell)], 1.0
        else:
            targets, share = window, 1.0 / kk
        terms = [Term(g, share, DP, cell) for _ in targets]
        writes = [(t, t_.product) for t, t_ in zip(targets, terms)]
        after = distributed(k + 1)
        totals = ", ".join(fmt(float(after[t])) for t in targets[:MAX_SHOWN_TERMS])
        more = ", …" if len(targets) > MAX_SHOWN_TERMS else ""
        where = list(targets[0]) if len(targets) == 1 else "[window]"
        each = "" if len(targets) == 1 else " each"
        formula = f"dA{where} += {fmt(g)}·{fmt(share)} = {fmt(g * share)}{each} → {totals}{more}"
        note = _notes(model, cell, window)
        if c.pool == "avg" and kk > len(window):
            note = (f"count_include_pad: {kk - len(window)} of the {kk} shares fall on padding and are dropped; "
                    f"dA gets {len(window)}·{fmt(share)} = {fmt(len(window) * share)} of dP")
        return Step(k, DA, cell, terms, g * share, {DP: [cell], A: window, DA: targets}, formula, writes=writes,
                    note=note, marks={A: targets} if c.pool == "max" else {})

    stage = Stage("distribute", "Pooling distribution", text, formula,
                  [Shown(DP, r.dp), Shown(A, r.a), Shown(DA, r.da)], r.dp.size, step, partial)
    return Path("pool", TITLE, [stage])

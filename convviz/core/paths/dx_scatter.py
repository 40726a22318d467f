"""dX by scattering: each dZ cell stamps dZ·W onto its window of dX_pad (the scope of impact)."""
from __future__ import annotations

from .. import links
from .common import Path, Shown, Stage, Step, Term, cell_of, fmt
from .roles import DX, DX_PAD, DZ, W, X_PAD

TITLE = "dX: scope of impact"


def build(model) -> Path:
    r, spec = model.r, model.spec
    hw = model.x_hw
    final_pad = model.op("conv2d_dx_scatter", r.dz, r.w_eff, spec, hw, None)

    def partial(k):
        return [Shown(DZ, r.dz), Shown(W, r.w_eff),
                Shown(DX_PAD, model.op("conv2d_dx_scatter", r.dz, r.w_eff, spec, hw, k + 1))]

    def step(k):
        cell = cell_of(r.dz.shape, k)
        q = cell[1]
        g_val = float(r.dz[cell])
        rf = links.receptive_field(spec, r.w_eff.shape, hw, cell)      # the window the stamp lands on
        hx, taps = rf[X_PAD], rf[W]
        terms = [Term(g_val, float(r.w_eff[tap]), DZ, cell, W, tap) for tap in taps]
        writes = [(xc, t.product) for xc, t in zip(hx, terms)]
        return Step(k, DX_PAD, cell, terms, g_val, {DZ: [cell], W: taps, DX_PAD: hx},
                    f"dX_pad[window of Z{list(cell)}] += {fmt(g_val)}·W[{q}]", writes=writes)

    stages = [
        Stage("stamp", "Each dZ cell stamps dZ·W", "The scope of impact: an output cell received "
              "from its whole window, so its gradient goes back to that window, weighted by the kernel. "
              "The stamps add up.", "dX_pad[window of (i, j)] += dZ[i, j] · W",
              [Shown(DZ, r.dz), Shown(W, r.w_eff), Shown(DX_PAD, final_pad)], r.dz.size, step, partial),
        Stage("fold", "Drop the padding", "The padded cells are not inputs: their gradient is dropped (zeros) "
              "or sent back to the cell they copy (other modes).", "dX = pad_backward(dX_pad)",
              [Shown(DX_PAD, final_pad), Shown(DX, model.op("pad_backward", final_pad, spec, hw))]),
    ]
    return Path("dx-scatter", TITLE, stages)

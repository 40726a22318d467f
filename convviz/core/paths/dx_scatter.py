"""dX by scattering: each dZ cell stamps dZ·W onto its window of dX_pad (the scope of
impact), then the padding is dropped or folded back."""
from __future__ import annotations

from .. import links
from .common import MAX_SHOWN_TERMS, Path, Shown, Stage, Step, Term, cell_of, fmt
from .fold import fold_stage
from .roles import DX_PAD, DZ, K_FLIP, W, X_PAD

TITLE = "dX: scope of impact"


def build(model) -> Path:
    r, spec = model.r, model.spec
    hw = model.x_hw
    final_pad = model.op("conv2d_dx_scatter", r.dz, r.w_eff, spec, hw, None)
    cin_g = r.w_eff.shape[1]
    cout_g = r.w_eff.shape[0] // spec.groups
    ker = K_FLIP if model.config.true_convolution else W     # the kernel correlated, named as the forward path names it

    def stamped(k):
        """dX_pad after the first k stamps."""
        return model.op("conv2d_dx_scatter", r.dz, r.w_eff, spec, hw, k)

    def partial(k):
        return [Shown(DZ, r.dz), Shown(ker, r.w_eff), Shown(DX_PAD, stamped(k + 1))]

    def step(k):
        cell = cell_of(r.dz.shape, k)
        q = cell[1]
        g_val = float(r.dz[cell])
        rf = links.receptive_field(spec, r.w_eff.shape, hw, cell)      # the window the stamp lands on
        hx, taps = rf[X_PAD], rf[W]
        terms = [Term(g_val, float(r.w_eff[tap]), DZ, cell, ker, tap) for tap in taps]
        writes = [(xc, t.product) for xc, t in zip(hx, terms)]
        before = stamped(k)
        shown = writes[:MAX_SHOWN_TERMS]
        more = f", … ({len(writes)} cells)" if len(writes) > MAX_SHOWN_TERMS else ""
        stamp = ", ".join(f"{fmt(g_val)}·{fmt(t.b)} = {fmt(a)}" for (_, a), t in zip(shown, terms)) + more
        sums = ", ".join(f"{fmt(float(before[c]))} + {fmt(a)} = {fmt(float(before[c]) + a)}" for c, a in shown)
        g = q // cout_g
        channels = (f" onto channels {g * cin_g}…{(g + 1) * cin_g - 1} (group {g})" if spec.groups > 1 else "")
        note = f"stamp{channels}: {stamp}\nbefore + stamp = after: {sums}{more}"
        return Step(k, DX_PAD, cell, terms, g_val, {DZ: [cell], ker: taps, DX_PAD: hx},
                    f"dX_pad[window of Z{list(cell)}] += {fmt(g_val)}·{ker.name}[{q}]", writes=writes, note=note)

    hide = ("The padded cells are not inputs: their gradient is dropped." if spec.padding_mode == "zeros" else
            f"Each padded cell copied an input cell ({spec.padding_mode}): its gradient goes back to that cell.")
    stages = [
        Stage("stamp", "Each dZ cell stamps dZ·W", "The scope of impact: an output cell received "
              "from its whole window, so its gradient goes back to that window, weighted by the kernel. "
              "The stamps add up.", f"dX_pad[window of (i, j)] += dZ[i, j] · {ker.name}",
              [Shown(DZ, r.dz), Shown(ker, r.w_eff), Shown(DX_PAD, final_pad)], r.dz.size, step, partial),
        fold_stage(model, final_pad, model.op("pad_backward", final_pad, spec, hw), "Drop the padding", hide),
    ]
    return Path("dx-scatter", TITLE, stages)

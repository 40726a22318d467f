"""dX by gathering: insert zeros into dZ, pad by d(k−1)−p (+a), flip the kernel, correlate
(:func:`..geometry.dx_gather`, the recipe the backends follow too), fold the padding back."""
from __future__ import annotations

from .. import zeros
from ..geometry import dx_gather
from .common import Path, Shown, Stage, Step, Term, cell_of, correlation_step, fmt, zeros_between
from .fold import fold_stage, unreached_note
from .roles import DX, DX_PAD, DZ, DZ_INSERTED, DZ_PAD, K_FLIP, W, W_FLIP, W_FLIP_DILATED

TITLE = "dX: gather with the flipped kernel"


def source_tap(w_shape, groups: int, flipped: tuple) -> tuple:
    """The W cell that W′[c, q′, m, n′] copies: W[g·Cout_g + q′, c − g·Cin_g, kh−1−m, kw−1−n′], g = c ÷ Cin_g."""
    c, qq, m, nn = flipped
    cout, cin_g, kh, kw = w_shape
    g = c // cin_g
    return (g * (cout // groups) + qq, c - g * cin_g, kh - 1 - m, kw - 1 - nn)


def build(model) -> Path:
    r, spec = model.r, model.spec
    hw = model.x_hw
    recipe = dx_gather(spec, hw, r.dz.shape[2:])
    strided = max(spec.stride) > 1               # at stride 1 there is nothing to insert: no such stage
    dz_ins = model.op("insert_zeros", r.dz, spec.stride) if strided else r.dz
    dz_in = Shown(DZ_INSERTED, dz_ins) if strided else Shown(DZ, r.dz)
    dz_pad = model.op("pad_or_crop", dz_ins, recipe.pads)
    w_flip = model.op("flip_kernel", r.w_eff, spec.groups)
    out = model.op("conv2d", dz_pad, w_flip, None, recipe.spec)
    out_role = DX_PAD if recipe.folds else DX
    grouped = spec.groups > 1
    ker = K_FLIP if model.config.true_convolution else W     # the kernel correlated, named as the forward path names it

    def flip_step(k):
        cell = cell_of(w_flip.shape, k)
        src = source_tap(r.w_eff.shape, spec.groups, cell)
        v = float(w_flip[cell])
        return Step(k, W_FLIP, cell, [Term(float(r.w_eff[src]), 1.0, ker, src)], v, {ker: [src], W_FLIP: [cell]},
                    f"{W_FLIP.cell_text(cell)} = {ker.cell_text(src)} = {fmt(v)}")

    def correlate_step(k):
        step = correlation_step(k, dz_pad, w_flip, out, recipe.spec, in_role=DZ_PAD, ker_role=W_FLIP,
                                out_role=out_role, axis="q")
        if not recipe.folds:
            reason = unreached_note(spec, hw, r.dz.shape[2:], step.cell)
            step.note = "; ".join(n for n in (step.note, reason) if n)
        return step

    stages = [
        Stage("insert", "Insert zeros", f"Put {zeros_between(spec.stride)} between neighbouring dZ cells, "
              "undoing the stride.",
              "dZ↑0[s·i, s·j] = dZ[i, j], zeros elsewhere",
              [Shown(DZ, r.dz), dz_in]),
    ] if strided else []
    stages += [
        Stage("pad", "Pad by d(k−1)−p", "Pad by d·(k−1)−p on each side (crop where that is negative), and after "
              "the last row and column also by a, what the stride left over: the rows and columns no window "
              "reached get zero gradient."
              + ("" if not recipe.folds else " With this padding mode the result is dX_pad, folded back at the end."),
              "\n".join(zeros.pad_derivation(spec, hw, r.dz.shape[2:])),
              [dz_in, Shown(DZ_PAD, dz_pad)]),
        Stage("flip", "Flip the kernel", "Rotate every kernel 180° and swap its input and output channels"
              + (f" within each of the {spec.groups} groups: W′ is Cin × Cout/groups." if grouped else "."),
              (f"W′[g·Cin_g + c, q′, m, n′] = {ker.name}[g·Cout_g + q′, c, kh−1−m, kw−1−n′]" if grouped else
               f"W′[c, q, m, n′] = {ker.name}[q, c, kh−1−m, kw−1−n′]"),
              [Shown(ker, r.w_eff), Shown(W_FLIP, w_flip)]
              + ([Shown(W_FLIP_DILATED, model.op("dilate_kernel", w_flip, spec.dilation))]
                 if max(spec.dilation) > 1 else []), w_flip.size, flip_step),
        Stage("correlate", "Correlate", "Slide the flipped kernel (dilated by d) over the padded dZ with "
              "stride 1: each cell gathers every output it influenced.",
              (f"{out_role.name}[n,c,y,x] = Σ_q′ Σ_m Σ_n′ dZ_pad[n, g·Cout_g + q′, y + d·m, x + d·n′] · "
               "W′[c,q′,m,n′],  g = c ÷ Cin_g" if grouped else
               f"{out_role.name}[n,c,y,x] = Σ_q Σ_m Σ_n′ dZ_pad[n, q, y + d·m, x + d·n′] · W′[c,q,m,n′]"),
              [Shown(DZ_PAD, dz_pad), Shown(W_FLIP, w_flip), Shown(out_role, out)], out.size, correlate_step),
    ]
    if recipe.folds:
        stages.append(fold_stage(model, out, model.op("pad_backward", out, spec, hw), "Fold the padding back",
                                 f"Each padded cell copied an input cell ({spec.padding_mode}); its gradient goes "
                                 "back to that cell."))
    return Path("dx-gather", TITLE, stages)

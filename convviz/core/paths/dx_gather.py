"""dX by gathering: insert zeros into dZ, pad by d(k−1)−p, flip the kernel, correlate
(:func:`..geometry.dx_gather`, the recipe the backends follow too)."""
from __future__ import annotations

from ..geometry import dx_gather
from .common import Path, Shown, Stage, correlation_step, zeros_between
from .roles import DX, DX_PAD, DZ, DZ_INSERTED, DZ_PAD, W, W_FLIP, W_FLIP_DILATED

TITLE = "dX: gather with the flipped kernel"


def build(model) -> Path:
    r, spec = model.r, model.spec
    hw = model.x_hw
    recipe = dx_gather(spec, hw, r.dz.shape[2:])
    strided = max(spec.stride) > 1               # at stride 1 there is nothing to insert: no such stage
    dz_ins = model.op("insert_zeros", r.dz, spec.stride) if strided else r.dz
    dz_in = Shown(DZ_INSERTED, dz_ins) if strided else Shown(DZ, r.dz)
    pads = recipe.pads
    dz_pad = model.op("pad_or_crop", dz_ins, pads)
    w_flip = model.op("flip_kernel", r.w_eff, spec.groups)
    out = model.op("conv2d", dz_pad, w_flip, None, recipe.spec)
    out_role = DX_PAD if recipe.folds else DX
    kh, dh = spec.kernel[0], spec.dilation[0]
    t = spec.padding[0]
    stages = [
        Stage("insert", "Insert zeros", f"Put {zeros_between(spec.stride)} between neighbouring dZ cells, "
              "undoing the stride.",
              "dZ↑0[s·i, s·j] = dZ[i, j], zeros elsewhere",
              [Shown(DZ, r.dz), dz_in]),
    ] if strided else []
    stages += [
        Stage("pad", "Pad by d(k−1)−p", "Pad by d·(k−1)−p on each side (crop where that is negative); the "
              "rows and columns the stride never reached get zero gradient."
              + ("" if not recipe.folds else " With this padding mode the result is dX_pad, folded back at the end."),
              f"top {dh}·({kh}−1)−{0 if recipe.folds else t} = {pads[0]}, bottom {pads[1]}, "
              f"left {pads[2]}, right {pads[3]}",
              [dz_in, Shown(DZ_PAD, dz_pad)]),
        Stage("flip", "Flip the kernel", "Rotate every kernel 180° and swap its input and output channels.",
              "W′[c, q, m, n′] = W[q, c, kh−1−m, kw−1−n′]",
              [Shown(W, r.w_eff), Shown(W_FLIP, w_flip)]
              + ([Shown(W_FLIP_DILATED, model.op("dilate_kernel", w_flip, spec.dilation))]
                 if max(spec.dilation) > 1 else [])),
        Stage("correlate", "Correlate", "Slide the flipped kernel (dilated by d) over the padded dZ with "
              "stride 1: each cell gathers every output it influenced.",
              f"{out_role.name}[n,c,y,x] = Σ_q Σ_m Σ_n′ dZ_pad[n, q, y + d·m, x + d·n′] · W′[c,q,m,n′]",
              [Shown(DZ_PAD, dz_pad), Shown(W_FLIP, w_flip), Shown(out_role, out)], out.size,
              lambda k: correlation_step(k, dz_pad, w_flip, out, recipe.spec, in_role=DZ_PAD, ker_role=W_FLIP,
                                         out_role=out_role)),
    ]
    if recipe.folds:
        stages.append(Stage("fold", "Fold the padding back", f"Each padded cell copied an input cell "
                            f"({spec.padding_mode}); its gradient goes back to that cell.",
                            "dX[y, x] = Σ of dX_pad over the padded cells that copy X[y, x]",
                            [Shown(DX_PAD, out), Shown(DX, model.op("pad_backward", out, spec, hw))]))
    return Path("dx-gather", TITLE, stages)

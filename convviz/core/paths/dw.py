"""dW: for each kernel tap, X_pad shifted under dZ; the same as a correlation of X_pad with
dZ↑0, cropped to the taps."""
from __future__ import annotations

import numpy as np

from .. import links
from ..geometry import ConvSpec
from .common import LazyTerms, Path, Shown, Stage, Step, cell_of, fmt, shape_label, sum_formula, zeros_between
from .roles import CORRELATION_FULL, CORRELATION_PLAIN, DW, DW_EFF, DZ, DZ_INSERTED, X_PAD

TITLE = "dW: shifted X"


def full_correlation(model) -> np.ndarray:
    """X_pad ⋆ dZ↑0 at every offset (u, v) where dZ↑0 fits inside X_pad, per (q, c) of a group:
    (Cout, Cin_g, Hp − (OH−1)·s, Wp − (OW−1)·s). dW_eff is its cells (d·m, d·n′)."""
    r, spec = model.r, model.spec
    (hp, wp), (oh, ow) = r.x_pad.shape[2:], r.dz.shape[2:]
    size = (hp - (oh - 1) * spec.stride[0], wp - (ow - 1) * spec.stride[1])
    # the dW of a kernel that spans the whole offset range, without dilation, is that correlation
    wide = ConvSpec(size, spec.stride, (0, 0, 0, 0), (1, 1), spec.groups)
    w = np.zeros(r.w_eff.shape[:2] + size, np.float32)
    return model.op("conv2d_backward", r.x_pad, w, r.dz, wide)[1]


def _kept(size: int, kernel: int, dilation: int) -> tuple[list[int], list[int]]:
    """Along one axis of the correlation: the cells dW keeps (d·m) and the ones it drops."""
    kept = [dilation * m for m in range(kernel)]
    return kept, [u for u in range(size) if u not in kept]


def crop_text(spec: ConvSpec, full_shape, kernel, short: bool = False) -> str:
    """What the crop from X_pad ⋆ dZ↑0 to dW keeps and drops, and why (``short``: for a step)."""
    parts = []
    for axis, word in ((0, "row"), (1, "column")):
        kept, dropped = _kept(full_shape[axis], kernel[axis], spec.dilation[axis])
        last = spec.dilation[axis] * (kernel[axis] - 1)
        after = [u for u in dropped if u > last]
        between = [u for u in dropped if u < last]
        if between:
            parts.append(f"{word}s {', '.join(map(str, between))}" + ("" if short else
                         f" lie between the taps (d = {spec.dilation[axis]})"))
        if after:
            parts.append(f"{word}{'s' if len(after) > 1 else ''} {', '.join(map(str, after))}" + (
                "" if short else f": what the stride {spec.stride[axis]} left over (a = {len(after)}), "
                "no window reaches it"))
    if not parts:
        return "nothing is dropped: the correlation is dW"
    return ("dropped: " if not short else "the correlation's ") + "; ".join(parts) + (
        " are dropped (no tap reads them)" if short else "")


def build(model) -> Path:
    r, spec = model.r, model.spec
    dw_role = DW_EFF if model.config.true_convolution else DW
    strided = max(spec.stride) > 1
    dz_role = DZ_INSERTED if strided else DZ
    full_role = CORRELATION_FULL if strided else CORRELATION_PLAIN
    dz_ins = model.op("insert_zeros", r.dz, spec.stride) if strided else r.dz
    full = full_correlation(model)
    kernel = r.w_eff.shape[2:]
    crop = crop_text(spec, full.shape[2:], kernel)
    crop_short = crop_text(spec, full.shape[2:], kernel, short=True)
    cropped = full.shape[2:] != tuple(kernel)

    def terms_of(tap, inserted: bool):
        xa, da = links.tap_support_arrays(spec, r.w_eff.shape, r.dz.shape, tap)
        vals = (r.x_pad[tuple(xa.T)], r.dz[tuple(da.T)])
        if inserted:
            da = da * np.array([1, 1, spec.stride[0], spec.stride[1]])
        xs, ds = links.as_tuples(xa), links.as_tuples(da)
        return xs, ds, LazyTerms(*vals, xs, ds, X_PAD, dz_role if inserted else DZ), xa[:, 0]

    def shift_step(k):
        tap = cell_of(r.dw_eff.shape, k)
        xs, ds, terms, samples = terms_of(tap, False)
        v = float(r.dw_eff[tap])
        formula, note = sum_formula(f"{dw_role.name}{list(tap)}", terms, v, samples, "n")
        return Step(k, dw_role, tap, terms, v, {X_PAD: xs, DZ: ds, dw_role: [tap]}, formula, note=note,
                    sum_over=(X_PAD, "n"))

    def correlation_step(k):
        tap = cell_of(r.dw_eff.shape, k)
        q, c, m, nn = tap
        at = (q, c, spec.dilation[0] * m, spec.dilation[1] * nn)
        xs, ds, terms, samples = terms_of(tap, strided)
        v = float(r.dw_eff[tap])
        formula, note = sum_formula(f"{dw_role.name}{list(tap)}", terms, v, samples, "n")
        where = (f"{dw_role.name}{list(tap)} is (X_pad ⋆ {dz_role.name}){list(at)} = {fmt(float(full[at]))}"
                 + (f"; {crop_short}" if cropped else ""))
        highlights = {X_PAD: xs, dz_role: ds, dw_role: [tap]}
        if cropped:                         # the correlation is shown only where it is not dW itself
            highlights[full_role] = [at]
        return Step(k, dw_role, tap, terms, v, highlights, formula, note="\n".join(n for n in (where, note) if n),
                    sum_over=(X_PAD, "n"))

    shown_dz = Shown(dz_role, dz_ins)
    stages = [
        Stage("shift", "Shift X under dZ", "For each tap (m, n′) of the kernel, take X_pad shifted by "
              "(d·m, d·n′), every s-th cell, multiply by dZ and add it all up.",
              "dW[q,c,m,n′] = Σ_n Σ_i Σ_j X_pad[n, g·Cin_g + c, s·i + d·m, s·j + d·n′] · dZ[n,q,i,j],  g = q ÷ Cout_g",
              [Shown(X_PAD, r.x_pad), Shown(DZ, r.dz), Shown(dw_role, r.dw_eff)], r.dw_eff.size, shift_step),
        Stage("as-correlation", "The same thing as a correlation",
              (f"Equivalently: correlate X_pad with dZ after inserting {zeros_between(spec.stride)} "
               "between its cells (dilated by the stride)." if strided else
               "Equivalently: correlate X_pad with dZ, dZ acting as the kernel.")
              + (f" The correlation is {shape_label(full.shape[2:])}, dW {shape_label(kernel)}: {crop}."
                 if cropped else ""),
              f"dW[q,c,m,n′] = (X_pad ⋆ {dz_role.name})[q, c, d·m, d·n′]",
              [Shown(X_PAD, r.x_pad), shown_dz] + ([Shown(full_role, full)] if cropped else [])
              + [Shown(dw_role, r.dw_eff)], r.dw_eff.size, correlation_step),
    ]
    if model.config.true_convolution:
        stages.append(Stage("unflip", "Back to the kernel as written", "The kernel was flipped for true "
                            "convolution, so its gradient is flipped back.", "dK = rot180(dW)",
                            [Shown(dw_role, r.dw_eff), Shown(DW, r.dw)]))
    return Path("dw", TITLE, stages)

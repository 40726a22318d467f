"""dW: for each kernel tap, X_pad shifted under dZ; the same as a correlation."""
from __future__ import annotations

from .. import links
from .common import LazyTerms, Path, Shown, Stage, Step, cell_of, terms_formula, zeros_between
from .roles import DW, DW_EFF, DZ, DZ_INSERTED, X_PAD

TITLE = "dW: shifted X"


def build(model) -> Path:
    r, spec = model.r, model.spec
    dw_role = DW_EFF if model.config.true_convolution else DW

    def step(k):
        tap = cell_of(r.dw_eff.shape, k)
        xa, da = links.tap_support_arrays(spec, r.w_eff.shape, r.dz.shape, tap)
        xs, ds = links.as_tuples(xa), links.as_tuples(da)
        terms = LazyTerms(r.x_pad[tuple(xa.T)], r.dz[tuple(da.T)], xs, ds, X_PAD, DZ)
        v = float(r.dw_eff[tap])
        return Step(k, dw_role, tap, terms, v, {X_PAD: xs, DZ: ds, dw_role: [tap]},
                    terms_formula(f"{dw_role.name}{list(tap)}", terms, v))

    strided = max(spec.stride) > 1
    dz_ins = model.op("insert_zeros", r.dz, spec.stride) if strided else r.dz
    stages = [
        Stage("shift", "Shift X under dZ", "For each tap (m, n′) of the kernel, take X_pad shifted by "
              "(d·m, d·n′), every s-th cell, multiply by dZ and add it all up.",
              "dW[q,c,m,n′] = Σ_n Σ_i Σ_j X_pad[n, g·Cin_g + c, s·i + d·m, s·j + d·n′] · dZ[n,q,i,j],  g = q ÷ Cout_g",
              [Shown(X_PAD, r.x_pad), Shown(DZ, r.dz), Shown(dw_role, r.dw_eff)], r.dw_eff.size, step),
        Stage("as-correlation", "The same thing as a correlation",
              f"Equivalently: correlate X_pad with dZ after inserting {zeros_between(spec.stride)} "
              "between its cells (dilated by the stride)." if strided else
              "Equivalently: correlate X_pad with dZ, dZ acting as the kernel.",
              ("dW = X_pad ⋆ (dZ with s−1 zeros inserted)" if strided else "dW = X_pad ⋆ dZ")
              + (", read every d cells" if max(spec.dilation) > 1 else ""),
              [Shown(X_PAD, r.x_pad), Shown(DZ_INSERTED, dz_ins) if strided else Shown(DZ, r.dz),
               Shown(dw_role, r.dw_eff)]),
    ]
    if model.config.true_convolution:
        stages.append(Stage("unflip", "Back to the kernel as written", "The kernel was flipped for true "
                            "convolution, so its gradient is flipped back.", "dK = rot180(dW)",
                            [Shown(dw_role, r.dw_eff), Shown(DW, r.dw)]))
    return Path("dw", TITLE, stages)

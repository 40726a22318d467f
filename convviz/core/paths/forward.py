"""The forward pass: pad, (flip for true convolution), slide, activate, pool, loss."""
from __future__ import annotations

from ..activations import FORMULAS as ACT_FORMULAS
from ..geometry import ConvSpec
from ..losses import FORMULAS as LOSS_FORMULAS
from .common import Path, Shown, Stage, Step, cell_of, correlation_step, count, fmt
from .pool import padding_text, pool_forward_step
from .roles import A, B, DP, K, K_FLIP, P, T, W, X, X_PAD, Z

TITLE = "Forward pass"


def build(model) -> Path:
    r, c, spec = model.r, model.config, model.spec
    t, b, l, rr = spec.padding
    stages = [Stage("pad", "Pad X", f"Pad the input ({spec.padding_mode}): {count(t, 'row')} above, {b} below; "
                    f"{count(l, 'column')} left, {rr} right.", spec.formula(model.x_hw),
                    [Shown(X, model.x), Shown(X_PAD, r.x_pad)])]
    ker = K_FLIP if c.true_convolution else W       # the kernel that slides, named as the lesson names it
    if c.true_convolution:
        stages.append(Stage("flip", "True convolution flips the kernel",
                            "True convolution is cross-correlation with the kernel rotated 180°: K → K′.",
                            "K′[m, n] = K[kh−1−m, kw−1−n]",
                            [Shown(K, model.pipeline.tensors.w), Shown(ker, r.w_eff)]))
    bias = model.pipeline.tensors.b
    slide_spec = ConvSpec(spec.kernel, spec.stride, (0, 0, 0, 0), spec.dilation, spec.groups)
    stages.append(Stage(
        "slide", "Slide the window", "Each output cell is the sum of the window's products with the kernel, "
        "plus the bias.", f"Z[n,q,i,j] = Σ_c Σ_m Σ_n′ X_pad[n, g·Cin_g + c, s·i + d·m, s·j + d·n′] · "
        f"{ker.name}[q,c,m,n′] + b[q],  g = q ÷ Cout_g",
        [Shown(X_PAD, r.x_pad), Shown(ker, r.w_eff), Shown(Z, r.z)] + ([Shown(B, bias)] if bias is not None else []),
        r.z.size, lambda k: correlation_step(k, r.x_pad, r.w_eff, r.z, slide_spec, in_role=X_PAD, ker_role=ker,
                                             out_role=Z, axis="c", bias=bias)))
    f, _ = ACT_FORMULAS[c.activation]
    stages.append(Stage("activate", "Activation", f"Apply σ = {c.activation} to every cell.", f,
                        [Shown(Z, r.z), Shown(A, r.a)], r.a.size, lambda k: _activation_step(model, k)))
    if c.pool != "none":
        stages.append(Stage("pool", f"{c.pool} pooling",
                            f"Each P cell is the {'maximum' if c.pool == 'max' else 'mean'} of its window of A."
                            + (" The first maximum wins a tie, as in PyTorch." if c.pool == "max" else "")
                            + padding_text(model),
                            "P[n,c,i,j] = " + ("max" if c.pool == "max" else "mean") + " of A over the window",
                            [Shown(A, r.a), Shown(P, r.p)], r.p.size, lambda k: pool_forward_step(model, k)))
    stages.append(_loss_stage(model))
    return Path("forward", TITLE, stages)


def _activation_step(model, k: int) -> Step:
    r = model.r
    cell = cell_of(r.a.shape, k)
    z, a = float(r.z[cell]), float(r.a[cell])
    return Step(k, A, cell, [], a, {Z: [cell], A: [cell]}, f"A{list(cell)} = σ({fmt(z)}) = {fmt(a)}", a)


def _loss_stage(model) -> Stage:
    r, c = model.r, model.config
    shown = [Shown(P, r.p)]
    if c.loss == "half_squared_error":
        shown.append(Shown(T, model.pipeline.tensors.target))
    shown.append(Shown(DP, r.dp))
    return Stage("loss", "Loss and upstream gradient", f"L = {fmt(r.loss)}; its gradient dP starts "
                 "the backward pass.", LOSS_FORMULAS[c.loss], shown)

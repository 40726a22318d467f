"""The δ chain: the gradient stepping from the loss back through every block, as plain data.

Seed 003 ends with δˡ = (δˡ⁺¹ ⋆ W′ˡ⁺¹) ⊙ σ′(zˡ), with δˡ = ∂L/∂zˡ. In a block with pooling
the gradient is first spread back over the pooling windows, so per block, top to bottom:

    loss      dPᴸ = ∂L/∂Pᴸ
    pool      dAˡ = pool′(dPˡ)                    (max: to each window's maximum; avg: 1/(kh·kw) each)
    gate      δˡ = dZˡ = dAˡ ⊙ σ′(Zˡ)
    kernel    dWˡ = Pˡ⁻¹ ⋆ δˡ,  dbˡ = Σ δˡ
    handover  dPˡ⁻¹ = dXˡ = δˡ ⋆ W′ˡ              (the next block down starts from it)

:func:`delta_chain` returns one :class:`ChainStep` per line: the layer it belongs to
("loss", "block 2"), a title, the formula in general and with the numbers of one cell
(the cell where the gradient is largest), and the arrays to show. Nothing here depends on
the one-block step model; the numbers are those of :meth:`.network.Network.compute`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import links
from .activations import FORMULAS as SIGMA
from .activations import derivative
from .backend import Backend
from .losses import FORMULAS as LOSS_FORMULAS
from .network import Network, NetworkResults
from .reference import flip_kernel
from .three_ways import flipped_tap

SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
CHAIN_FORMULA = "δˡ = (δˡ⁺¹ ⋆ W′ˡ⁺¹) ⊙ σ′(zˡ)"
MAX_SHOWN = 12               # products written out in a hand-over step; the rest are counted


@dataclass(frozen=True, eq=False)
class ChainStep:
    layer: str                   # "loss" or "block l" (l from 1)
    block: int | None            # the block's index from 0; None for the loss
    kind: str                    # "loss", "pool", "gate", "kernel", "handover"
    title: str
    formula: str                 # the general formula
    numbers: str                 # the formula with the numbers of ``cell``
    arrays: dict = field(default_factory=dict)    # name -> array to show, in order
    cell: tuple | None = None    # (n, c, i, j) of the cell the numbers are for
    reads: dict = field(default_factory=dict)     # name -> the cells the numbers read (outlined)


def sup(l: int) -> str:
    return str(l).translate(SUPERSCRIPT)


def _f(v: float) -> str:
    return f"{float(v):.4g}"


def _at(cell) -> str:
    return "[" + ",".join(str(int(i)) for i in cell) + "]"


def _largest(a: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(a))), a.shape))


def delta_chain(network: Network, results: NetworkResults | None = None,
                backend: str | Backend | None = None) -> list[ChainStep]:
    """The chain's steps from the loss down to dX of the input (computes the network unless
    ``results`` are given)."""
    r = results if results is not None else network.compute(backend)
    L = len(network.blocks)
    steps = [_loss_step(network, r, L)]
    for k in range(L - 1, -1, -1):
        steps += _block_steps(network, r, k)
    return steps


def _loss_step(network: Network, r: NetworkResults, L: int) -> ChainStep:
    c = network.loss_config
    last = r.blocks[-1]
    cell = _largest(last.dp)
    p = float(last.p[cell])
    if c.loss == "half_squared_error":
        t = float(network.target[cell])
        numbers = f"dP{sup(L)}{_at(cell)} = P − T = {_f(p)} − {_f(t)} = {_f(last.dp[cell])}"
    elif c.loss == "given":
        numbers = f"dP{sup(L)}{_at(cell)} = {_f(last.dp[cell])} (painted)"
    else:
        numbers = f"dP{sup(L)}{_at(cell)} = {_f(last.dp[cell])}"
    return ChainStep("loss", None, "loss", f"The loss L = {_f(r.loss)} after block {L}: where the chain starts",
                     LOSS_FORMULAS[c.loss], numbers, {f"P{sup(L)}": last.p, f"dP{sup(L)}": last.dp}, cell)


def _block_steps(network: Network, r: NetworkResults, k: int) -> list[ChainStep]:
    blk, br, l = network.blocks[k], r.blocks[k], k + 1
    c, s = blk.config, sup(l)
    layer = f"block {l}"
    out = []
    if c.pool != "none":
        cell = _largest(br.da)
        kh, kw = c.pool_kernel
        if c.pool == "max":
            formula = f"dA{s} = pool′(dP{s}): each dP{s} cell goes whole to its window's maximum"
            how = "the dP cells of the windows whose maximum it is"
        else:
            formula = f"dA{s} = pool′(dP{s}): each dP{s} cell spreads 1/{kh * kw} over its {kh}×{kw} window"
            how = f"1/{kh * kw} of the dP cell of each window it is in"
        out.append(ChainStep(layer, k, "pool", f"Block {l}: {c.pool} pooling hands the gradient back",
                             formula, f"dA{s}{_at(cell)} = Σ {how} = {_f(br.da[cell])}",
                             {f"dP{s}": br.dp, f"dA{s}": br.da}, cell))
    gate = derivative(br.z, c.activation, c.slope).astype(np.float32)
    cell = _largest(br.dz) if np.any(br.dz) else _largest(br.da)
    into = f"(δ{sup(l + 1)} ⋆ W′{sup(l + 1)})" if l < len(network.blocks) else f"dA{s}"
    if l < len(network.blocks) and c.pool != "none":
        into = f"pool′(δ{sup(l + 1)} ⋆ W′{sup(l + 1)})"
    formula = f"δ{s} = dZ{s} = {into} ⊙ σ′(z{s}),   {SIGMA[c.activation][1]}"
    numbers = (f"δ{s}{_at(cell)} = dA{s}{_at(cell)} · σ′(z) = {_f(br.da[cell])} × {_f(gate[cell])} "
               f"= {_f(br.dz[cell])}   (z = {_f(br.z[cell])})")
    out.append(ChainStep(layer, k, "gate", f"Block {l}: the σ′ gate of its {c.activation} activation",
                         formula, numbers, {f"dA{s}": br.da, f"σ′(Z{s})": gate, f"δ{s} = dZ{s}": br.dz}, cell))
    q = int(np.argmax(np.abs(br.db)))
    below = "X" if l == 1 else f"P{sup(l - 1)}"
    out.append(ChainStep(layer, k, "kernel", f"Block {l}: what its kernel and bias learn from δ{s}",
                         f"dW{s} = {below} ⋆ δ{s},   db{s}[q] = Σ δ{s}[:, q]",
                         f"db{s}[{q}] = Σ δ{s}[:, {q}] over {br.dz[:, q].size} cells = {_f(br.db[q])}",
                         {f"dW{s}": br.dw, f"db{s}": br.db.reshape(1, 1, 1, -1)}, (0, 0, 0, q)))
    cell = _largest(br.dx)
    pairs = links.influence_pairs(br.spec, br.w_eff.shape, br.dx.shape[2:], br.dz.shape[2:], cell)
    flipped = [flipped_tap(br.w_eff.shape, br.spec.groups, tap) for _z, tap, _xp in pairs]
    products = " + ".join(f"{_f(br.dz[z])}·{_f(br.w_eff[tap])}" for z, tap, _xp in pairs[:MAX_SHOWN])
    if len(pairs) > MAX_SHOWN:
        products += f" + … ({len(pairs)} terms)"
    lhs = f"dP{sup(l - 1)}{_at(cell)} = dX{s}{_at(cell)}" if l > 1 else f"dX¹{_at(cell)}"
    numbers = f"{lhs} = Σ δ{s}·W′{s} = {products or '0 (no window reaches it)'} = {_f(br.dx[cell])}"
    if l > 1:
        title = f"Block {l}: dX{s} becomes block {l - 1}'s dP{sup(l - 1)}"
        formula = f"dP{sup(l - 1)} = dX{s} = δ{s} ⋆ W′{s}   (W′: the kernel rotated 180°, channels swapped)"
    else:
        title = "Block 1: dX¹, the gradient of the input, ends the chain"
        formula = "dX¹ = δ¹ ⋆ W′¹   (W′: the kernel rotated 180°, channels swapped)"
    reads = {f"δ{s}": [z for z, _tap, _xp in pairs], f"W′{s}": flipped}
    out.append(ChainStep(layer, k, "handover", title, formula, numbers,
                         {f"δ{s}": br.dz, f"W′{s}": flip_kernel(br.w_eff, br.spec.groups), f"dX{s}": br.dx},
                         cell, reads))
    return out

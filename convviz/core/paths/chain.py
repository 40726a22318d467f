"""The δ chain as a path: from the loss back through every block of the network.

One stage per :class:`..delta_chain.ChainStep` (the loss; per block from the last down: the
pooling's hand-back, the σ′ gate, what the kernel learns, dX handed down as the previous
block's dP). Each stage names its layer, shows the formula and, in its one step, the
formula with the numbers of one cell, that cell outlined and the cells its numbers read too. The numbers are the network's
own (:meth:`..network.Network.compute`, the same engine); a one-block scene is a network of one.
"""
from __future__ import annotations

import numpy as np

from .. import links
from ..delta_chain import delta_chain
from ..network import NetworkResults, single
from .common import Path, Shown, Stage, Step
from .roles import NCHW, QCMN, Role

TITLE = "δ chain through the blocks"
CHAIN = "chain"          # the kind of a chain tensor: hover links none (they belong to other blocks)


SAYS = {
    "loss": "The chain starts at the loss: dP of the last block is ∂L/∂P, how much L changes with each output.",
    "pool": "Back through the pooling: each dP cell goes to the A cells of its window (max pooling: to the "
            "maximum alone).",
    "gate": "The σ′ gate: δ = dA ⊙ σ′(Z), the gradient passes where the activation is steep.",
    "kernel": "What this block's kernel learns: dW correlates the block's input with δ, db sums δ per filter.",
    "handover": "δ ⋆ W′ goes down: the gradient of this block's input, which the block below receives as its dP.",
}


def _role(name: str, kind: str) -> Role:
    axes = QCMN if name.startswith("dW") else NCHW
    return Role(name, axes, name[0] in "dδσ", f"{CHAIN} {kind}")


def network_of(model):
    """(network, results) of the model's chain, or a one-block network of its pipeline."""
    if model.chain is not None:
        return model.chain
    t, r = model.pipeline.tensors, model.r
    return single(t.x, t.w, t.b, model.config, t.target, t.dp), NetworkResults([t.x], [r], float(r.loss))


def build(model) -> Path:
    network, results = network_of(model)
    stages = []
    for st in delta_chain(network, results):
        kind = st.layer if st.block is None else f"block {st.block + 1}"
        shown = [Shown(_role(name, kind), np.asarray(a, np.float32)) for name, a in st.arrays.items()]

        def step(k, st=st, shown=shown):
            last = shown[-1]             # the tensor the numbers write; the same cell of its peers lights too
            lit = {s.role: [st.cell] for s in shown if s.data.shape == last.data.shape}
            for s in shown:              # and the cells its numbers read
                if s.role.name in st.reads:
                    lit[s.role] = list(st.reads[s.role.name])
            if st.kind == "pool":        # and the dP cells whose windows hold it
                br = results.blocks[st.block]
                lit[shown[0].role] = links.pool_targets(br.pool_spec, br.a.shape, br.p.shape, st.cell)
            return Step(k, last.role, st.cell, [], float(last.data[st.cell]), lit, st.numbers)

        stages.append(Stage(f"{st.kind}-{kind}", st.title, f"Layer: {st.layer}. {SAYS[st.kind]}",
                            st.formula, shown, 1, step))
    return Path("delta-chain", TITLE, stages)

"""Edits of a scene's stack of blocks: add, remove, move and select a block.

Each returns a new :class:`.scene.Scene` (the arrays it does not change are shared). The loss
belongs to the end of the network: its settings (``loss``, ``one_hot_cell``) stay with
whichever block is last, so adding a block at the end or moving the last block keeps the
network's loss as it was. Shapes are not checked here: a stack whose blocks do not chain
is a scene the window shows with a message naming the block and what to change.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .network import MAX_BLOCKS, Block
from .scene import Scene

_LOSS_FIELDS = ("loss", "one_hot_cell")


def _loss_at_end(blocks: list, loss_from: Block) -> tuple:
    """``blocks`` with the loss settings of ``loss_from`` on the last block."""
    c = loss_from.config
    keep = {f: getattr(c, f) for f in _LOSS_FIELDS}
    last = blocks[-1]
    blocks[-1] = replace(last, config=replace(last.config, **keep))
    return tuple(blocks)


def identity_block(channels: int) -> Block:
    """A 3×3, padding 1 block with identity activation whose kernel passes each channel
    through unchanged (W[q, q, 1, 1] = 1): added to a network it changes no number until edited."""
    w = np.zeros((channels, channels, 3, 3), np.float32)
    w[np.arange(channels), np.arange(channels), 1, 1] = 1.0
    return Block(w, np.zeros(channels, np.float32), replace(Block(w).config, padding=(1, 1),
                                                           activation="identity", pool="none"))


def add_block(scene: Scene) -> Scene:
    """A pass-through block right after the selected one, which is then selected."""
    blocks = list(scene.blocks())
    if len(blocks) >= MAX_BLOCKS:
        raise ValueError(f"a network has at most {MAX_BLOCKS} blocks; remove one before adding another")
    k = scene.selected
    last = blocks[-1]
    blocks.insert(k + 1, identity_block(int(scene.w.shape[0])))
    return scene.with_blocks(_loss_at_end(blocks, last), k + 1)


def remove_block(scene: Scene) -> Scene:
    """The network without its selected block; the block before it (or the new first) is selected."""
    blocks = list(scene.blocks())
    if len(blocks) == 1:
        raise ValueError("a network keeps at least one block; add another before removing this one")
    k = scene.selected
    last = blocks[-1]
    del blocks[k]
    return scene.with_blocks(_loss_at_end(blocks, last), max(0, k - 1))


def move_block(scene: Scene, delta: int) -> Scene:
    """The selected block moved ``delta`` places (−1: towards the input), still selected."""
    blocks = list(scene.blocks())
    k = scene.selected
    to = k + int(delta)
    if not 0 <= to < len(blocks):
        raise ValueError(f"block {k + 1} cannot move {'down' if delta < 0 else 'up'}: "
                         f"it is the {'first' if delta < 0 else 'last'} of {len(blocks)}")
    last = blocks[-1]
    blocks[k], blocks[to] = blocks[to], blocks[k]
    return scene.with_blocks(_loss_at_end(blocks, last), to)


def describe(block: Block, shapes: tuple | None = None) -> str:
    """'conv 3×3 → relu → max 2×2' and, when known, '1×1×6×6 → 1×2×3×3'."""
    c = block.config
    kh, kw = block.w.shape[2:]
    parts = [f"conv {kh}×{kw}", c.activation] + ([] if c.pool == "none" else [f"{c.pool} {c.pool_kernel[0]}×"
                                                                          f"{c.pool_kernel[1]}"])
    text = " → ".join(parts)
    if shapes is not None:
        text += "\n" + " → ".join("×".join(map(str, s)) for s in shapes)
    return text

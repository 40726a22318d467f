"""The ``network`` section of a version-3 scene file: the blocks around the selected one,
and the training settings.

    "network": {"below": [block, …], "above": [block, …],
                "training": {"lr": 0.01, "momentum": 0.9, "steps": 500}}
    block = {"config": {…as the scene's config…}, "w": tensor, "b": tensor or null}

Checked as the rest of the file is (``schema.py``): every field's type and range with a
message naming it (``network.above[0].w.shape: …``), the number of blocks, and, on shapes
alone before any tensor is decoded, that each block's input fits it and what it needs.
"""
from __future__ import annotations

import numpy as np

from . import schema
from .schema import _fail, show

VERSION_NETWORK = 3
TRAINING_FIELDS = ("lr", "momentum", "steps")


def check_section(net, version: int) -> dict:
    """The section with configs checked and tensors as (shape, data), not yet decoded."""
    from .network import MAX_BLOCKS
    from .training import MAX_LR, MAX_STEPS

    if version < VERSION_NETWORK:
        _fail("network", f"needs version {VERSION_NETWORK} of the format; the file says {show(version)}")
    schema.mapping(net, "network", ("below", "above", "training"), "field")
    out = {}
    for side in ("below", "above"):
        blocks = net.get(side, [])
        if not isinstance(blocks, list):
            _fail(f"network.{side}", f"must be a list of blocks; got {show(blocks)}")
        if len(blocks) > MAX_BLOCKS - 1:
            _fail(f"network.{side}", f"has {len(blocks)} blocks; a network has at most {MAX_BLOCKS} in all")
        out[side] = [_check_block(b, f"network.{side}[{i}]", version) for i, b in enumerate(blocks)]
    total = len(out["below"]) + len(out["above"]) + 1
    if total > MAX_BLOCKS:
        _fail("network", f"holds {total} blocks with the selected one; at most {MAX_BLOCKS}: remove "
                         f"{total - MAX_BLOCKS} from below or above")
    t = net.get("training", {})
    schema.mapping(t, "network.training", TRAINING_FIELDS, "setting")
    training = {}
    if "lr" in t:
        training["lr"] = schema.number(t["lr"], "network.training.lr", MAX_LR)
        if training["lr"] <= 0:
            _fail("network.training.lr", f"{show(t['lr'])} must be above 0 (at most {MAX_LR:g})")
    if "momentum" in t:
        training["momentum"] = schema.number(t["momentum"], "network.training.momentum", 1.0)
        if not 0 <= training["momentum"] < 1:
            _fail("network.training.momentum", f"{show(t['momentum'])} must be at least 0 and below 1")
    if "steps" in t:
        training["steps"] = schema.whole(t["steps"], "network.training.steps", 1, MAX_STEPS)
    out["training"] = training
    return out


def _check_block(b, field: str, version: int) -> dict:
    if not isinstance(b, dict):
        _fail(field, f"must be a mapping with config, w and b; got {show(b)}")
    unknown = sorted(set(b) - {"config", "w", "b"})
    if unknown:
        _fail(field, f"unknown field(s) {', '.join(show(k) for k in unknown[:5])}; a block has config, w, b")
    try:
        config = schema.check_config(b.get("config", {}))
        w = schema.check_tensor_entry(b.get("w"), "w", version)
        bias = schema.check_tensor_entry(b.get("b"), "b", version)
    except ValueError as exc:             # "config.stride: …" / "tensors.w: …" named within the block
        msg = str(exc)
        raise ValueError(f"{field}.{msg[len('tensors.'):] if msg.startswith('tensors.') else msg}") from None
    return {"config": config, "w": w, "b": bias}


def _ghost(shape) -> np.ndarray:
    """An array of ``shape`` that takes no memory: the network's shape checks read shapes alone."""
    return np.broadcast_to(np.float32(0), tuple(shape))


def check_chain(net: dict, x_shape, w_shape, config) -> None:
    """Every block's input fits it, and what each needs is within the limits (shapes only)."""
    from dataclasses import replace

    from .network import Block, Network
    from .pipeline import BlockConfig

    def block(entry):
        return Block(_ghost(entry["w"][0]), None, replace(BlockConfig(), **entry["config"]))

    for side in ("below", "above"):
        for i, e in enumerate(net[side]):
            if e["b"] is not None and e["b"][0] != (e["w"][0][0],):
                _fail(f"network.{side}[{i}].b.shape", f"{list(e['b'][0])} must be [{e['w'][0][0]}]: one value per "
                                                      f"filter of the block's kernel")
    blocks = ([block(e) for e in net["below"]] + [Block(_ghost(w_shape), None, config)]
              + [block(e) for e in net["above"]])
    shapes = Network(_ghost(x_shape), tuple(blocks)).shapes()
    for i, (blk, (in_shape, _)) in enumerate(zip(blocks, shapes)):
        try:
            schema.check_needs(in_shape, blk.w.shape, blk.config)
        except ValueError as exc:
            raise ValueError(f"block {i + 1}: {exc}") from None


def decode(net: dict) -> tuple[tuple, tuple, object]:
    """(below, above, training) with the tensors decoded."""
    from dataclasses import replace

    from .network import Block
    from .pipeline import BlockConfig
    from .training import Training

    def block(entry, field):
        try:
            w = schema.decode_tensor(*entry["w"], "w")
            b = None if entry["b"] is None else schema.decode_tensor(*entry["b"], "b")
        except ValueError as exc:            # "tensors.w…: …" named within the block
            raise ValueError(f"{field}.{str(exc)[len('tensors.'):]}") from None
        return Block(w, b, replace(BlockConfig(), **entry["config"]))

    below = tuple(block(e, f"network.below[{i}]") for i, e in enumerate(net["below"]))
    above = tuple(block(e, f"network.above[{i}]") for i, e in enumerate(net["above"]))
    return below, above, Training(**net["training"])

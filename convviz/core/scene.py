"""Scenes: everything needed to reproduce a view, in a versioned JSON file.

Loading checks the file against the schema (``schema.py``) before anything is built, so
a bad file raises a ValueError naming the field and leaves the caller's current scene
untouched. float32 values round-trip exactly: small tensors as numbers (JSON holds their
exact float64 value), big ones as base64 float32. Version 2 is written for one block,
version 3 for a network of blocks or training settings (its ``network`` section); 1, 2 and 3
are read, and a version-1 or 2 file opens as one block.

A scene of several blocks keeps the selected block in ``w``, ``b`` and ``config`` (the
block the window shows and edits) and the others in ``below`` and ``above``; ``x`` is the
network's input and ``target``/``dp`` what its loss needs (the loss is the last block's
``config.loss``). :meth:`Scene.pipeline` is then the selected block alone, fed with its
real input and the gradient that reaches it, so every one-block path shows any block.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from . import schema, schema_network
from .network import Block, Network
from .pipeline import BlockConfig, Pipeline, Tensors
from .schema import FORMAT, VERSION
from .spec import check_conv
from .training import Training

COMPUTE_CHECK_CELLS = 128 * 128      # inputs up to this size are computed once with numpy when loaded


TENSOR_NAMES = tuple(f.name for f in fields(Tensors))
_PLAIN_FIELDS = ("config", "path", "position", "title", "text", "training")


def _same(a, b) -> bool:
    """Arrays equal exactly, dtype included (or both None)."""
    return (a is None) == (b is None) and (a is None or (a.dtype == b.dtype and np.array_equal(a, b)))


@dataclass(frozen=True, eq=False)
class Scene:
    """The block's tensors (x, w, b, target, dp) and everything else a view needs.

    Frozen: a change is a new scene (``dataclasses.replace``) that shares the arrays it does
    not change. Equal scenes have equal values, arrays compared exactly (dtype included).
    """
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray | None = None
    target: np.ndarray | None = None
    dp: np.ndarray | None = None
    config: BlockConfig = field(default_factory=BlockConfig)
    path: str = "forward"
    position: int = 0
    title: str = ""
    text: str = ""
    below: tuple = ()                  # the blocks before the selected one, first to last
    above: tuple = ()                  # the blocks after it
    training: Training = field(default_factory=Training)

    # ------------------------------------------------------------ the stack of blocks

    @property
    def selected(self) -> int:
        """The index (from 0) of the block shown and edited."""
        return len(self.below)

    def block(self) -> Block:
        return Block(self.w, self.b, self.config)

    def blocks(self) -> tuple:
        return tuple(self.below) + (self.block(),) + tuple(self.above)

    def network(self) -> Network:
        return Network(self.x, self.blocks(), self.target, self.dp)

    def with_blocks(self, blocks, selected: int = 0) -> "Scene":
        """This scene with another stack (1 to MAX_BLOCKS blocks) and block ``selected`` shown."""
        blocks = tuple(blocks)
        Network(self.x, blocks)                      # checks the count and types
        if not 0 <= selected < len(blocks):
            raise ValueError(f"there is no block {selected + 1}; the network has {len(blocks)}")
        s = blocks[selected]
        return replace(self, w=s.w, b=s.b, config=s.config, below=blocks[:selected], above=blocks[selected + 1:])

    def select(self, k: int) -> "Scene":
        """The same network with block ``k`` (from 0) selected."""
        return self.with_blocks(self.blocks(), k)

    def with_network(self, network: Network) -> "Scene":
        """This scene holding ``network``'s blocks (e.g. trained), the same block selected."""
        return replace(self.with_blocks(network.blocks, self.selected), x=network.x)

    def arrays(self) -> Tensors:
        """The tensors themselves, shared, not copied (for a pipeline that never writes them)."""
        return Tensors(*(getattr(self, k) for k in TENSOR_NAMES))

    def tensors(self) -> Tensors:
        """A copy of the tensors alone, for a pipeline to own."""
        return Tensors(*(None if getattr(self, k) is None else getattr(self, k).copy() for k in TENSOR_NAMES))

    @property
    def stacked(self) -> bool:
        """The scene holds a network of several blocks."""
        return bool(self.below or self.above)

    def block_inputs(self, fed=None) -> tuple[Tensors, BlockConfig]:
        """What the selected block computes on, arrays shared: the scene's own tensors for one
        block. In a network (``fed``: its computed :class:`.network.NetworkResults`) the input
        is what the blocks below make and, unless it is the last block, its loss is 'given':
        the dP that flows back into it from above."""
        if not self.stacked:
            return self.arrays(), self.config
        k = self.selected
        if not self.above:
            return Tensors(fed.inputs[k], self.w, self.b, self.target, self.dp), self.config
        return Tensors(fed.inputs[k], self.w, self.b, None, fed.blocks[k].dp), replace(self.config, loss="given")

    def pipeline(self, backend=None) -> Pipeline:
        """A pipeline on copies of the selected block's inputs (:meth:`block_inputs`); ``backend``
        is "numpy", "opencl", None (automatic) or any object with the operations of
        :class:`.backend.Backend`."""
        t, config = self.block_inputs(self.network().compute(backend) if self.stacked else None)
        return Pipeline(Tensors(*(None if getattr(t, k) is None else getattr(t, k).copy() for k in TENSOR_NAMES)),
                        config, backend)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Scene):
            return NotImplemented
        if any(getattr(self, k) != getattr(other, k) for k in _PLAIN_FIELDS):
            return False
        if (len(self.below), len(self.above)) != (len(other.below), len(other.above)):
            return False
        pairs = [(getattr(self, k), getattr(other, k)) for k in TENSOR_NAMES]
        for mine, theirs in zip(self.below + self.above, other.below + other.above):
            if mine.config != theirs.config:
                return False
            pairs += [(mine.w, theirs.w), (mine.b, theirs.b)]
        return all(_same(a, b) for a, b in pairs)

    def to_dict(self) -> dict:
        arrays = {k: None if getattr(self, k) is None else schema.encode_tensor(getattr(self, k))
                  for k in TENSOR_NAMES}
        d = {"format": FORMAT, "version": VERSION, "title": self.title, "text": self.text,
             "path": self.path, "position": self.position, "config": _jsonable(asdict(self.config)),
             "tensors": arrays}
        if self.below or self.above or self.training != Training():
            d["version"] = schema_network.VERSION_NETWORK
            d["network"] = {"below": [_block_dict(b) for b in self.below],
                            "above": [_block_dict(b) for b in self.above],
                            "training": asdict(self.training)}
        return d

    def save(self, path) -> None:
        """Write atomically: a crash mid-save never leaves half a file."""
        path = Path(path)
        d, big = self.to_dict(), []
        data = json.dumps(_set_aside(d, big), indent=1).split(json.dumps(_ASIDE)[1:-1])
        if len(data) != len(big) + 1:                 # the marker in a text: write it all in one
            data, big = [json.dumps(d, indent=1)], []
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".convviz-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                for k, text in enumerate(data):
                    f.write(text)
                    if k < len(big):              # base64 needs no JSON escaping: written in pieces
                        for i in range(0, len(big[k]), _PIECE):
                            f.write(big[k][i:i + _PIECE])
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


_ASIDE, _PIECE = "\x00base64\x00", 2**18          # JSON escapes the NULs: \u0000base64\u0000


def _set_aside(v, big: list):
    """``v`` with each base64 tensor (a long string) replaced by a marker, the strings in ``big``.

    json.dumps escapes a string in one call that holds the interpreter: for a 1024² tensor
    about 10 ms in which an autosave thread would stall the GUI thread."""
    if isinstance(v, dict):
        return {k: _set_aside(e, big) for k, e in v.items()}
    if isinstance(v, list):
        return [_set_aside(e, big) for e in v]
    if isinstance(v, str) and len(v) > _PIECE:
        big.append(v)
        return _ASIDE
    return v


def _block_dict(b: Block) -> dict:
    return {"config": _jsonable(asdict(b.config)), "w": schema.encode_tensor(b.w),
            "b": None if b.b is None else schema.encode_tensor(b.b)}


def _jsonable(v):
    if isinstance(v, (list, tuple)):
        return [_jsonable(e) for e in v]
    if isinstance(v, dict):
        return {k: _jsonable(e) for k, e in v.items()}
    return v


def scene_from_dict(d) -> Scene:
    """Check ``d`` against the schema, then build the scene and check that its block computes."""
    try:
        f = schema.check_scene(d)
        config = replace(BlockConfig(), **f["config"])
        x_shape, w_shape = f["tensors"]["x"][0], f["tensors"]["w"][0]
        net = f.get("network")
        if net is None:
            try:
                schema.check_needs(x_shape, w_shape, config)
            except ValueError as exc:
                raise ValueError(f"config: {exc}") from None
        else:                                            # every block, on shapes alone, before decoding
            schema_network.check_chain(net, x_shape, w_shape, config)
        arrays = {k: None if v is None else schema.decode_tensor(*v, k) for k, v in f["tensors"].items()}
        scene = Scene(**arrays, config=config, path=f["path"], position=f["position"], title=f["title"],
                      text=f["text"])
        if net is not None:
            below, above, training = schema_network.decode(net)
            scene = replace(scene, below=below, above=above, training=training)
            if scene.x.size <= COMPUTE_CHECK_CELLS:
                scene.network().compute("numpy")         # the network itself must work
        elif scene.x.size <= COMPUTE_CHECK_CELLS:
            scene.pipeline(backend="numpy").compute()    # the configuration itself must work
        else:                                            # too slow to compute twice: the window reports the rest
            check_conv(scene.x, scene.w, scene.b, config.conv_args())
    except (TypeError, IndexError, KeyError, OverflowError, MemoryError, RecursionError) as exc:
        raise ValueError(f"the scene's settings do not make a working block: {str(exc)[:200]}") from None
    return scene


def load_scene(path) -> Scene:
    """Read and check a scene file; any problem is a ValueError that names the field."""
    return scene_from_dict(schema.read_json(path))

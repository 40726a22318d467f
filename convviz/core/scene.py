"""Scenes: everything needed to reproduce a view, in a versioned JSON file.

Loading checks the file against the schema (``schema.py``) before anything is built, so
a bad file raises a ValueError naming the field and leaves the caller's current scene
untouched. float32 values round-trip exactly: small tensors as numbers (JSON holds their
exact float64 value), big ones as base64 float32. Version 2 is written; 1 and 2 are read.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from . import schema
from .pipeline import BlockConfig, Pipeline, Tensors
from .schema import FORMAT, VERSION
from .spec import check_conv

COMPUTE_CHECK_CELLS = 128 * 128      # inputs up to this size are computed once with numpy when loaded


TENSOR_NAMES = tuple(f.name for f in fields(Tensors))
_PLAIN_FIELDS = ("config", "path", "position", "title", "text")


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

    def arrays(self) -> Tensors:
        """The tensors themselves, shared, not copied (for a pipeline that never writes them)."""
        return Tensors(*(getattr(self, k) for k in TENSOR_NAMES))

    def tensors(self) -> Tensors:
        """A copy of the tensors alone, for a pipeline to own."""
        return Tensors(*(None if getattr(self, k) is None else getattr(self, k).copy() for k in TENSOR_NAMES))

    def pipeline(self, backend=None) -> Pipeline:
        """A pipeline on a copy of the tensors; ``backend`` is "numpy", "opencl", None
        (automatic) or any object with the operations of :class:`.backend.Backend`."""
        return Pipeline(self.tensors(), self.config, backend)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Scene):
            return NotImplemented
        if any(getattr(self, k) != getattr(other, k) for k in _PLAIN_FIELDS):
            return False
        return all((a is None) == (b is None) and (a is None or (a.dtype == b.dtype and np.array_equal(a, b)))
                   for a, b in ((getattr(self, k), getattr(other, k)) for k in TENSOR_NAMES))

    def to_dict(self) -> dict:
        arrays = {k: None if getattr(self, k) is None else schema.encode_tensor(getattr(self, k))
                  for k in TENSOR_NAMES}
        return {"format": FORMAT, "version": VERSION, "title": self.title, "text": self.text,
                "path": self.path, "position": self.position, "config": _jsonable(asdict(self.config)),
                "tensors": arrays}

    def save(self, path) -> None:
        """Write atomically: a crash mid-save never leaves half a file."""
        path = Path(path)
        data = json.dumps(self.to_dict(), indent=1)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".convviz-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


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
        try:
            schema.check_needs(x_shape, w_shape, config)
        except ValueError as exc:
            raise ValueError(f"config: {exc}") from None
        arrays = {k: None if v is None else schema.decode_tensor(*v, k) for k, v in f["tensors"].items()}
        scene = Scene(**arrays, config=config, path=f["path"], position=f["position"], title=f["title"],
                      text=f["text"])
        if scene.x.size <= COMPUTE_CHECK_CELLS:
            scene.pipeline(backend="numpy").compute()    # the configuration itself must work
        else:                                            # too slow to compute twice: the window reports the rest
            check_conv(scene.x, scene.w, scene.b, config.conv_args())
    except (TypeError, IndexError, KeyError, OverflowError, MemoryError, RecursionError) as exc:
        raise ValueError(f"the scene's settings do not make a working block: {str(exc)[:200]}") from None
    return scene


def load_scene(path) -> Scene:
    """Read and check a scene file; any problem is a ValueError that names the field."""
    return scene_from_dict(schema.read_json(path))

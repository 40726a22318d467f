"""Scenes: everything needed to reproduce a view, in a versioned JSON file.

Loading validates everything before anything is used, so a bad file raises a
ValueError with a clear message and leaves the caller's current scene untouched.
float32 values round-trip exactly (JSON holds their exact float64 value).
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from .pipeline import BlockConfig, Pipeline, Tensors
from .steps import PATHS

FORMAT = "convviz-scene"
VERSION = 1


TENSOR_NAMES = tuple(f.name for f in fields(Tensors))


@dataclass
class Scene(Tensors):
    """The block's tensors (x, w, b, target, dp) and everything else a view needs."""
    config: BlockConfig = field(default_factory=BlockConfig)
    path: str = "forward"
    position: int = 0
    title: str = ""
    text: str = ""

    def tensors(self) -> Tensors:
        """A copy of the tensors alone, for a pipeline to own."""
        return Tensors(*(None if getattr(self, k) is None else getattr(self, k).copy() for k in TENSOR_NAMES))

    def pipeline(self, backend=None) -> Pipeline:
        return Pipeline(self.tensors(), self.config, backend)

    def to_dict(self) -> dict:
        arrays = {k: (None if getattr(self, k) is None else
                      {"shape": list(getattr(self, k).shape), "data": getattr(self, k).astype(np.float64).ravel().tolist()})
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


def _tupled(v):
    return tuple(_tupled(e) for e in v) if isinstance(v, list) else v


def _array(d, name: str, required: bool) -> np.ndarray | None:
    if d is None:
        if required:
            raise ValueError(f"the scene has no tensor {name!r}")
        return None
    try:
        shape = tuple(int(s) for s in d["shape"])
        data = np.asarray(d["data"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"tensor {name!r} must be {{'shape': [...], 'data': [numbers]}}") from None
    if data.ndim != 1 or data.size != int(np.prod(shape)):
        raise ValueError(f"tensor {name!r} has {data.size} values but its shape {shape} needs {int(np.prod(shape))}")
    if not np.isfinite(data).all():
        raise ValueError(f"tensor {name!r} holds NaN or Inf")
    return data.astype(np.float32).reshape(shape)


def scene_from_dict(d) -> Scene:
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise ValueError("this is not a convviz scene file (no 'format': 'convviz-scene')")
    version = d.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ValueError(f"this scene was written by a newer convviz (version {version}); this one reads up to "
                         f"version {VERSION}")
    t = d.get("tensors")
    if not isinstance(t, dict):
        raise ValueError("the scene has no 'tensors' section")
    known = {f.name for f in fields(BlockConfig)}
    cfg = d.get("config", {})
    if not isinstance(cfg, dict):
        raise ValueError("the scene's 'config' must be a mapping")
    unknown = set(cfg) - known
    if unknown:
        raise ValueError(f"the scene's config has unknown settings: {', '.join(sorted(unknown))}")
    config = replace(BlockConfig(), **{k: _tupled(v) for k, v in cfg.items()})
    path = d.get("path", "forward")
    if path not in PATHS:
        raise ValueError(f"unknown path {path!r} in the scene; the paths are: {', '.join(PATHS)}")
    position = d.get("position", 0)
    if not isinstance(position, int) or position < 0:
        raise ValueError("the scene's 'position' must be a whole number ≥ 0")
    scene = Scene(_array(t.get("x"), "x", True), _array(t.get("w"), "w", True), _array(t.get("b"), "b", False),
                  _array(t.get("target"), "target", False), _array(t.get("dp"), "dp", False), config,
                  path, position, str(d.get("title", "")), str(d.get("text", "")))
    try:
        scene.pipeline(backend="numpy").compute()    # the configuration itself must work
    except (TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"the scene's settings do not make a working block: {exc}") from None
    return scene


def load_scene(path) -> Scene:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{Path(path).name} is not valid JSON (line {exc.lineno}): it may be damaged") from None
    return scene_from_dict(d)

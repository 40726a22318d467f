"""The session: one frozen scene at a time, its undo history, events, and a pipeline cache.

Qt-free. An edit makes a new :class:`.scene.Scene` that shares every array it does not
change; the session's arrays are read-only copies, so a scene, once made, never changes
and the undo history can keep scenes by reference. Events:

- ``changed(scene)``: the tensors, configuration, title or text changed (an edit, a stroke's
  preview, undo, redo, a new scene); results must be computed again;
- ``moved(scene)``: only the path or the position changed.

The pipeline is a cache keyed on the scene: it keeps the last ``CACHED_PIPELINES`` computed
pipelines, and :meth:`pipeline` returns one for a scene that starts from the cached
results the scene leaves valid (all of them when a cached pipeline was computed on the
same arrays and configuration: undoing a recent step computes nothing). A GUI adapter
computes it on a worker thread and hands it back with :meth:`keep`.
"""
from __future__ import annotations

from dataclasses import fields, replace

import numpy as np

from .events import Events
from .history import HISTORY_BYTES, History
from .pipeline import UNCHANGED, BlockConfig, Pipeline, stale_level
from .scene import TENSOR_NAMES, Scene

_CONFIG_FIELDS = tuple(f.name for f in fields(BlockConfig))
CACHED_PIPELINES = 3          # a 1024² block's results are about 40 MB, partly shared between entries


def _read_only(a) -> np.ndarray | None:
    """A read-only copy of ``a`` (the caller's array stays theirs and writable)."""
    if a is None:
        return None
    a = np.array(a)
    a.setflags(write=False)
    return a


def own(scene: Scene) -> Scene:
    """``scene`` with read-only copies of its arrays."""
    return replace(scene, **{k: _read_only(getattr(scene, k)) for k in TENSOR_NAMES})


class Session:
    def __init__(self, scene: Scene, backend=None, history_limit: int = HISTORY_BYTES):
        """``backend``: as for :class:`.pipeline.Pipeline` ("numpy", "opencl", None or an object)."""
        self.backend = backend
        self.events = Events("changed", "moved")
        self.history = History(history_limit)
        self._scene = own(scene)
        self._cache: list[Pipeline] = []        # newest first
        self._fed: list = []                      # (key, NetworkResults) of recent network scenes, newest first
        self._stroke_before: Scene | None = None

    @property
    def scene(self) -> Scene:
        return self._scene

    @property
    def in_stroke(self) -> bool:
        return self._stroke_before is not None

    # ------------------------------------------------------------ edits

    def edit(self, text: str, *, config: dict | None = None, tensors: dict | None = None,
             record: bool = True) -> Scene:
        """A new scene with ``config`` fields and ``tensors`` replaced (read-only copies of the
        caller's arrays); undoable as ``text`` unless ``record`` is False. Returns the scene."""
        after = self._changed_scene(config, tensors)
        if record:
            self.history.push(text, self._scene, after)
        self._set(after)
        return after

    def begin_stroke(self) -> None:
        """A mouse stroke starts: its previews (``edit(record=False)``) and its end are one step."""
        self._stroke_before = self._scene

    def end_stroke(self, text: str, *, config: dict | None = None, tensors: dict | None = None) -> Scene:
        before, self._stroke_before = self._stroke_before or self._scene, None
        after = self._changed_scene(config, tensors)
        self.history.push(text, before, after)
        self._set(after)
        return after

    def set_scene(self, scene: Scene, record: bool = True) -> None:
        """Replace the whole scene (read-only copies of its arrays); undoable as "open scene"."""
        after = own(scene)
        if record:
            self.history.push("open scene", self._scene, after)
        self._set(after)

    def replace(self, text: str, scene: Scene, record: bool = True) -> Scene:
        """Replace the whole scene (a block added, removed, moved or chosen; a training run),
        undoable as ``text`` unless ``record`` is False. Inside a stroke the recorded step
        starts where the stroke began, so the previews of a training run are one step."""
        after = own(scene)
        if record:
            before, self._stroke_before = self._stroke_before or self._scene, None
            self.history.push(text, before, after)
        self._set(after)
        return after

    def navigate(self, path: str, position: int) -> None:
        """Go to ``position`` on ``path``; not an undo step. Checked by whoever knows the paths."""
        if (path, position) != (self._scene.path, self._scene.position):
            self._scene = replace(self._scene, path=path, position=int(position))
            self.events.moved.emit(self._scene)

    def undo(self) -> None:
        """Bring back the scene before the last step (its arrays as they were, by reference)."""
        self._set(self.history.undo())

    def redo(self) -> None:
        self._set(self.history.redo())

    def _changed_scene(self, config: dict | None, tensors: dict | None) -> Scene:
        unknown = sorted(set(config or ()) - set(_CONFIG_FIELDS)) + sorted(set(tensors or ()) - set(TENSOR_NAMES))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; a scene has the settings "
                             f"{', '.join(_CONFIG_FIELDS)} and the tensors {', '.join(TENSOR_NAMES)}")
        changes = {k: _read_only(a) for k, a in (tensors or {}).items()}
        if config:
            changes["config"] = replace(self._scene.config, **config)
        return replace(self._scene, **changes)

    def _set(self, scene: Scene) -> None:
        self._scene = scene
        self.events.changed.emit(scene)

    # ------------------------------------------------------------ the pipeline cache

    def pipeline(self, scene: Scene | None = None) -> Pipeline:
        """A pipeline for ``scene`` (the current one by default) that reuses what the cache
        holds: every level when a cached pipeline was computed on the same arrays and
        configuration (a hit: nothing to compute), else the most levels any cached one keeps."""
        tensors, config = self._block_inputs(scene or self._scene)
        if not self._cache:
            return Pipeline(tensors, config, self.backend)
        best = max(self._cache, key=lambda p: stale_level(p.tensors, p.config, tensors, config))
        return best.with_inputs(tensors, config)

    def _block_inputs(self, scene: Scene):
        """The selected block's inputs; in a network, fed by the others."""
        if not scene.stacked:
            return scene.block_inputs()
        return scene.block_inputs(self.fed(scene))

    def fed(self, scene: Scene | None = None):
        """The network's computed :class:`.network.NetworkResults` (``scene``: the current one),
        computed again when anything it depends on changes: the input, target, dP, the other
        blocks and the selected block itself (an edit of the selected block changes the numbers
        of every block above it, and so the dP that comes back into it). ValueError if it cannot work."""
        scene = scene or self._scene
        key = (scene.x, scene.target, scene.dp, scene.below, scene.above, scene.w, scene.b, scene.config)
        for k, fed in self._fed:
            if all(a is b or (isinstance(a, BlockConfig) and a == b) for a, b in zip(k, key)):
                return fed
        fed = scene.network().compute(self.backend)
        self._fed = [(key, fed)] + self._fed[:CACHED_PIPELINES - 1]      # an undo finds its feed again
        return fed

    def keep(self, pipeline: Pipeline) -> None:
        """Cache a computed pipeline (from :meth:`pipeline`, computed on any thread)."""
        if not pipeline.up_to_date:
            raise ValueError("only a computed pipeline can be cached; call its compute() first")
        others = [p for p in self._cache
                  if stale_level(p.tensors, p.config, pipeline.tensors, pipeline.config) != UNCHANGED]
        self._cache = [pipeline] + others[:CACHED_PIPELINES - 1]

    def compute(self) -> Pipeline:
        """The current scene's pipeline, computed here and cached; ValueError if it cannot work."""
        p = self.pipeline()
        p.compute()
        self.keep(p)
        return p

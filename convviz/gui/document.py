"""The window's model: a scene, its pipeline and step model, the current path and position.

A QObject so views can subscribe to ``changed``; it holds no mathematics of its own
(everything is asked of the core). A change that cannot work emits ``problem`` with the
core's message and keeps the last good results on screen.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6 import QtCore, QtGui

from ..core.pipeline import Pipeline
from ..core.scene import Scene, scene_from_dict
from ..core.steps import PATHS, StepModel
from ..core import presets


class SnapshotCommand(QtGui.QUndoCommand):
    def __init__(self, doc: "Document", before: dict, after: dict, text: str):
        super().__init__(text)
        self.doc, self.before, self.after = doc, before, after
        self._first = True

    def redo(self):
        if self._first:          # the change is already applied when the command is pushed
            self._first = False
            return
        self.doc._restore(self.after)

    def undo(self):
        self.doc._restore(self.before)


class Document(QtCore.QObject):
    changed = QtCore.Signal()            # tensors or parameters changed; results recomputed
    position_changed = QtCore.Signal()   # path or step changed
    problem = QtCore.Signal(str)         # '' when everything works

    def __init__(self, scene: Scene | None = None, backend: str | None = None):
        super().__init__()
        self.backend = backend
        self.undo = QtGui.QUndoStack(self)
        self.scene = scene or presets.default_scene()
        self.pipeline = self.scene.pipeline(backend)
        self.model: StepModel | None = None
        self.message = ""
        self.last_seconds = 0.0
        self.path_name = self.scene.path
        self.position = self.scene.position
        self._recompute()

    # ------------------------------------------------------------ state

    def snapshot(self) -> dict:
        self._sync_scene()
        return self.scene.to_dict()

    def _sync_scene(self) -> None:
        t, s = self.pipeline.tensors, self.scene
        s.x, s.w, s.b, s.target, s.dp = t.x, t.w, t.b, t.target, t.dp
        s.config, s.path, s.position = self.pipeline.config, self.path_name, self.position

    def _restore(self, d: dict) -> None:
        scene = scene_from_dict(d)
        self.set_scene(scene, record=False)

    def set_scene(self, scene: Scene, record: bool = True) -> None:
        before = self.snapshot() if record else None
        self.scene = scene
        self.pipeline = scene.pipeline(self.backend)
        self.path_name, self.position = scene.path, scene.position
        self._recompute()
        if record:
            self.undo.push(SnapshotCommand(self, before, self.snapshot(), "open scene"))

    # ------------------------------------------------------------ edits

    def edit(self, text: str, *, config: dict | None = None, tensors: dict | None = None, record: bool = True):
        """Apply a change; undoable. Returns False (and emits problem) when it cannot work."""
        before = self.snapshot() if record else None
        if tensors:
            self.pipeline.set_tensors(**tensors)
        if config:
            self.pipeline.set_config(**config)
        ok = self._recompute()
        if record:
            self.undo.push(SnapshotCommand(self, before, self.snapshot(), text))
        return ok

    def _recompute(self) -> bool:
        t0 = time.perf_counter()
        try:
            self.pipeline.compute()
            self.model = StepModel(self.pipeline)
            self.message = ""
            ok = True
        except ValueError as exc:
            self.message = str(exc)
            ok = False
        self.last_seconds = time.perf_counter() - t0
        if self.model is not None:
            if self.path_name not in self.model.available():
                self.path_name = "forward"
            self.position = min(self.position, self.path().n_positions - 1)
        self._sync_scene()
        self.problem.emit(self.message)
        self.changed.emit()
        self.position_changed.emit()
        return ok

    # ------------------------------------------------------------ stepping

    def path(self):
        return self.model.path(self.path_name)

    def set_path(self, name: str) -> None:
        if name not in PATHS:
            raise ValueError(f"unknown path {name!r}; the paths are: {', '.join(PATHS)}")
        if self.model is not None and name not in self.model.available():
            self.problem.emit(f"the {name} path is not available for this scene (the Jacobian needs a small input)")
            return
        self.path_name, self.position = name, 0
        self._sync_scene()
        self.position_changed.emit()

    def set_position(self, p: int) -> None:
        if self.model is None:
            return
        p = int(np.clip(p, 0, self.path().n_positions - 1))
        if p != self.position:
            self.position = p
            self._sync_scene()
            self.position_changed.emit()

    def step_by(self, delta: int) -> None:
        self.set_position(self.position + delta)

    def stage_by(self, delta: int) -> None:
        """Jump to the first position of the previous / next stage."""
        path = self.path()
        stage, _ = path.position(self.position)
        target = int(np.clip(stage + delta, 0, len(path.stages) - 1))
        self.set_position(sum(max(1, s.n_steps) for s in path.stages[:target]))

"""The window's model: a scene, its pipeline and step model, the current path and position.

A QObject so views can subscribe to ``changed``; it holds no mathematics of its own
(everything is asked of the core). A change that cannot work emits ``problem`` with the
core's message and keeps the last good results on screen.

Two pipelines: ``pipeline`` is what the user asked for (editors read and change it),
``shown`` is a consistent computed copy that the step model and the views show. Small
scenes are computed at once on the GUI thread; big ones on a worker thread, where the
latest request wins: while one computation runs, newer requests replace each other and
only the newest is computed next.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui

from ..core.scene import TENSOR_NAMES, Scene, scene_from_dict
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


class Autosaver:
    """Writes scenes to one file on its own thread; the newest request wins.

    ``request`` only takes a shallow copy of the scene (arrays are replaced by an edit,
    never written in place), so the GUI thread never waits for the disk; ``flush`` waits
    until the newest request is on disk. ``failed(message)`` reports a write that failed.
    """

    def __init__(self, path: Path, failed):
        self.path = Path(path)
        self._failed = failed
        self._lock = threading.Lock()
        self._pending: Scene | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convviz-autosave")

    def request(self, scene: Scene) -> None:
        with self._lock:
            first = self._pending is None
            self._pending = dataclasses.replace(scene)
        if first:
            self._writer.submit(self._write)

    def _write(self) -> None:
        with self._lock:
            scene, self._pending = self._pending, None
        if scene is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            scene.save(self.path)
        except (OSError, ValueError) as exc:
            self._failed(f"autosave failed: {exc}")

    def flush(self, timeout: float = 60.0) -> None:
        self._writer.submit(lambda: None).result(timeout)


ASYNC_CELLS = 128 * 128       # inputs at least this big are computed off the GUI thread
ASYNC_SECONDS = 0.05          # ... and so are scenes whose last computation took this long


class Document(QtCore.QObject):
    changed = QtCore.Signal()            # tensors or parameters changed; results recomputed
    position_changed = QtCore.Signal()   # path or step changed
    problem = QtCore.Signal(str)         # '' when everything works
    busy_changed = QtCore.Signal(bool)   # a computation started / the last one finished
    _job_done = QtCore.Signal(object)    # from the worker thread
    autosave_failed = QtCore.Signal(str)

    def __init__(self, scene: Scene | None = None, backend: str | None = None, asynchronous: bool = True):
        super().__init__()
        self.backend = backend
        self.asynchronous = asynchronous
        self.undo = QtGui.QUndoStack(self)
        self.scene = scene or presets.default_scene()
        self.pipeline = self.scene.pipeline(backend)
        self.shown = self.pipeline
        self.model: StepModel | None = None
        self.message = ""
        self.last_seconds = 0.0
        self.path_name = self.scene.path
        self.position = self.scene.position
        self._generation = 0               # bumped by every request
        self._running: int | None = None   # the generation being computed on the worker
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convviz-compute")
        self._job_done.connect(self._finish_job)
        self._stroke_before: dict | None = None
        self._autosaver: Autosaver | None = None
        self._recompute()

    @property
    def results(self):
        """The results on screen (consistent with ``shown``, which may lag ``pipeline``)."""
        return self.shown._r

    @property
    def busy(self) -> bool:
        return self._running is not None

    def wait(self, timeout: float = 30.0) -> None:
        """Block until no computation is running or queued (for scripts and tests)."""
        deadline = time.perf_counter() + timeout
        while self.busy and time.perf_counter() < deadline:
            QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.AllEvents, 20)
            time.sleep(0.002)

    def shutdown(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------ autosave

    def autosave_to(self, path) -> None:
        """Write the scene to ``path`` after every edit, on a thread (a stroke when it ends)."""
        self._autosaver = Autosaver(path, self.autosave_failed.emit)

    def autosave(self, wait: bool = False) -> None:
        """Write the scene now (``wait``: until it is on disk); nothing without ``autosave_to``."""
        if self._autosaver is None:
            return
        self._sync_scene()
        self._autosaver.request(self.scene)
        if wait:
            self._autosaver.flush()

    def _edited(self) -> None:
        if self._stroke_before is None:      # a stroke in progress is saved when it ends
            self.autosave()

    @QtCore.Slot(QtCore.Qt.ApplicationState)
    def application_state_changed(self, state) -> None:
        """The window lost focus (another application, a locked screen): save now."""
        if state != QtCore.Qt.ApplicationActive:
            self.autosave()

    # ------------------------------------------------------------ state

    def snapshot(self) -> dict:
        self._sync_scene()
        return self.scene.to_dict()

    def _sync_scene(self) -> None:
        t, s = self.pipeline.tensors, self.scene
        for name in TENSOR_NAMES:
            setattr(s, name, getattr(t, name))
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
        self._edited()

    # ------------------------------------------------------------ edits

    def edit(self, text: str, *, config: dict | None = None, tensors: dict | None = None, record: bool = True):
        """Apply a change; undoable. Returns False (and emits problem) when it cannot work.

        A change to a big scene is computed on the worker: it returns True at once and
        ``changed`` / ``problem`` come when the result does.
        """
        before = self.snapshot() if record else None
        if tensors:
            self.pipeline.set_tensors(**tensors)
        if config:
            self.pipeline.set_config(**config)
        ok = self._recompute()
        if record:
            self.undo.push(SnapshotCommand(self, before, self.snapshot(), text))
        self._edited()
        return ok

    def begin_stroke(self) -> None:
        """A mouse stroke starts: its previews are one undo step, recorded by ``end_stroke``."""
        self._stroke_before = self.snapshot()

    def end_stroke(self, text: str, *, config: dict | None = None, tensors: dict | None = None) -> bool:
        before, self._stroke_before = self._stroke_before, None
        ok = self.edit(text, config=config, tensors=tensors, record=before is None)
        if before is not None:
            self.undo.push(SnapshotCommand(self, before, self.snapshot(), text))
        return ok                             # edit() saved it: the stroke has ended

    def _should_go_async(self) -> bool:
        if not self.asynchronous:
            return False
        if self.busy:
            return True
        return self.pipeline.tensors.x.size >= ASYNC_CELLS or self.last_seconds >= ASYNC_SECONDS

    def _recompute(self) -> bool:
        self._generation += 1
        if self._should_go_async():
            self._sync_scene()
            if not self.busy:
                self._start_job()
                self.busy_changed.emit(True)
            return True                   # the newest request is picked up when the running one ends
        t0 = time.perf_counter()
        try:
            self.pipeline.compute()
            shown = self.pipeline.clone()
            model = StepModel(shown)
            self.shown, self.model, self.message = shown, model, ""
            ok = True
        except ValueError as exc:
            self.message = str(exc)
            ok = False
        self.last_seconds = time.perf_counter() - t0
        self._show_results()
        return ok

    def _start_job(self) -> None:
        job, generation = self.pipeline.clone(), self._generation
        self._running = generation

        def work():
            t0 = time.perf_counter()
            try:
                job.compute()
                out = (generation, job, StepModel(job), "", time.perf_counter() - t0)
            except ValueError as exc:
                out = (generation, job, None, str(exc), time.perf_counter() - t0)
            except Exception as exc:      # never lose the request silently
                out = (generation, job, None, f"the computation failed: {exc}", time.perf_counter() - t0)
            self._job_done.emit(out)

        self._worker.submit(work)

    def _finish_job(self, out) -> None:
        generation, job, model, message, seconds = out
        self.last_seconds = seconds
        self.message = message
        if model is not None:
            self.shown, self.model = job, model
            if generation == self._generation:      # nothing changed meanwhile: keep its cache
                self.pipeline._r, self.pipeline._valid = job._r, job._valid
        if generation != self._generation:
            self._start_job()                       # only the newest request is computed next: still busy
        else:
            self._running = None
        self._show_results()
        if not self.busy:
            self.busy_changed.emit(False)

    def _show_results(self) -> None:
        if self.model is not None:
            if self.path_name not in self.model.available():
                self.path_name = "forward"
            self.position = min(self.position, self.path().n_positions - 1)
        self._sync_scene()
        self.problem.emit(self.message)
        self.changed.emit()
        self.position_changed.emit()

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

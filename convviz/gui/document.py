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

import ctypes
import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui

from ..core.pipeline import BlockConfig
from ..core.scene import TENSOR_NAMES, Scene
from ..core.paths.model import StepModel
from ..core.paths.registry import PATHS
from ..core import presets


HISTORY_BYTES = 256 * 2**20    # the undo history's bound; each distinct array counts once


def _return_big_blocks_to_the_system() -> None:
    """Give each block of 1 MiB or more its own mapping, unmapped when freed (glibc only).

    glibc otherwise raises its mapping threshold after the first big free and keeps the
    freed tensors of every thread in its heaps: on a 1024² scene resident memory grew three
    times faster than the undo history did. Elsewhere this does nothing.
    """
    global _MALLOC_SET
    if _MALLOC_SET:
        return
    _MALLOC_SET = True
    try:
        ctypes.CDLL(None).mallopt(-3, 1 << 20)           # M_MMAP_THRESHOLD
    except (AttributeError, OSError, TypeError):
        pass


_MALLOC_SET = False


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    """``a`` marked read-only: the document's arrays are replaced by an edit, never written."""
    if a is not None:
        a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class State:
    """What one undo step restores: the tensors (shared between states, never written in
    place), the frozen configuration, the path and position, the title and text.

    Equal states have equal values (arrays compared exactly, shape and dtype included).
    """
    tensors: tuple                  # arrays in TENSOR_NAMES order (None where absent)
    config: BlockConfig
    path: str
    position: int
    title: str = ""
    text: str = ""

    def arrays(self) -> list:
        return [a for a in self.tensors if a is not None]

    def __eq__(self, other) -> bool:
        if not isinstance(other, State):
            return NotImplemented
        if (self.config, self.path, self.position, self.title, self.text) != \
                (other.config, other.path, other.position, other.title, other.text):
            return False
        return all((a is None) == (b is None) and
                   (a is None or (a.dtype == b.dtype and np.array_equal(a, b)))
                   for a, b in zip(self.tensors, other.tensors))


class SnapshotCommand(QtGui.QUndoCommand):
    """One undo step: the states before and after it (references, not copies)."""

    def __init__(self, doc: "Document", before: State, after: State, text: str):
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
        _return_big_blocks_to_the_system()
        self.backend = backend
        self.asynchronous = asynchronous
        self.undo = QtGui.QUndoStack(self)
        self.history_limit = HISTORY_BYTES
        self.scene = scene or presets.default_scene()
        self.pipeline = self._own_pipeline(self.scene)
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
        self._stroke_before: State | None = None
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

    def snapshot(self) -> State:
        """The current state, sharing the pipeline's arrays (cheap: nothing is copied)."""
        self._sync_scene()
        t = self.pipeline.tensors
        return State(tuple(getattr(t, k) for k in TENSOR_NAMES), self.pipeline.config, self.path_name,
                     self.position, self.scene.title, self.scene.text)

    def _sync_scene(self) -> None:
        t, s = self.pipeline.tensors, self.scene
        if s.below or s.above:     # a network: the pipeline is the selected block, fed by the others
            s.w, s.b = t.w, t.b
            s.config = dataclasses.replace(self.pipeline.config, loss=s.config.loss, one_hot_cell=s.config.one_hot_cell)
        else:
            for name in TENSOR_NAMES:
                setattr(s, name, getattr(t, name))
            s.config = self.pipeline.config
        s.path, s.position = self.path_name, self.position

    def _own_pipeline(self, scene: Scene):
        """A pipeline on copies of the scene's arrays, read-only from now on."""
        pipeline = scene.pipeline(self.backend)
        for k in TENSOR_NAMES:
            _frozen(getattr(pipeline.tensors, k))
        return pipeline

    def _restore(self, state: State) -> None:
        """Bring back ``state``: its arrays as they are, and only the levels that depend on
        what differs are recomputed (on the worker for a big scene, as an edit is)."""
        t, config = self.pipeline.tensors, self.pipeline.config
        changed = {k: a for k, a in zip(TENSOR_NAMES, state.tensors) if getattr(t, k) is not a}
        if changed:
            self.pipeline.set_tensors(**changed)
        fields_changed = {f.name: getattr(state.config, f.name) for f in fields(BlockConfig)
                          if getattr(state.config, f.name) != getattr(config, f.name)}
        if fields_changed:
            self.pipeline.set_config(**fields_changed)
        self.scene.title, self.scene.text = state.title, state.text
        self.path_name, self.position = state.path, state.position
        self._recompute()
        self._edited()

    def set_scene(self, scene: Scene, record: bool = True) -> None:
        before = self.snapshot() if record else None
        self.scene = scene
        self.pipeline = self._own_pipeline(scene)
        self.path_name, self.position = scene.path, scene.position
        self._recompute()
        if record:
            self._push(before, self.snapshot(), "open scene")
        self._edited()

    # ------------------------------------------------------------ undo history

    def history_bytes(self) -> int:
        """Bytes of array data the undo history holds, each distinct array counted once."""
        return self._bytes([self.undo.command(i) for i in range(self.undo.count())])

    @staticmethod
    def _bytes(commands) -> int:
        seen = {}
        for c in commands:
            for state in (c.before, c.after):
                for a in state.arrays():
                    seen[id(a)] = a.nbytes
        return sum(seen.values())

    def _push(self, before: State, after: State, text: str) -> None:
        self.undo.push(SnapshotCommand(self, before, after, text))
        self._trim()

    def _trim(self) -> None:
        """Drop the oldest steps while the history holds more than ``history_limit`` bytes
        (the newest step always stays). Called right after a push, so nothing is redoable.

        QUndoStack can only drop by count, so the steps kept are pushed again onto a
        cleared stack; the clean state moves with them or, if it was dropped, is lost.
        """
        n = self.undo.count()
        commands = [self.undo.command(i) for i in range(n)]
        seen, total, keep = set(), 0, 0
        for c in reversed(commands):
            new = {id(a): a.nbytes for s in (c.before, c.after) for a in s.arrays() if id(a) not in seen}
            size = sum(new.values())
            if keep and total + size > self.history_limit:
                break
            seen.update(new)
            total += size
            keep += 1
        dropped = n - keep
        if dropped == 0:
            return
        clean = self.undo.cleanIndex() - dropped           # where the clean state lands; < 0: lost
        steps = [(c.before, c.after, c.text()) for c in commands[dropped:]]
        del commands
        self.undo.clear()
        for k, (before, after, text) in enumerate(steps):
            if k == clean:
                self.undo.setClean()
            self.undo.push(SnapshotCommand(self, before, after, text))
        if clean == len(steps):
            self.undo.setClean()
        elif clean < 0:
            self.undo.resetClean()

    # ------------------------------------------------------------ edits

    def edit(self, text: str, *, config: dict | None = None, tensors: dict | None = None, record: bool = True):
        """Apply a change; undoable. Returns False (and emits problem) when it cannot work.

        The document keeps read-only copies of the arrays in ``tensors`` (the caller's stay
        theirs). A change to a big scene is computed on the worker: it returns True at once
        and ``changed`` / ``problem`` come when the result does.
        """
        before = self.snapshot() if record else None
        if tensors:
            self.pipeline.set_tensors(**{k: _frozen(None if a is None else np.array(a))
                                         for k, a in tensors.items()})
        if config:
            self.pipeline.set_config(**config)
        ok = self._recompute()
        if record:
            self._push(before, self.snapshot(), text)
        self._edited()
        return ok

    def begin_stroke(self) -> None:
        """A mouse stroke starts: its previews are one undo step, recorded by ``end_stroke``."""
        self._stroke_before = self.snapshot()

    def end_stroke(self, text: str, *, config: dict | None = None, tensors: dict | None = None) -> bool:
        before, self._stroke_before = self._stroke_before, None
        ok = self.edit(text, config=config, tensors=tensors, record=before is None)
        if before is not None:
            self._push(before, self.snapshot(), text)
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

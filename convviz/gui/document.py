"""The window's model: a Qt adapter around the core's :class:`.session.Session`.

It holds no state of its own beyond what is on screen: the session holds the scene and the
undo history, and its pipeline cache computes results. The document turns the session's
events into Qt signals, computes on a worker thread, and autosaves on another.

Small scenes are computed at once on the GUI thread; big ones on the worker, where the
latest request wins: while one computation runs, newer requests replace each other and
only the newest is computed next. A change that cannot work emits ``problem`` with the
core's message and keeps the last good results (``shown``, ``results``, ``model``) on screen.
"""
from __future__ import annotations

import ctypes
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui

from ..core import presets
from ..core.pipeline import Pipeline, Results
from ..core.scene import Scene
from ..core.session import Session
from ..core.paths.model import StepModel
from ..core.paths.registry import PATH_TITLES, PATHS


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


class Autosaver:
    """Writes scenes to one file on its own thread; the newest request wins.

    Scenes are frozen, so ``request`` keeps a reference and the GUI thread never waits for
    the disk; ``flush`` waits until the newest request is on disk. ``failed(message)``
    reports a write that failed.
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
            self._pending = scene
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


class HistoryAction(QtGui.QAction):
    """Undo or Redo: its text names the step ("&Undo paint x"), disabled when there is none."""

    def __init__(self, parent, doc: "Document", label: str, redo: bool):
        super().__init__(label, parent)
        self._doc, self._label, self._redo = doc, label, redo
        self.triggered.connect(self._trigger)
        doc.history_changed.connect(self.refresh)
        self.refresh()

    def _trigger(self) -> None:
        h = self._doc.session.history
        if self._redo and h.can_redo():
            self._doc.session.redo()
        elif not self._redo and h.can_undo():
            self._doc.session.undo()

    @QtCore.Slot()
    def refresh(self) -> None:
        h = self._doc.session.history
        able, text = (h.can_redo(), h.redo_text()) if self._redo else (h.can_undo(), h.undo_text())
        self.setEnabled(able)
        self.setText(f"{self._label} {text}".strip())


ASYNC_CELLS = 128 * 128       # inputs at least this big are computed off the GUI thread
ASYNC_SECONDS = 0.05          # ... and so are scenes whose last computation took this long
AUTOSAVE_PAUSE_MS = 300       # an edit is autosaved once edits pause this long


class Document(QtCore.QObject):
    changed = QtCore.Signal()            # tensors or parameters changed; results recomputed
    position_changed = QtCore.Signal()   # path or step changed
    problem = QtCore.Signal(str)         # '' when everything works
    refused = QtCore.Signal(str)         # a request this scene cannot meet (a path it lacks), in words
    busy_changed = QtCore.Signal(bool)   # a computation started / the last one finished
    history_changed = QtCore.Signal()    # a step was recorded, undone or redone; the clean state moved
    autosave_failed = QtCore.Signal(str)
    _job_done = QtCore.Signal(object)    # from the worker thread

    def __init__(self, scene: Scene | None = None, backend: str | None = None, asynchronous: bool = True):
        super().__init__()
        _return_big_blocks_to_the_system()
        self.backend = backend
        self.asynchronous = asynchronous
        self.session = Session(scene or presets.default_scene(), backend)
        self.shown: Pipeline | None = None   # the computed pipeline on screen (may lag the scene)
        self.model: StepModel | None = None
        self.message = ""
        self.last_seconds = 0.0
        self._ok = True
        self._showing = False
        self._generation = 0               # bumped by every request
        self._running: int | None = None   # the generation being computed on the worker
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convviz-compute")
        self._job_done.connect(self._finish_job)
        self._autosaver: Autosaver | None = None
        # an edit is saved once the edits pause: a writer thread busy beside a run of edits held
        # Python's lock from the GUI thread (edits up to 20 ms); a stroke's end is saved at once
        self._autosave_soon = QtCore.QTimer(self, singleShot=True, interval=AUTOSAVE_PAUSE_MS)
        self._autosave_soon.timeout.connect(self.autosave)
        self.session.events.changed.connect(self._scene_changed)
        self.session.events.moved.connect(self._moved)
        self.session.history.events.changed.connect(self.history_changed.emit)
        self._recompute()

    # ------------------------------------------------------------ reading

    @property
    def scene(self) -> Scene:
        """The scene the user asked for (frozen; its arrays are read-only)."""
        return self.session.scene

    @property
    def path_name(self) -> str:
        return self.session.scene.path

    @property
    def position(self) -> int:
        return self.session.scene.position

    @property
    def results(self) -> Results:
        """The results on screen (those of ``shown``, which may lag ``scene``)."""
        return Results() if self.shown is None else self.shown.results

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
        if self._autosave_soon.isActive():       # an edit not yet saved
            self._autosave_soon.stop()
            self.autosave(wait=True)
        self._worker.shutdown(wait=True, cancel_futures=True)

    def undo_action(self, parent) -> QtGui.QAction:
        return HistoryAction(parent, self, "&Undo", redo=False)

    def redo_action(self, parent) -> QtGui.QAction:
        return HistoryAction(parent, self, "&Redo", redo=True)

    # ------------------------------------------------------------ autosave

    def autosave_to(self, path) -> None:
        """Write the scene to ``path`` on a thread: once edits pause for AUTOSAVE_PAUSE_MS, a
        stroke the moment it ends, and when the application loses focus."""
        self._autosaver = Autosaver(path, self.autosave_failed.emit)

    def autosave(self, wait: bool = False) -> None:
        """Write the scene now (``wait``: until it is on disk); nothing without ``autosave_to``."""
        self._autosave_soon.stop()
        if self._autosaver is None:
            return
        self._autosaver.request(self.scene)
        if wait:
            self._autosaver.flush()

    @QtCore.Slot(QtCore.Qt.ApplicationState)
    def application_state_changed(self, state) -> None:
        """The window lost focus (another application, a locked screen): save now."""
        if state != QtCore.Qt.ApplicationActive:
            self.autosave()

    # ------------------------------------------------------------ edits (the session records them)

    def edit(self, text: str, *, config: dict | None = None, tensors: dict | None = None, record: bool = True):
        """Apply a change; undoable. Returns False (and emits problem) when it cannot work.

        The session keeps read-only copies of the arrays in ``tensors`` (the caller's stay
        theirs). A change to a big scene is computed on the worker: it returns True at once
        and ``changed`` / ``problem`` come when the result does.
        """
        self.session.edit(text, config=config, tensors=tensors, record=record)
        return self._ok

    def begin_stroke(self) -> None:
        """A mouse stroke starts: its previews are one undo step, recorded by ``end_stroke``."""
        self.session.begin_stroke()

    def end_stroke(self, text: str, *, config: dict | None = None, tensors: dict | None = None) -> bool:
        self.session.end_stroke(text, config=config, tensors=tensors)
        self.autosave()                         # at once: a stroke is the work most worth keeping
        return self._ok

    def replace(self, text: str, scene: Scene, record: bool = True) -> bool:
        """Replace the whole scene (a block added, moved, chosen; a training run), undoable as
        ``text`` unless ``record`` is False; inside a stroke the recorded step starts where the
        stroke began. Returns False (and emits problem) when it cannot work."""
        self.session.replace(text, scene, record)
        return self._ok

    def set_scene(self, scene: Scene, record: bool = True) -> None:
        self.session.set_scene(scene, record)

    def _scene_changed(self, scene: Scene) -> None:
        self._ok = self._recompute()
        if not self.session.in_stroke:       # a stroke in progress is saved when it ends
            self._autosave_soon.start()

    def _moved(self, scene: Scene) -> None:
        if not self._showing:
            self.position_changed.emit()

    # ------------------------------------------------------------ computing

    def goes_async(self) -> bool:
        """The next computation will run on the worker (else on the GUI thread)."""
        if not self.asynchronous:
            return False
        if self.busy:
            return True
        return self.scene.x.size >= ASYNC_CELLS or self.last_seconds >= ASYNC_SECONDS

    def _recompute(self) -> bool:
        self._generation += 1
        try:
            cached = None if self.busy else self.session.pipeline()
        except ValueError as exc:                        # a network whose blocks do not chain
            self.message = str(exc)
            self._show_results()
            return False
        if cached is not None and cached.up_to_date:     # a recent scene (an undo): nothing to compute
            self.session.keep(cached)
            self.shown, self.model, self.message = cached, StepModel(cached, self._chain()), ""
            self._show_results()
            return True
        if self.goes_async():
            if not self.busy:
                self._start_job()
                self.busy_changed.emit(True)
            return True                   # the newest request is picked up when the running one ends
        t0 = time.perf_counter()
        try:
            shown = self.session.compute()
            self.shown, self.model, self.message = shown, StepModel(shown, self._chain()), ""
            ok = True
        except ValueError as exc:
            self.message = str(exc)
            ok = False
        self.last_seconds = time.perf_counter() - t0
        self._show_results()
        return ok

    def _chain(self):
        """(network, its results) of a network scene, for the δ chain; None for one block."""
        scene = self.session.scene
        return (scene.network(), self.session.fed(scene)) if scene.stacked else None

    def _start_job(self) -> None:
        generation = self._running = self._generation
        try:
            job = self.session.pipeline()
            chain = self._chain()
        except ValueError as exc:                        # a network whose blocks do not chain
            self._job_done.emit((generation, None, None, str(exc), 0.0))
            return

        def work():
            t0 = time.perf_counter()
            try:
                job.compute()
                out = (generation, job, StepModel(job, chain), "", time.perf_counter() - t0)
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
            self.session.keep(job)                  # the next request starts from these results
        if generation != self._generation:
            self._start_job()                       # only the newest request is computed next: still busy
        else:
            self._running = None
        self._show_results()
        if not self.busy:
            self.busy_changed.emit(False)

    def _show_results(self) -> None:
        if self.model is not None:
            name = self.path_name if self.path_name in self.model.available() else "forward"
            self._showing = True
            try:
                self.session.navigate(name, min(self.position, self.model.path(name).n_positions - 1))
            finally:
                self._showing = False
        self.problem.emit(self.message)
        self.changed.emit()
        self.position_changed.emit()

    # ------------------------------------------------------------ stepping

    def path(self):
        return self.model.path(self.path_name)

    def set_path(self, name: str) -> None:
        if name not in PATHS:
            raise ValueError(f"unknown path {name!r}; the paths are: {', '.join(PATHS)}")
        why = self.model.unavailable(name) if self.model is not None else None
        if why:
            self.refused.emit(f"{PATH_TITLES[name]}: {why}")
            return
        self.session.navigate(name, 0)

    def set_position(self, p: int) -> None:
        if self.model is None:
            return
        self.session.navigate(self.path_name, int(np.clip(p, 0, self.path().n_positions - 1)))

    def step_by(self, delta: int) -> None:
        self.set_position(self.position + delta)

    def stage_by(self, delta: int) -> None:
        """Jump to the first position of the previous / next stage."""
        path = self.path()
        stage, _ = path.position(self.position)
        target = int(np.clip(stage + delta, 0, len(path.stages) - 1))
        self.set_position(sum(max(1, s.n_steps) for s in path.stages[:target]))

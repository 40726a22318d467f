"""Choosing the backend, and the one error boundary around OpenCL.

OpenCL computes when a qualified device exists, else the numpy reference.
``CONVVIZ_BACKEND=numpy|opencl`` overrides the choice; ``CONVVIZ_DEVICE`` picks a device
by name. Every operation on OpenCL goes through :func:`call`: whatever the driver raises
becomes an :class:`OpenCLError`; in automatic mode the operation is then computed by
numpy, with one logged warning per cause; with ``backend="opencl"`` the error is raised.
A computation that once crashed the process (see :mod:`.journal`) is computed by numpy
from then on, and the start after the crash uses numpy throughout and says why.
Nothing here imports Qt.
"""
from __future__ import annotations

import atexit
import gc
import logging
import os
import threading

from ..core import backend as _core_backend
from ..core import reference
from . import journal
from .errors import OpenCLError, wrap

log = logging.getLogger("convviz")

BACKENDS = ("opencl", "numpy")
_lock = threading.Lock()
_queue_lock = threading.RLock()      # one thread at a time on the shared command queue
_engine = None
_engine_error: str | None = None
_crash_note: str | None = None
_crashed: set[tuple[str, str]] = set()      # (device label, what) that crashed a process
_background: threading.Thread | None = None
_warm = threading.Event()           # set once the background start has built every program
_warned: set[str] = set()


def warn_once(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        log.warning("convviz computes with numpy instead of OpenCL: %s", reason)


def _describe_crash(note: dict) -> str:
    return (f"convviz stopped while {note.get('what', 'computing')} on {note.get('device', 'OpenCL')} "
            f"({note.get('when', 'last time')})")


def _open_engine():
    global _engine, _engine_error, _crash_note
    new = journal.collect()
    for note in journal.known_crashes():
        _crashed.add((note.get("device", ""), note.get("what", "")))
    if new:
        _crash_note = (_describe_crash(new[-1]) + ": this session computes with numpy, and that "
                       "computation stays on numpy from now on (`convviz devices --retry` tries OpenCL again)")
        _engine_error = _crash_note
        return
    if any(what == journal.STARTUP for _, what in _crashed):
        _engine_error = ("opening OpenCL crashed convviz before; `convviz devices --retry` tries again")
        return
    journal.enter("OpenCL", journal.STARTUP)
    try:
        from .devices import choose_device
        from .engine import ClEngine
        choice = choose_device()
        if choice.chosen is None:
            _engine_error = choice.reason
            return
        _engine = ClEngine(choice, verdicts=choice.chosen.verdicts)
    except Exception as exc:          # no ICD, no device, a driver that throws anything
        _engine_error = str(wrap(exc, "opening OpenCL"))
    finally:
        journal.leave()


def opencl_engine():
    """The shared OpenCL engine, created (and its device qualified) on first use; None,
    with the reason kept, when none works."""
    with _lock:
        if _engine is None and _engine_error is None:
            _open_engine()
        return _engine


def prepare_in_background() -> None:
    """Open the engine and build its programs on a thread (the window's start): until then,
    automatic mode computes with numpy instead of waiting for qualification or a build."""
    global _background

    def work():
        engine = opencl_engine()
        if engine is not None:
            engine.build_all()          # no lock: it only builds, and nothing uses it yet
        _warm.set()
    if _background is None:
        _background = threading.Thread(target=work, name="convviz-opencl", daemon=True)
        _background.start()


def ready() -> bool:
    """Whether the backend is decided: the engine opened (and, when opened in the
    background, every program built) or known not to work."""
    if _background is not None:
        return _warm.is_set()
    return _engine is not None or _engine_error is not None


def crash_note() -> str | None:
    """What crashed the last run, when this run is on numpy because of it (known once the
    engine was asked for)."""
    return _crash_note


@atexit.register
def shutdown() -> None:
    """Finish the queue and free device memory while the OpenCL runtime is still whole.

    Left to interpreter teardown, Intel's CPU runtime has segfaulted releasing them.
    """
    engine = _engine
    journal.close()
    if engine is None:
        return
    try:
        engine.queue.finish()
        engine.release()
        engine.pool.stop_holding()
        engine.pool.free_held()
    except Exception:
        pass
    gc.collect()


def opencl_error() -> str | None:
    opencl_engine()
    return _engine_error


def requested_backend(backend: str | None) -> str | None:
    name = backend if backend is not None else (os.environ.get("CONVVIZ_BACKEND") or None)
    if name is not None and name not in BACKENDS:
        raise ValueError(f"backend must be 'opencl', 'numpy' or None (automatic); got {name!r}")
    return name


def get_backend(backend: str | None = None):
    """The object whose methods compute: the ClEngine, or the numpy reference module."""
    name = requested_backend(backend)
    if name == "numpy":
        return reference
    if name is None and _background is not None and not ready():
        return reference                # still qualifying: numpy meanwhile, no warning
    engine = opencl_engine()
    if engine is not None:
        return engine
    if name == "opencl":
        raise OpenCLError(f"the OpenCL backend was asked for but cannot be used: {_engine_error}")
    warn_once(_engine_error or "no OpenCL device")
    return reference


def _what(op: str, args) -> str:
    """The computation, as recorded should it crash: the operation and its configuration."""
    parts = [op]
    for a in args:
        shape = getattr(a, "shape", None)
        if shape is not None:
            parts.append("×".join(map(str, shape)))
        elif hasattr(a, "__dataclass_fields__"):        # a ConvSpec or PoolSpec
            parts.append(" ".join(f"{k}={getattr(a, k)}" for k in a.__dataclass_fields__))
        elif a is not None:
            parts.append(repr(a))
    return " ".join(parts)


def call(backend: str | None, op: str, *args, **kwargs):
    """Run one operation; any OpenCL failure falls back to numpy (automatic mode) or
    raises an OpenCLError (``backend="opencl"``)."""
    impl = get_backend(backend)
    if impl is reference:
        return getattr(reference, op)(*args, **kwargs)
    what = _what(op, args)
    if _crashed and (impl.label, what) in _crashed:
        if requested_backend(backend) == "opencl":
            raise OpenCLError(f"{what} crashed convviz on {impl.label} before; it is not run there again")
        warn_once(f"{op} of this size crashed convviz on {impl.label} before")
        return getattr(reference, op)(*args, **kwargs)
    try:
        with _queue_lock:
            journal.enter(impl.label, what)
            try:
                return getattr(impl, op)(*args, **kwargs)
            finally:
                journal.leave()
    except Exception as exc:        # pyopencl's errors are not RuntimeErrors: catch them all
        err = wrap(exc, f"{op} on {impl.label}")
        if requested_backend(backend) == "opencl":
            raise err from exc
        warn_once(f"{op} failed on {impl.label}: {err.cause}")
        return getattr(reference, op)(*args, **kwargs)


def describe(backend: str | None = None) -> str:
    impl = get_backend(backend)
    if impl is reference and requested_backend(backend) is None and _background is not None and not ready():
        return "numpy (checking the OpenCL devices…)"
    return impl.description


_core_backend.register(call, describe, get_backend)      # core's pipelines reach OpenCL through call

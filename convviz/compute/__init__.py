"""Choosing the backend: OpenCL when a device works, else the numpy reference.

``CONVVIZ_BACKEND=numpy|opencl`` overrides the choice; ``CONVVIZ_DEVICE`` picks a
device by name. Nothing here imports Qt.
"""
from __future__ import annotations

import atexit
import gc
import logging
import os
import threading

from ..core import reference

log = logging.getLogger("convviz")

BACKENDS = ("opencl", "numpy")
_lock = threading.Lock()
_queue_lock = threading.RLock()      # one thread at a time on the shared command queue
_engine = None
_engine_error: str | None = None
_warned: set[str] = set()


def warn_once(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        log.warning("convviz computes with numpy instead of OpenCL: %s", reason)


def opencl_engine():
    """The shared OpenCL engine, created on first use; None (with the reason kept) if none works."""
    global _engine, _engine_error
    with _lock:
        if _engine is None and _engine_error is None:
            try:
                from .engine import ClEngine
                _engine = ClEngine()
            except Exception as exc:          # no ICD, no device, a driver that throws anything
                _engine_error = str(exc) or type(exc).__name__
        return _engine


@atexit.register
def shutdown() -> None:
    """Finish the queue and free device memory while the OpenCL runtime is still whole.

    Left to interpreter teardown, Intel's CPU runtime has segfaulted releasing them.
    """
    engine = _engine
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
    engine = opencl_engine()
    if engine is not None:
        return engine
    if name == "opencl":
        raise RuntimeError(f"the OpenCL backend was asked for but cannot be used: {_engine_error}")
    warn_once(_engine_error or "no OpenCL device")
    return reference


def call(backend: str | None, op: str, *args, **kwargs):
    """Run one operation; when OpenCL fails at build or launch time, fall back (auto mode only)."""
    impl = get_backend(backend)
    if impl is reference:
        return getattr(reference, op)(*args, **kwargs)
    try:
        with _queue_lock:
            return getattr(impl, op)(*args, **kwargs)
    except (RuntimeError, MemoryError) as exc:      # pyopencl.Error and BuildError are RuntimeErrors
        if requested_backend(backend) == "opencl":
            raise
        warn_once(f"{op} failed on {impl.description}: {exc}")
        return getattr(reference, op)(*args, **kwargs)


def describe(backend: str | None = None) -> str:
    impl = get_backend(backend)
    return impl.description

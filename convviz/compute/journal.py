"""A crash must never repeat: each process notes in a file what it is computing on
which device, and a start that finds the note of a process that died mid-computation
records that computation as crashing, so numpy computes it from then on.

The note lives in the user cache folder (``running/<pid>``) and is rewritten in place
with one ``pwrite`` per operation (a few microseconds, no fsync: a process that aborts
leaves its page cache behind, so the note survives anything short of a power cut).
``crashes.json`` beside it lists what crashed; ``convviz devices --retry`` forgets them.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from .qualify import cache_dir

IDLE = b"-"
STARTUP = "listing OpenCL devices and opening one"
_lock = threading.Lock()
_fd: int | None = None
_width = 0


def _running_dir() -> Path:
    return cache_dir() / "running"


def crashes_path() -> Path:
    return cache_dir() / "crashes.json"


def _open() -> int | None:
    global _fd
    if _fd is None:
        try:
            folder = _running_dir()
            folder.mkdir(parents=True, exist_ok=True)
            _fd = os.open(folder / str(os.getpid()), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(_fd, IDLE)
        except OSError:
            _fd = -1
    return _fd if _fd >= 0 else None


def enter(device: str, what: str) -> None:
    """Note that this process now computes ``what`` on ``device``."""
    global _width
    fd = _open()
    if fd is None:
        return
    data = json.dumps({"device": device, "what": what}).encode()
    os.pwrite(fd, data, 0)
    if len(data) < _width:
        os.ftruncate(fd, len(data))
    _width = len(data)


def leave() -> None:
    global _width
    if _fd is not None and _fd >= 0:
        os.pwrite(_fd, IDLE, 0)
        os.ftruncate(_fd, 1)
        _width = 1


def close() -> None:
    """At a clean exit: remove this process's note."""
    global _fd
    if _fd is not None and _fd >= 0:
        os.close(_fd)
        try:
            (_running_dir() / str(os.getpid())).unlink()
        except OSError:
            pass
    _fd = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def collect() -> list[dict]:
    """Notes of dead processes that died computing: recorded in crashes.json and returned."""
    found = []
    with _lock:
        folder = _running_dir()
        try:
            entries = list(folder.iterdir())
        except OSError:
            return []
        for entry in entries:
            if not entry.name.isdigit() or int(entry.name) == os.getpid() or _alive(int(entry.name)):
                continue
            try:
                data = entry.read_bytes()
                entry.unlink()
            except OSError:
                continue
            if data and data != IDLE:
                try:
                    note = json.loads(data)
                except ValueError:
                    continue
                note["when"] = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.stat().st_mtime)
                                             if entry.exists() else time.localtime())
                found.append(note)
        if found:
            records = known_crashes() + found
            try:
                crashes_path().write_text(json.dumps(records, indent=1))
            except OSError:
                pass
    return found


def known_crashes() -> list[dict]:
    try:
        data = json.loads(crashes_path().read_text())
        return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []
    except (OSError, ValueError):
        return []


def forget() -> int:
    """Forget every recorded crash (``convviz devices --retry``); returns how many."""
    n = len(known_crashes())
    try:
        crashes_path().unlink()
    except OSError:
        pass
    return n

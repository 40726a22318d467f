"""A tiny evented emitter, in the manner of napari's ``EventEmitter``, with no Qt.

An :class:`Event` holds callbacks; ``emit`` calls each with the arguments, in the order
they were connected. A Qt adapter connects its own slots and turns events into signals.
"""
from __future__ import annotations

from typing import Callable


class Event:
    """One kind of event: ``connect`` a callback, ``emit`` to call every callback."""

    def __init__(self, name: str):
        self.name = name
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> Callable:
        """Call ``callback(*args)`` on every ``emit``; connecting it twice calls it once."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callable) -> None:
        """Stop calling ``callback``; raises ValueError if it was never connected."""
        try:
            self._callbacks.remove(callback)
        except ValueError:
            raise ValueError(f"that callback is not connected to the {self.name!r} event") from None

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):    # a callback may disconnect itself
            callback(*args)

    def __repr__(self) -> str:
        return f"Event({self.name!r}, {len(self._callbacks)} callbacks)"


class Events:
    """A named group of events: ``Events("changed", "moved").changed.connect(f)``."""

    def __init__(self, *names: str):
        for name in names:
            setattr(self, name, Event(name))

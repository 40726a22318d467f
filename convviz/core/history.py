"""Undo and redo by reference: each step keeps the scene before it and after it.

Scenes are frozen and share the arrays an edit did not change, so a step costs only the
arrays it replaced. The history is bounded in bytes: each distinct array counts once, and
the oldest steps go while the total is over ``limit`` (the newest step always stays).
"""
from __future__ import annotations

from dataclasses import dataclass

from .events import Events
from .scene import TENSOR_NAMES, Scene

HISTORY_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Step:
    text: str
    before: Scene
    after: Scene


def _arrays(scene: Scene):
    blocks = [a for blk in scene.below + scene.above for a in (blk.w, blk.b)]
    return (a for a in [getattr(scene, k) for k in TENSOR_NAMES] + blocks if a is not None)


class History:
    """A list of steps and a position in it (``index``: how many steps are done).

    ``events.changed`` fires after every push, undo, redo, trim and clean-state change, so
    an Undo action can follow the text and whether anything is undoable. The clean state
    marks the step at which the scene was saved; it is lost when that step is dropped.
    """

    def __init__(self, limit: int = HISTORY_BYTES):
        self.limit = limit
        self.events = Events("changed")
        self._steps: list[Step] = []
        self._index = 0
        self._clean: int | None = 0

    # ------------------------------------------------------------ reading

    @property
    def count(self) -> int:
        return len(self._steps)

    @property
    def index(self) -> int:
        return self._index

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._steps)

    def undo_text(self) -> str:
        return self._steps[self._index - 1].text if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._steps[self._index].text if self.can_redo() else ""

    def step(self, i: int) -> Step:
        return self._steps[i]

    def nbytes(self) -> int:
        """Bytes of array data the history holds, each distinct array counted once."""
        seen = {}
        for s in self._steps:
            for scene in (s.before, s.after):
                for a in _arrays(scene):
                    seen[id(a)] = a.nbytes
        return sum(seen.values())

    # ------------------------------------------------------------ clean state

    def is_clean(self) -> bool:
        return self._clean == self._index

    def set_clean(self) -> None:
        """The scene as it is now is saved."""
        self._clean = self._index
        self.events.changed.emit()

    def reset_clean(self) -> None:
        """No step is saved: the history is never clean again until ``set_clean``."""
        self._clean = None
        self.events.changed.emit()

    # ------------------------------------------------------------ changing

    def clear(self) -> None:
        """Forget every step; the scene as it is counts as saved (as QUndoStack.clear does)."""
        self._steps, self._index, self._clean = [], 0, 0
        self.events.changed.emit()

    def push(self, text: str, before: Scene, after: Scene) -> None:
        """Record a done step; the steps that were undone are dropped (redo is lost)."""
        if self._clean is not None and self._clean > self._index:
            self._clean = None                     # the saved state was undone and is now gone
        del self._steps[self._index:]
        self._steps.append(Step(text, before, after))
        self._index = len(self._steps)
        self._trim()
        self.events.changed.emit()

    def undo(self) -> Scene:
        """Step back; returns the scene to restore. Raises ValueError when nothing is undoable."""
        if not self.can_undo():
            raise ValueError("there is nothing to undo")
        self._index -= 1
        self.events.changed.emit()
        return self._steps[self._index].before

    def redo(self) -> Scene:
        if not self.can_redo():
            raise ValueError("there is nothing to redo")
        self._index += 1
        self.events.changed.emit()
        return self._steps[self._index - 1].after

    def _trim(self) -> None:
        """Drop the oldest steps while the history holds more than ``limit`` bytes."""
        seen, total, keep = set(), 0, 0
        for s in reversed(self._steps):
            new = {id(a): a.nbytes for scene in (s.before, s.after) for a in _arrays(scene) if id(a) not in seen}
            size = sum(new.values())
            if keep and total + size > self.limit:
                break
            seen.update(new)
            total += size
            keep += 1
        dropped = len(self._steps) - keep
        if dropped:
            del self._steps[:dropped]
            self._index -= dropped
            if self._clean is not None:
                self._clean = self._clean - dropped if self._clean >= dropped else None

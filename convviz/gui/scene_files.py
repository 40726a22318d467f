"""Scene files: new, open (a file, a lesson, a drop), save, save as, the recent list, the unsaved-work prompt."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ..core import presets
from ..core.scene import load_scene
from .document import Document

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def dropped_kind(url: QtCore.QUrl) -> str | None:
    """"image", "scene" or None for a dropped URL."""
    name = url.toLocalFile().lower()
    if not url.isLocalFile():
        return None
    return "image" if name.endswith(IMAGE_SUFFIXES) else ("scene" if name.endswith(".json") else None)


class SceneFiles:
    """The window's files; ``computing(fn, *args)`` runs a scene change with the busy bar."""

    def __init__(self, window: QtWidgets.QWidget, doc: Document, settings: QtCore.QSettings | None, computing):
        self.window, self.doc, self.settings, self._computing = window, doc, settings, computing
        self.file_path: Path | None = None
        self.recent_menu = QtWidgets.QMenu("Recent", window)

    def has_unsaved_work(self) -> bool:
        return not self.doc.session.history.is_clean()

    def keep_work(self) -> bool:
        """Before the scene is replaced: offer to save unsaved work. False means: stop, change nothing."""
        if not self.has_unsaved_work():
            return True
        answer = QtWidgets.QMessageBox.question(
            self.window, "Unsaved work", "The current scene has changes that are not saved in a file.\n"
            "Save them before opening another scene?",
            QtWidgets.QMessageBox.Save | QtWidgets.QMessageBox.Discard | QtWidgets.QMessageBox.Cancel,
            QtWidgets.QMessageBox.Save)
        if answer == QtWidgets.QMessageBox.Save:
            return self.save()
        return answer == QtWidgets.QMessageBox.Discard

    def new_scene(self):
        if not self.keep_work():
            return
        self._computing(self.doc.set_scene, presets.default_scene())
        self.file_path = None
        self.doc.session.history.set_clean()

    def open_path(self, path, *, ask: bool = True, lesson: bool = False) -> bool:
        """Open a scene (or a lesson: then it has no file to save back into)."""
        try:
            scene = load_scene(path)
        except ValueError as exc:
            QtWidgets.QMessageBox.warning(self.window, "Cannot open scene", "The scene cannot be opened; the current "
                                          f"scene is unchanged.\n{Path(path).name}: {exc}")  # plain: line 1
            return False
        if ask and not self.keep_work():
            return False
        self._computing(self.doc.set_scene, scene)
        self.file_path = None if lesson else Path(path)
        self.doc.session.history.set_clean()
        if not lesson:
            self._add_recent(path)
        return True

    def open_lesson(self, path) -> bool:
        return self.open_path(path, lesson=True)

    def open_dialog(self):
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open scene", "", "convviz scenes (*.json)")
        if path:
            self.open_path(path)

    def save(self) -> bool:
        if self.file_path is None:
            return self.save_as()
        try:
            self.doc.scene.save(self.file_path)
        except OSError as exc:
            QtWidgets.QMessageBox.warning(self.window, "Cannot save", f"{self.file_path}: {exc}")
            return False
        self.doc.session.history.set_clean()
        self._add_recent(self.file_path)
        return True

    def save_as(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save scene", "scene.json",
                                                        "convviz scenes (*.json)")
        if not path:
            return False
        self.file_path = Path(path)
        return self.save()

    def autosave(self):
        """Write the autosave now and wait for it (the document saves once edits pause, on a thread)."""
        self.doc.autosave(wait=True)

    def _add_recent(self, path):
        if self.settings is None:
            return
        recent = [str(path)] + [p for p in (self.settings.value("recent", []) or []) if p != str(path)]
        self.settings.setValue("recent", recent[:8])
        self.refresh_recent()

    def refresh_recent(self):
        self.recent_menu.clear()
        for p in (self.settings.value("recent", []) or []) if self.settings else []:
            self.recent_menu.addAction(p, lambda p=p: self.open_path(p))

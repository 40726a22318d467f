"""Starting the window: settings, autosave and crash recovery, screenshots."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def data_dir() -> Path:
    """Where the autosave lives: CONVVIZ_DATA_DIR, else the platform's app data folder."""
    if os.environ.get("CONVVIZ_DATA_DIR"):
        return Path(os.environ["CONVVIZ_DATA_DIR"])
    from PySide6 import QtCore
    return Path(QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.AppDataLocation) or "~/.convviz").expanduser()


def _no_display() -> bool:
    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def make_window(scene_path=None, fresh: bool = False, ask_restore=None):
    """Build the main window as ``convviz`` does. ``ask_restore(path) -> bool`` decides on a crash's autosave."""
    from PySide6 import QtCore, QtWidgets

    from ..core.scene import load_scene
    from .document import Document
    from .mainwindow import MainWindow

    QtCore.QCoreApplication.setOrganizationName("convviz")
    QtCore.QCoreApplication.setApplicationName("convviz")
    settings = QtCore.QSettings()
    autosave = data_dir() / "autosave.json"
    scene, problem, restored = None, "", False
    if scene_path:
        try:
            scene = load_scene(scene_path)
        except ValueError as exc:
            problem = f"{Path(scene_path).name}: {exc}"
    elif not fresh and autosave.exists():
        crashed = str(settings.value("clean_exit", "1")) == "0"
        restore = True
        if crashed:
            restore = ask_restore(autosave) if ask_restore else QtWidgets.QMessageBox.question(
                None, "Restore your work?", "convviz did not close properly last time. "
                "Restore the scene you were working on?") == QtWidgets.QMessageBox.Yes
        if restore:
            try:
                scene = load_scene(autosave)
                restored = True
            except ValueError as exc:
                problem = f"the autosave could not be restored: {exc}"
    settings.setValue("clean_exit", "0")
    doc = Document(scene)
    win = MainWindow(doc, settings, autosave)
    if restored:
        doc.undo.resetClean()      # the restored work is in no file yet: opening another scene asks first
    if not fresh and settings.value("geometry") is not None:
        win.restoreGeometry(settings.value("geometry"))
        win.restoreState(settings.value("state"))
    if problem:
        win._on_problem(problem + " — showing the default scene instead")
    return win


def screenshot(win, png: str, path: str | None = None, step: int | None = None) -> None:
    from PySide6 import QtWidgets
    if path:
        win.doc.set_path(path)
    if step is not None:
        win.doc.set_position(step)
    win.resize(1600, 1000)
    win.show()
    for _ in range(5):
        QtWidgets.QApplication.processEvents()
    if not win.grab().save(png):
        raise OSError(f"cannot write {png}")


def run_app(args) -> int:
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif _no_display():
        print("convviz: no display found (DISPLAY and WAYLAND_DISPLAY are unset).\n"
              "  On a desktop, run it from a graphical session; over ssh use `ssh -X`;\n"
              "  on a headless machine use `xvfb-run convviz`, or `convviz --screenshot out.png`\n"
              "  (or QT_QPA_PLATFORM=offscreen) to render without a screen.", file=sys.stderr)
        return 2
    from PySide6 import QtWidgets

    from ..core.steps import PATHS
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    if args.path and args.path not in PATHS:
        print(f"convviz: unknown path {args.path!r}; the paths are: {', '.join(PATHS)}", file=sys.stderr)
        return 2
    win = make_window(args.scene, fresh=args.fresh or bool(args.screenshot))
    if args.screenshot:
        try:
            screenshot(win, args.screenshot, args.path, args.step)
        except OSError as exc:
            print(f"convviz: {exc}", file=sys.stderr)
            return 1
        win.settings.setValue("clean_exit", "1")
        return 0
    if args.path:
        win.doc.set_path(args.path)
    if args.step is not None:
        win.doc.set_position(args.step)
    win.show()
    return app.exec()

"""Starting the window: settings, autosave and crash recovery, screenshots."""
from __future__ import annotations

import os
import sys
import time
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


def keep_damaged(path: Path) -> Path | None:
    """Rename a damaged autosave beside itself (autosave-damaged-<time>.json) so that nothing is lost."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.stem}-damaged-{stamp}{path.suffix}")
    try:
        os.replace(path, backup)
    except OSError:
        return None
    return backup


def make_window(fresh: bool = False, ask_restore=None, scene=None, autosave: bool = True):
    """Build the main window as ``convviz`` does. ``ask_restore(path) -> bool`` decides on a crash's autosave.

    ``scene`` (already loaded) opens a scene; else the autosave is
    restored unless ``fresh``. A damaged autosave is kept as a backup and never stops a
    start. Without ``autosave`` (screenshots) the autosave is neither read nor written.
    """
    from PySide6 import QtCore, QtWidgets

    from ..core.scene import load_scene
    from .document import Document
    from .mainwindow import MainWindow

    QtCore.QCoreApplication.setOrganizationName("convviz")
    QtCore.QCoreApplication.setApplicationName("convviz")
    settings = QtCore.QSettings()
    autosave_path = data_dir() / "autosave.json" if autosave else None
    problem, restored = "", False
    if scene is None and not fresh and autosave_path is not None and autosave_path.exists():
        crashed = str(settings.value("clean_exit", "1")) == "0"
        restore = True
        if crashed:
            restore = ask_restore(autosave_path) if ask_restore else QtWidgets.QMessageBox.question(
                None, "Restore your work?", "convviz did not close properly last time. "
                "Restore the scene you were working on?") == QtWidgets.QMessageBox.Yes
        if restore:
            try:
                scene = load_scene(autosave_path)
                restored = True
            except Exception as exc:          # noqa: BLE001 - a damaged autosave must never stop a start
                backup = keep_damaged(autosave_path)
                kept = f"; it is kept as {backup.name}" if backup else ""
                problem = f"the autosave could not be restored: {str(exc)[:300]}{kept}"
    settings.setValue("clean_exit", "0")
    try:
        doc = Document(scene)
        win = MainWindow(doc, settings, autosave_path)
    except Exception as exc:                  # noqa: BLE001 - nor may a restored scene that cannot be shown
        if not restored:
            raise
        backup = keep_damaged(autosave_path)
        kept = f"; it is kept as {backup.name}" if backup else ""
        problem, restored = f"the autosave could not be shown: {str(exc)[:300]}{kept}", False
        doc = Document(None)
        win = MainWindow(doc, settings, autosave_path)
    app = QtWidgets.QApplication.instance()
    if autosave_path is not None and app is not None:
        app.applicationStateChanged.connect(doc.application_state_changed)    # focus lost: save now
    if restored:
        doc.session.history.reset_clean()      # the restored work is in no file yet: opening another scene asks first
    if not fresh and settings.value("geometry") is not None:
        win.restoreGeometry(settings.value("geometry"))
        win.restoreState(settings.value("state"))
    if problem:
        win.show_problem(problem + " — showing the default scene instead")
    return win


def screenshot(win, png: str, path: str | None = None, step: int | None = None, timeout: float = 600) -> None:
    """Render the window at 1600×1000 into ``png`` once the computation is done.

    Raises ValueError for a path or step the scene does not have, or a computation that
    fails or does not finish in ``timeout`` seconds; OSError when the file cannot be written.
    """
    from PySide6 import QtWidgets

    doc = win.doc
    win.resize(1600, 1000)
    win.show()
    doc.wait(timeout)
    if doc.model is None or doc.busy or doc.message:
        raise ValueError(f"the scene cannot be shown: {doc.message or 'the computation did not finish'}")
    if path:
        doc.set_path(path)
        if doc.path_name != path:
            raise ValueError(f"the {path} path is not available for this scene; its paths are "
                             f"{', '.join(doc.model.available())}")
    if step is not None:
        n = doc.path().n_positions
        if not 0 <= step < n:
            raise ValueError(f"step {step} is not on the {doc.path_name} path, which has steps 0 to {n - 1}")
        doc.set_position(step)
    for _ in range(5):
        QtWidgets.QApplication.processEvents()
    if not win.grab().save(png, "PNG"):
        raise OSError(f"cannot write {png}")


def run_app(args) -> int:
    def fail(message: str) -> int:
        print(f"convviz: {message}", file=sys.stderr)
        return 2

    from ..core.paths.registry import PATHS
    if args.path and args.path not in PATHS:
        return fail(f"unknown path {args.path!r}; the paths are: {', '.join(PATHS)}")
    if args.screenshot is not None and not args.screenshot.strip():
        return fail("--screenshot is empty; name the PNG file to write, e.g. --screenshot out.png")
    scene = None
    if args.scene is not None:
        from ..core.scene import load_scene
        try:
            scene = load_scene(args.scene)
        except ValueError as exc:
            return fail(f"{Path(args.scene).name}: {exc}")
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif _no_display():
        print("convviz: no display found (DISPLAY and WAYLAND_DISPLAY are unset).\n"
              "  On a desktop, run it from a graphical session; over ssh use `ssh -X`;\n"
              "  on a headless machine use `xvfb-run convviz`, or `convviz --screenshot out.png`\n"
              "  (or QT_QPA_PLATFORM=offscreen) to render without a screen.", file=sys.stderr)
        return 2
    from PySide6 import QtWidgets

    from .. import compute
    if not args.screenshot:
        # qualifying the devices can take a minute on a new machine: numpy computes meanwhile
        compute.prepare_in_background()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    win = make_window(scene=scene, fresh=args.fresh or bool(args.screenshot), autosave=not args.screenshot)
    if args.screenshot:
        try:
            screenshot(win, args.screenshot, args.path, args.step)
        except (ValueError, OSError) as exc:
            return fail(str(exc))
        finally:
            win.settings.setValue("clean_exit", "1")
            win.doc.shutdown()
            win.hide()
            win.deleteLater()
        return 0
    if args.path:
        win.doc.set_path(args.path)
    if args.step is not None:
        win.doc.set_position(args.step)
    win.show()
    _report_opencl_when_ready(win)
    return app.exec()


def _report_opencl_when_ready(win) -> None:
    """Once the devices are checked: name the backend, and say so if the last run crashed."""
    from PySide6 import QtCore

    from .. import compute

    def check():
        if not compute.ready():
            QtCore.QTimer.singleShot(250, check)
            return
        win.busy.backend.setText(compute.describe(win.doc.backend))
        note = compute.crash_note()
        if note:
            win.statusBar().showMessage("⚠ " + note, 30000)
    check()

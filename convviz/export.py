"""Headless export of a path's steps: numbered PNG or SVG frames, or an animated GIF.

    convviz export SCENE --path NAME --out DIR [--format png|svg|gif] [--width PX] [--step N]

Each frame is the window's stage area (title, text, formula with the live numbers and
every tensor of the step) rendered offscreen; no window is opened on a screen. Frames
are written to a temporary folder and moved into DIR only when all of them succeeded,
so a failure leaves nothing partial. A bad scene or argument is one line on stderr and
exit code 2; nothing is ever written outside DIR.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


_app = _win = None
MAX_FRAMES = 500              # frames of one export without --step (a GIF holds them all in memory)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="convviz export", description="Export a path's steps without a window.")
    p.add_argument("scene", help="a scene or lesson file (.json)")
    p.add_argument("--path", required=True, help="the path to export (forward, pool, activation, db, dw, ...)")
    p.add_argument("--out", required=True, help="the folder to write into (created if missing)")
    p.add_argument("--format", choices=("png", "svg", "gif"), default="png")
    p.add_argument("--width", type=int, default=1600, help="image width in pixels (default 1600)")
    p.add_argument("--step", type=int, help="export only this position of the path (0 = first)")
    return p


def open_offscreen(scene, path: str, width: int):
    """A window on the scene with only its stage area showing, sized for ``width``."""
    from PySide6 import QtWidgets

    from .gui.document import Document
    from .gui.mainwindow import MainWindow

    global _app, _win
    _app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["convviz-export"])
    # the application and the window live until the process ends, as in the GUI: freeing the
    # window before the interpreter's teardown has segfaulted there; a second export in the
    # same process reuses the window
    if _win is None:
        _win = MainWindow(Document(scene, asynchronous=False))
    else:
        _win.doc.set_scene(scene, record=False)
        _win.doc.undo.clear()
    win = _win
    win.editors_dock.hide()
    win.player.hide()
    win.doc.wait(timeout=600)
    win.doc.set_path(path)
    win.resize(min(width, 1920), int(min(width, 1920) * 0.62))
    win.show()
    QtWidgets.QApplication.processEvents()
    return win


def export_main(argv) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .core.scene import load_scene
    from .core.steps import PATHS

    def fail(msg: str) -> int:
        print(f"convviz export: {msg}", file=sys.stderr)
        return 2

    if args.path not in PATHS:
        return fail(f"unknown path {args.path!r}; the paths are: {', '.join(PATHS)}")
    if not 200 <= args.width <= 8000:
        return fail(f"--width must be between 200 and 8000 pixels; got {args.width}")
    if not args.out.strip():
        return fail("--out is empty; name the folder to write into, e.g. --out frames/")
    if args.step is not None and args.step < 0:
        return fail(f"--step must be 0 or more; got {args.step}")
    try:
        scene = load_scene(args.scene)
    except ValueError as exc:
        return fail(f"{Path(args.scene).name}: {exc}")
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".convviz-write-test-")
        probe.close()
    except OSError as exc:
        return fail(f"cannot write into {out}: {exc.strerror or exc}")

    def progress(i, n):
        print(f"\rframe {i}/{n}", end="" if i < n else "\n", file=sys.stderr, flush=True)

    positions = None if args.step is None else [args.step]
    from .gui.exporting import write_path
    try:
        win = open_offscreen(scene, args.path, args.width)
        if win.doc.model is None or win.doc.message:
            return fail(f"the scene cannot be computed: {win.doc.message}")
        if win.doc.path_name != args.path:
            return fail(f"the {args.path} path is not available for this scene; its paths are "
                        f"{', '.join(win.doc.model.available())}")
        n = win.doc.path().n_positions
        if positions is None and n > MAX_FRAMES:
            return fail(f"the {args.path} path of this scene has {n:,} steps; an export writes at most "
                        f"{MAX_FRAMES} at once: choose one with --step, or use a smaller scene")
        files = write_path(win, out, args.format, args.width, positions, progress)
    except (ValueError, OSError, MemoryError, OverflowError) as exc:
        return fail(f"{exc}; nothing was written")
    what = f"{files[0].name} ({len(positions or range(win.doc.path().n_positions))} frames)" \
        if args.format == "gif" else f"{len(files)} {args.format.upper()} file(s)"
    print(f"wrote {what} to {out}", file=sys.stderr)
    return 0

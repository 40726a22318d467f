"""Headless export of a path's steps: numbered PNG or SVG frames, or an animated GIF.

    convviz export SCENE --path NAME --out DIR [--format png|svg|gif] [--width PX] [--step N]

Each frame is the window's stage area (title, text, formula with the live numbers and
every tensor of the step) rendered offscreen; no window is opened on a screen. Frames
are written to a temporary folder and moved into DIR only when all of them succeeded,
so a failure leaves nothing partial.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


_app = _win = None


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
    # window before the interpreter's teardown has segfaulted there
    _win = win = MainWindow(Document(scene, asynchronous=False))
    win.editors_dock.hide()
    win.player.hide()
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
    try:
        scene = load_scene(args.scene)
    except ValueError as exc:
        return fail(str(exc))
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
        if win.doc.path_name != args.path:
            return fail(f"the {args.path} path is not available for this scene ({win.doc.message or 'too big'})")
        files = write_path(win, out, args.format, args.width, positions, progress)
    except (ValueError, OSError) as exc:
        return fail(f"{exc}; nothing was written")
    what = f"{files[0].name} ({len(positions or range(win.doc.path().n_positions))} frames)" \
        if args.format == "gif" else f"{len(files)} {args.format.upper()} file(s)"
    print(f"wrote {what} to {out}", file=sys.stderr)
    return 0

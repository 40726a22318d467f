"""Headless export of a path's steps: numbered PNG frames and an animated GIF.

    convviz export SCENE --path NAME --out DIR [--format png|gif] [--width PX] [--step N]

Each frame is the window's stage area (title, text, formula with the live numbers and
every tensor of the step) rendered offscreen. Frames are written to a temporary folder
and moved into DIR only when all of them succeeded, so a failure leaves nothing partial.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path


_app = _win = None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="convviz export", description="Export a path's steps without a window.")
    p.add_argument("scene", help="a scene or lesson file (.json)")
    p.add_argument("--path", required=True, help="the path to export (forward, pool, activation, db, dw, ...)")
    p.add_argument("--out", required=True, help="the folder to write into (created if missing)")
    p.add_argument("--format", choices=("png", "gif"), default="png")
    p.add_argument("--width", type=int, default=1600, help="image width in pixels (default 1600)")
    p.add_argument("--step", type=int, help="export only this position of the path (0 = first)")
    return p


def render_frames(scene, path: str, width: int, positions=None, progress=None):
    """Yield (position, QImage) for the requested positions of a path, rendered offscreen."""
    from PySide6 import QtWidgets

    from .gui.document import Document
    from .gui.mainwindow import MainWindow

    global _app, _win
    _app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["convviz-export"])
    # the application and the window live until the process ends, as in the GUI: freeing the
    # window before the interpreter's teardown has segfaulted there
    _win = win = MainWindow(Document(scene))
    win.editors_dock.hide()
    win.player.hide()
    win.doc.set_path(path)
    centre = win.centralWidget()
    win.resize(width, int(width * 0.62))
    win.show()
    n = win.doc.path().n_positions
    todo = list(range(n)) if positions is None else list(positions)
    for i, p in enumerate(todo):
        win.doc.set_position(p)
        QtWidgets.QApplication.processEvents()
        if progress:
            progress(i + 1, len(todo))
        yield p, centre.grab().toImage()


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
    with tempfile.TemporaryDirectory(dir=out, prefix=".convviz-export-") as tmp:
        frames = []
        try:
            for p, image in render_frames(scene, args.path, args.width, positions, progress):
                f = Path(tmp) / f"{args.path}-{p:04d}.png"
                if not image.save(str(f)):
                    return fail(f"could not write {f.name}")
                frames.append(f)
        except (ValueError, IndexError) as exc:
            return fail(str(exc))
        if args.format == "gif":
            from PIL import Image
            imgs = []
            for f in frames:
                with Image.open(f) as im:
                    imgs.append(im.convert("P", palette=Image.ADAPTIVE, colors=255))
            gif = Path(tmp) / f"{args.path}.gif"
            imgs[0].save(gif, save_all=True, append_images=imgs[1:], duration=500, loop=0)
            shutil.move(str(gif), out / gif.name)
            print(f"wrote {out / gif.name} ({len(imgs)} frames)", file=sys.stderr)
        else:
            for f in frames:
                shutil.move(str(f), out / f.name)
            print(f"wrote {len(frames)} PNG file(s) to {out}", file=sys.stderr)
    return 0

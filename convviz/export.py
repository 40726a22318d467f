"""Headless export of a path's steps: numbered PNG or SVG frames, or an animated GIF.

    convviz export SCENE --path NAME --out DIR [--format png|svg|gif] [--width PX] [--step N]

Each frame is drawn by gui.stage_view.StageView, the widget the window shows as its stage
(title, lesson, text, formula with the live numbers and every tensor of the step), alone
and offscreen: no window is built and nothing stays alive after the export. Frames
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


def step_model(scene, backend: str | None = None):
    """The scene computed (the core's StepModel); ValueError when it cannot be."""
    from .core.paths.model import StepModel

    pipeline = scene.pipeline(backend)
    pipeline.compute()
    network = scene.network() if scene.stacked else None        # the δ chain runs through every block
    return StepModel(pipeline, None if network is None else (network, network.compute(backend)))


def render_path(model, path: str, out, fmt: str = "png", width: int | None = None, positions=None,
                progress=None, title: str = "", text: str = "") -> list[Path]:
    """Steps of ``path`` drawn by a StageView alone (no window), written as exporting.write_frames does.

    ``title`` and ``text`` are a lesson's words above the stage. Needs a QApplication; the
    StageView is deleted before this returns, so nothing is left behind.
    """
    from PySide6 import QtCore, QtWidgets

    from .gui.exporting import write_frames
    from .gui.stage_view import StageView
    from .gui.zero_marks import geometry_of

    steps = model.path(path)
    stage = StageView()
    stage.setAttribute(QtCore.Qt.WA_DontShowOnScreen)
    stage.set_lesson(title, text)

    def show(p: int) -> None:
        stage.show_step(steps, p, geometry=geometry_of(model))
        QtWidgets.QApplication.processEvents()
    try:
        stage.show()
        return write_frames(stage, show, path, steps.n_positions, out, fmt, width, positions, progress)
    finally:
        stage.close()
        stage.deleteLater()
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)


def export_main(argv) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .core.scene import load_scene
    from .core.paths.registry import PATHS

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
    try:
        model = step_model(scene)
    except ValueError as exc:
        return fail(f"the scene cannot be computed: {exc}")
    if args.path not in model.available():
        return fail(f"the {args.path} path is not available for this scene; its paths are "
                    f"{', '.join(model.available())}")
    n = model.path(args.path).n_positions
    if positions is None and n > MAX_FRAMES:
        return fail(f"the {args.path} path of this scene has {n:,} steps; an export writes at most "
                    f"{MAX_FRAMES} at once: choose one with --step, or use a smaller scene")
    from PySide6 import QtWidgets
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["convviz-export"])
    try:
        files = render_path(model, args.path, out, args.format, args.width, positions, progress,
                            scene.title, scene.text)
    except (ValueError, OSError, MemoryError, OverflowError) as exc:
        return fail(f"{exc}; nothing was written")
    what = f"{files[0].name} ({len(positions or range(n))} frames)" \
        if args.format == "gif" else f"{len(files)} {args.format.upper()} file(s)"
    print(f"wrote {what} to {out}", file=sys.stderr)
    return 0

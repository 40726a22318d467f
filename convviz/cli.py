"""The ``convviz`` command: the window, and commands that need none.

    convviz                       open the window (last autosave, or the default scene)
    convviz --scene FILE          open a scene
    convviz --fresh               ignore saved settings and the autosave
    convviz --screenshot PNG [--scene FILE] [--path NAME] [--step N]
                                  render the window offscreen at 1600×1000 and exit
    convviz devices               list OpenCL devices, mark the one in use and say why
    convviz export SCENE --path NAME --out DIR [--format png|svg|gif] [--width PX] [--step N]
    convviz train SCENE --steps N [--lr R] [--momentum M] [--out OUT.json]
                                  train the scene's network headless; prints the loss every few
                                  steps, last `loss L0 -> L1`; writes the trained scene to OUT.json
"""
from __future__ import annotations

import argparse
import sys


def devices_report(argv: list[str] = ()) -> str:
    """Every OpenCL device with its qualification verdict per kernel family, and the choice."""
    import textwrap

    from .compute import journal
    from .compute.devices import choose_device

    lines = []
    if "--retry" in argv:
        lines.append(f"Forgot {journal.forget()} recorded crash(es); OpenCL is tried again.")
    crashes = journal.collect() + journal.known_crashes()
    choice = choose_device(refresh="--requalify" in argv)
    if not choice.candidates:
        lines.append("No OpenCL device found.")
    for c in choice.candidates:
        mark = "*" if c is choice.chosen else " "
        q = c.qualification
        if q is None:
            state = c.why or "not tried"
        else:
            ok = c.families_ok
            state = (f"{ok} of {len(c.verdicts)} kernel families qualified"
                     + (f", {c.bench_ms:.1f} ms on the benchmark workloads" if c.bench_ms is not None else "")
                     + (" (cached verdict)" if q.get("cached") else f" (checked now in {q.get('seconds', 0):.1f} s)"))
        lines.append(f" {mark} {c.kind:5} {c.label} — {state}")
        if q is not None:
            good = [f + (f" ({v['vw']} lanes)" if "vw" in v else "") for f, v in c.verdicts.items() if v.get("ok")]
            if good:
                lines += textwrap.wrap("ok: " + ", ".join(good), 100, initial_indent=" " * 9,
                                       subsequent_indent=" " * 13)
            for f, v in c.verdicts.items():
                if v.get("why"):
                    state = "narrower vectors" if v.get("ok") else "numpy computes it"
                    lines.append(f"         {f}: {state}, because {v['why']}")
    for note in crashes:
        lines.append(f"Crashed before: {note.get('what')} on {note.get('device')} ({note.get('when', '?')}): "
                     "numpy computes it (`convviz devices --retry` tries again).")
    if choice.chosen is not None:
        lines.append(f"In use: {choice.chosen.label}, because {choice.reason}.")
    else:
        lines.append(f"In use: numpy (the reference backend), because {choice.reason}.")
    lines.append("Override with CONVVIZ_DEVICE=<part of a device name> or CONVVIZ_BACKEND=numpy|opencl; "
                 "--requalify checks the kernels again.")
    return "\n".join(lines)


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(2)


def train_main(argv: list[str]) -> int:
    """``convviz train``: SGD on the scene's network; bad input is one line on stderr, exit 2."""
    from dataclasses import replace
    from pathlib import Path

    from .core.scene import load_scene
    from .core.training import Trainer, Training

    p = _OneLineParser(prog="convviz train", description="Train a scene's network without a window.")
    p.add_argument("scene")
    p.add_argument("--steps", type=int, required=True, help="descent steps")
    p.add_argument("--lr", type=float, help="learning rate (default: the scene's)")
    p.add_argument("--momentum", type=float, help="momentum, 0 = plain SGD (default: the scene's)")
    p.add_argument("--out", help="write the trained scene here")
    args = p.parse_args(argv)

    def fail(msg: str) -> int:
        print(f"convviz train: {msg}", file=sys.stderr)
        return 2

    try:
        scene = load_scene(args.scene)
    except ValueError as exc:
        return fail(f"{Path(args.scene).name}: {exc}")
    try:
        settings = Training(scene.training.lr if args.lr is None else args.lr,
                            scene.training.momentum if args.momentum is None else args.momentum, args.steps)
    except ValueError as exc:
        return fail(str(exc).replace("the learning rate", "--lr").replace("steps must", "--steps must"))
    if args.out is not None and (not args.out.strip() or Path(args.out).is_dir()):
        return fail(f"--out must name a file to write, e.g. --out trained.json; got {args.out!r}")
    trainer = Trainer(scene.network(), settings)
    every = max(1, args.steps // 10)
    try:
        trainer.train(args.steps, every, lambda k, loss: print(f"step {k:6d}  loss {loss:.6g}", flush=True))
    except ValueError as exc:
        return fail(str(exc))
    if args.out is not None:
        try:
            replace(scene.with_network(trainer.network), training=settings).save(args.out)
        except OSError as exc:
            return fail(f"cannot write {args.out}: {exc.strerror or exc}")
        print(f"wrote the trained scene to {args.out}", file=sys.stderr)
    print(f"loss {trainer.history[0]:.6g} -> {trainer.history[-1]:.6g}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="convviz", description="A visualiser for convolution and its backpropagation.")
    p.add_argument("--scene", help="open this scene or lesson file")
    p.add_argument("--fresh", action="store_true", help="ignore saved settings and the autosave")
    p.add_argument("--screenshot", metavar="PNG", help="render the window offscreen to PNG and exit")
    p.add_argument("--path", help="the path to show (forward, pool, activation, db, dw, dx-gather, ...)")
    p.add_argument("--step", type=int, help="the step of the path to show (0 = first)")
    return p


def main(argv: list[str] | None = None) -> int:
    """The ``convviz`` command; ``argv`` given means in-process (tests, scripts): it returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "devices":
        print(devices_report(argv[1:]))
        return 0
    if argv and argv[0] == "export":
        from .export import export_main
        return export_main(argv[1:])
    if argv and argv[0] == "train":
        return train_main(argv[1:])
    args = _parser().parse_args(argv)
    from .gui.app import run_app
    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())

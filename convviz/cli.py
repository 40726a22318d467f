"""The ``convviz`` command: the window, and commands that need none.

    convviz                       open the window (last autosave, or the default scene)
    convviz --scene FILE          open a scene
    convviz --fresh               ignore saved settings and the autosave
    convviz --screenshot PNG [--scene FILE] [--path NAME] [--step N]
                                  render the window offscreen at 1600×1000 and exit
    convviz devices               list OpenCL devices, mark the one in use and say why
    convviz export SCENE --path NAME --out DIR [--format png|svg|gif] [--width PX] [--step N]
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
    args = _parser().parse_args(argv)
    from .gui.app import run_app
    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())

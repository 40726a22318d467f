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
import os
import sys


def devices_report() -> str:
    from .compute.devices import choose_device

    choice = choose_device()
    lines = []
    if not choice.candidates:
        lines.append("No OpenCL device found.")
    for c in choice.candidates:
        mark = "*" if c is choice.chosen else " "
        state = "works" if c.works else ("fails: " + c.why if c.works is False else "not tried")
        lines.append(f" {mark} {c.kind:5} {c.label} — {state}")
    if choice.chosen is not None:
        lines.append(f"In use: {choice.chosen.label}, because {choice.reason}.")
    else:
        lines.append(f"In use: numpy (the reference backend), because {choice.reason}.")
    lines.append("Override with CONVVIZ_DEVICE=<part of a device name> or CONVVIZ_BACKEND=numpy|opencl.")
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
    as_command = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "devices":
        print(devices_report())
        return 0
    if argv and argv[0] == "export":
        from .export import export_main
        code = export_main(argv[1:])
        if not as_command:
            return code
        # Every file is written and moved by now. The export process has segfaulted at
        # interpreter teardown (inside Qt or Intel's OpenCL runtime, not yet found), which
        # would turn a finished export into exit code 139; leave without the teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    args = _parser().parse_args(argv)
    from .gui.app import run_app
    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())

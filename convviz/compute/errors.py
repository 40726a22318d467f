"""One error type for everything an OpenCL driver can do wrong, and fault injection.

Every pyopencl failure (build, kernel creation, allocation, launch, read) reaches the
rest of convviz as an :class:`OpenCLError` carrying the build log, never as a raw
pyopencl exception. ``CONVVIZ_FAULT`` injects failures for the tests: a comma-separated
list of ``stage:name``, name a kernel (``*`` for any) and stage one of: build (a build
error), kernel (INVALID_KERNEL_NAME), launch (OUT_OF_RESOURCES), alloc (a failed
allocation), abort (the qualification child aborts while checking that family, or
``family/width``), crash (this process aborts when launching that kernel), wrong (the
family returns wrong numbers in qualification). E.g. ``CONVVIZ_FAULT=build:conv2d_forward``.
"""
from __future__ import annotations

import os

STAGES = ("build", "kernel", "launch", "alloc", "abort", "crash", "wrong")


class OpenCLError(RuntimeError):
    """An OpenCL driver failed. ``log`` holds the compiler's build log when there is one."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log

    @property
    def cause(self) -> str:
        """A short, stable description of the failure (one warning is logged per cause)."""
        return str(self).strip().splitlines()[0] if str(self).strip() else type(self).__name__


class BuildError(OpenCLError):
    """A kernel failed to compile or to be created; the message carries the build log."""


class Unqualified(OpenCLError):
    """The kernel family failed qualification on this device: numpy computes it instead."""


def wrap(exc: BaseException, what: str) -> OpenCLError:
    """``exc`` (anything a driver raised) as an OpenCLError saying what was being done."""
    if isinstance(exc, OpenCLError):
        return exc
    text = str(exc).strip() or type(exc).__name__
    log = getattr(exc, "build_log", None) or ""
    if not isinstance(log, str):        # pyopencl's build log: [(device, text), ...]
        log = "\n".join(str(entry[-1]) for entry in log)
    err = OpenCLError(f"{what} failed: {type(exc).__name__}: {text}", log or text)
    err.__cause__ = exc
    return err


def _parse(spec: str) -> dict[str, set[str]]:
    faults: dict[str, set[str]] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        stage, _, name = item.partition(":")
        if stage in STAGES:
            faults.setdefault(stage, set()).add(name or "*")
    return faults


_faults = _parse(os.environ.get("CONVVIZ_FAULT", ""))


def set_faults(spec: str) -> None:
    """Replace the injected faults (tests); the child processes read CONVVIZ_FAULT."""
    global _faults
    _faults = _parse(spec)
    os.environ["CONVVIZ_FAULT"] = spec


def injected(stage: str, name: str) -> bool:
    names = _faults.get(stage)
    return bool(names) and ("*" in names or name in names)


def inject(stage: str, name: str) -> None:
    """Fail as a broken driver would, where the tests asked for it."""
    if not _faults or not injected(stage, name):
        return
    if stage in ("abort", "crash"):
        os.abort()              # what an LLVM assertion inside a driver's compiler does
    import pyopencl as cl
    if stage == "build":
        raise cl.RuntimeError(f"clBuildProgram failed: BUILD_PROGRAM_FAILURE - injected fault in {name}.cl\n"
                              f"error: AVX vector return of type 'float16' without 'avx512f' (injected)")
    if stage == "kernel":
        raise cl.LogicError(f"clCreateKernel failed: INVALID_KERNEL_NAME (injected fault in {name})")
    if stage == "launch":
        raise cl.RuntimeError(f"clEnqueueNDRangeKernel failed: OUT_OF_RESOURCES (injected fault in {name})")
    if stage == "alloc":
        raise cl.MemoryError("clCreateBuffer failed: MEM_OBJECT_ALLOCATION_FAILURE (injected fault)")

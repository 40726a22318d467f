"""Finding OpenCL devices and choosing the one to compute on.

The choice: ``CONVVIZ_DEVICE`` (a substring of the device or platform name) when set;
else the first GPU that builds and runs a test kernel; else the first CPU that does
(PoCL, then Intel's CPU runtime). Every candidate is really tried, because a device
can be listed and still fail to compile (PoCL 3.0 with LLVM 14 on CPUs that LLVM does
not know says "unknown target CPU 'generic'").
"""
from __future__ import annotations

import glob
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

_TEST_SOURCE = """
__kernel void probe(__global float *a) {
    const int i = get_global_id(0);
    float8 v = vload8(i, a);
    vstore8(v * 2.0f + 1.0f, i, a);
}
"""


def _intel_cpu_runtime() -> Path | None:
    for root in {sys.prefix, sys.base_prefix}:
        lib = Path(root) / "lib" / "libintelocl.so"
        if lib.exists():
            return lib
    return None


def prepare_icd_vendors() -> None:
    """Register Intel's CPU OpenCL runtime (installed from PyPI) with the ICD loader.

    Its own .icd file names a path from the build machine, so we write a vendors folder
    holding the system's ICDs plus an absolute path to the runtime. Must run before
    pyopencl first lists platforms. A user's own OCL_ICD_VENDORS is left alone.
    """
    if os.environ.get("OCL_ICD_VENDORS"):
        return
    lib = _intel_cpu_runtime()
    if lib is None:
        return
    folder = Path(tempfile.gettempdir()) / f"convviz-icd-{os.getuid() if hasattr(os, 'getuid') else 0}"
    try:
        folder.mkdir(exist_ok=True)
        for f in folder.glob("*.icd"):
            f.unlink()
        for src in glob.glob("/etc/OpenCL/vendors/*.icd"):
            (folder / Path(src).name).write_text(Path(src).read_text())
        (folder / "convviz-intel-cpu.icd").write_text(str(lib) + "\n")
    except OSError:
        return
    os.environ["OCL_ICD_VENDORS"] = str(folder)


@dataclass
class Candidate:
    platform: str
    name: str
    kind: str                # "GPU", "CPU", "other"
    device: object = None
    works: bool | None = None
    why: str = ""

    @property
    def label(self) -> str:
        short = {"Portable Computing Language": "PoCL", "Intel(R) OpenCL": "Intel CPU runtime"}.get(
            self.platform, self.platform)
        return f"{self.name} ({short})"


@dataclass
class Choice:
    candidates: list[Candidate] = field(default_factory=list)
    chosen: Candidate | None = None
    reason: str = ""


def _kind(cl, device) -> str:
    if device.type & cl.device_type.GPU:
        return "GPU"
    if device.type & cl.device_type.CPU:
        return "CPU"
    return "other"


def try_device(cl, cand: Candidate) -> bool:
    """Build and run the probe kernel; record why not when it fails."""
    import warnings

    import numpy as np
    try:
        ctx = cl.Context([cand.device])
        queue = cl.CommandQueue(ctx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prg = cl.Program(ctx, _TEST_SOURCE).build()
        a = np.arange(16, dtype=np.float32)
        buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE | cl.mem_flags.COPY_HOST_PTR, hostbuf=a)
        prg.probe(queue, (2,), None, buf)
        out = np.empty_like(a)
        cl.enqueue_copy(queue, out, buf)
        queue.finish()
        if not np.array_equal(out, a * 2 + 1):
            cand.works, cand.why = False, "the probe kernel gave wrong numbers"
            return False
        cand.works = True
        return True
    except Exception as exc:    # a broken driver can raise anything; record it and move on
        msg = str(exc).strip().splitlines()
        detail = next((m for m in msg if "error" in m.lower()), msg[-1] if msg else type(exc).__name__)
        cand.works, cand.why = False, detail.strip()
        return False


def choose_device() -> Choice:
    """List the devices, try them in order of preference, and say why the winner won."""
    prepare_icd_vendors()
    choice = Choice()
    try:
        import pyopencl as cl
    except ImportError as exc:
        choice.reason = f"pyopencl cannot be imported ({exc})"
        return choice
    try:
        platforms = cl.get_platforms()
    except Exception as exc:
        choice.reason = f"no OpenCL platform found ({str(exc).strip()})"
        return choice
    for p in platforms:
        try:
            devices = p.get_devices()
        except Exception:
            continue
        for d in devices:
            choice.candidates.append(Candidate(p.name.strip(), d.name.strip(), _kind(cl, d), d))
    if not choice.candidates:
        choice.reason = "the OpenCL platforms list no devices"
        return choice

    wanted = os.environ.get("CONVVIZ_DEVICE", "").strip().lower()
    order = {"GPU": 0, "CPU": 1, "other": 2}
    platform_rank = {"Portable Computing Language": 0}
    ranked = sorted(choice.candidates, key=lambda c: (order[c.kind], platform_rank.get(c.platform, 1)))
    if wanted:
        matches = [c for c in ranked if wanted in c.name.lower() or wanted in c.platform.lower()]
        if not matches:
            choice.reason = (f"CONVVIZ_DEVICE={wanted!r} matches no device; "
                             f"the devices are: {', '.join(c.label for c in ranked)}")
            return choice
        for c in matches:
            if try_device(cl, c):
                choice.chosen, choice.reason = c, f"CONVVIZ_DEVICE={wanted!r} asked for it"
                return choice
        choice.reason = f"CONVVIZ_DEVICE={wanted!r} matches only devices that fail: " + "; ".join(
            f"{c.label}: {c.why}" for c in matches)
        return choice
    failed = []
    for c in ranked:
        if try_device(cl, c):
            first = "the first GPU that works" if c.kind == "GPU" else (
                "no GPU works, and this is the first CPU device that does")
            choice.chosen = c
            choice.reason = first + ("" if not failed else " (" + "; ".join(
                f"{f.label} failed: {f.why}" for f in failed) + ")")
            return choice
        failed.append(c)
    choice.reason = "no OpenCL device works: " + "; ".join(f"{c.label}: {c.why}" for c in failed)
    return choice

"""Finding OpenCL devices and choosing the one to compute on.

Every device is qualified with the real kernels in a child process (:mod:`.qualify`)
before it is used, so a driver that rejects a kernel, returns wrong numbers or aborts in
its compiler costs a verdict, not the app. The choice: ``CONVVIZ_DEVICE`` (part of the
device's label, e.g. "pocl", "intel cpu runtime", "oclgrind") when set; else a GPU whose
kernels qualified; else the qualified CPU runtime that was faster on the benchmark
workloads. Oclgrind, a simulator, is only ever used when asked for by name.
"""
from __future__ import annotations

import glob
from concurrent.futures import ThreadPoolExecutor
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path



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
    qualification: dict | None = None      # qualify.qualify()'s answer

    @property
    def short_platform(self) -> str:
        return {"Portable Computing Language": "PoCL", "Intel(R) OpenCL": "Intel CPU runtime",
                "Oclgrind": "Oclgrind"}.get(self.platform, self.platform)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.short_platform})"

    @property
    def simulator(self) -> bool:
        return "oclgrind" in self.platform.lower()

    @property
    def verdicts(self) -> dict:
        return (self.qualification or {}).get("families", {})

    @property
    def families_ok(self) -> int:
        return sum(1 for v in self.verdicts.values() if v.get("ok"))

    @property
    def bench_ms(self) -> float | None:
        return (self.qualification or {}).get("bench_ms")


@dataclass
class Choice:
    candidates: list[Candidate] = field(default_factory=list)
    chosen: Candidate | None = None
    reason: str = ""


def _kind(cl, device) -> str:
    if "oclgrind" in device.platform.name.lower():
        return "sim"
    if device.type & cl.device_type.GPU:
        return "GPU"
    if device.type & cl.device_type.CPU:
        return "CPU"
    return "other"


def try_device(cand: Candidate, *, refresh: bool = False) -> bool:
    """Qualify the device's kernels (cached); it works if any family passed."""
    from . import qualify
    try:
        cand.qualification = qualify.qualify(cand.device, refresh=refresh)
    except Exception as exc:    # a broken driver can raise anything while listing itself
        msg = str(exc).strip().splitlines()
        cand.works, cand.why = False, (msg[-1] if msg else type(exc).__name__).strip()
        return False
    failed = [f for f, v in cand.verdicts.items() if not v.get("ok")]
    cand.works = cand.families_ok > 0
    if not cand.works:
        first = cand.verdicts[failed[0]]["why"] if failed else "no kernel family was checked"
        cand.why = f"every kernel family failed qualification ({first})"
    elif failed:
        cand.why = f"{len(failed)} of {len(cand.verdicts)} kernel families failed: numpy computes " + ", ".join(failed)
    return cand.works


def _matches(cand: Candidate, wanted: str) -> int:
    """0: no match; 1: part of the label; 2: part of the platform's short name or the platform."""
    if wanted in cand.short_platform.lower() or wanted in cand.platform.lower():
        return 2
    return 1 if wanted in cand.label.lower() else 0


def list_candidates(choice: Choice) -> bool:
    """Fill ``choice.candidates``; False (with the reason in the choice) when there are none."""
    prepare_icd_vendors()
    try:
        import pyopencl as cl
    except ImportError as exc:
        choice.reason = f"pyopencl cannot be imported ({exc})"
        return False
    try:
        platforms = cl.get_platforms()
    except Exception as exc:
        choice.reason = f"no OpenCL platform found ({str(exc).strip()})"
        return False
    for p in platforms:
        try:
            devices = p.get_devices()
        except Exception:
            continue
        for d in devices:
            choice.candidates.append(Candidate(p.name.strip(), d.name.strip(), _kind(cl, d), d))
    if not choice.candidates:
        choice.reason = "the OpenCL platforms list no devices"
        return False
    return True


def choose_device(*, refresh: bool = False) -> Choice:
    """List the devices, qualify them, and say why the winner won."""
    choice = Choice()
    if not list_candidates(choice):
        return choice
    wanted = os.environ.get("CONVVIZ_DEVICE", "").strip().lower()
    if wanted:
        scored = [(_matches(c, wanted), c) for c in choice.candidates]
        best = max((m for m, _ in scored), default=0)
        matches = [c for m, c in scored if m and m == best]
        if not matches:
            choice.reason = (f"CONVVIZ_DEVICE={wanted!r} matches no device; "
                             f"the devices are: {', '.join(c.label for c in choice.candidates)}")
            return choice
        for c in matches:
            if try_device(c, refresh=refresh):
                choice.chosen, choice.reason = c, f"CONVVIZ_DEVICE={wanted!r} asked for it"
                return choice
        choice.reason = f"CONVVIZ_DEVICE={wanted!r} matches only devices that fail: " + "; ".join(
            f"{c.label}: {c.why}" for c in matches)
        return choice
    order = {"GPU": 0, "CPU": 1, "other": 2, "sim": 3}
    for c in choice.candidates:
        if c.simulator:
            c.why = "a simulator, used only when CONVVIZ_DEVICE names it"
    tried = [c for c in choice.candidates if not c.simulator]
    # each device is qualified in child processes of its own: side by side, once per machine
    with ThreadPoolExecutor(max_workers=max(1, len(tried))) as pool:
        works = list(pool.map(lambda c: try_device(c, refresh=refresh), tried))
    usable = [c for c, ok in zip(tried, works) if ok]
    if not usable:
        choice.reason = "no OpenCL device works: " + ("; ".join(f"{c.label}: {c.why}" for c in tried)
                                                       or "the only device is a simulator")
        return choice
    usable.sort(key=lambda c: (order[c.kind], -c.families_ok, c.bench_ms if c.bench_ms is not None else 1e9))
    best = choice.chosen = usable[0]
    if best.kind == "GPU":
        choice.reason = "it is a GPU whose kernels qualified"
    else:
        others = [c for c in usable[1:] if c.kind == best.kind]
        choice.reason = "no GPU qualified" + (", and it was the fastest CPU runtime on the benchmark workloads ("
                                              + ", ".join(f"{c.short_platform} {c.bench_ms:.1f} ms" for c in
                                                          [best] + others if c.bench_ms is not None) + ")"
                                              if others else ", and it is the CPU device whose kernels qualified")
    return choice

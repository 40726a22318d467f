"""Qualification: a device is used only after its real kernels were built, run and
compared with numpy, in a child process, so that a compiler that aborts kills only the
child.

Every program the engine can ever build is checked here (each ``.cl`` file, each vector
width of the vector kernels, tiled and direct, strided, dilated, grouped, the last
partial vector block, 1×1 inputs). A family that fails on a device is computed by numpy
there; a vector family that fails at 16 lanes is tried at 8, 4 and 1 (its portable
variants). The child prints one JSON line as it starts and one as it ends each item; when
it dies, the item it had started is marked as crashing and a new child goes on with the
rest. Verdicts are cached per device, driver version, convviz version and kernel-source
hash in the user cache folder, so this costs once per machine.

The child runs :func:`child_main` with the device's key and the results so far.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path

import numpy as np

from .device_base import VECTOR_KERNELS as VECTOR_FAMILIES, VECTOR_WIDTHS
from .checks import FAMILIES

PROTOCOL = 2            # bump when the families or their checks change
CHILD_TIMEOUT = 300     # seconds for one child; a hung compiler is a failure, not a hang
CHILD = "import sys; from convviz.compute.qualify import child_main; sys.exit(child_main(*sys.argv[1:3]))"


def cache_dir() -> Path:
    """The user cache folder for convviz: CONVVIZ_CACHE_DIR, else XDG_CACHE_HOME/convviz,
    else platformdirs' choice."""
    if os.environ.get("CONVVIZ_CACHE_DIR"):
        return Path(os.environ["CONVVIZ_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "convviz"
    try:
        import platformdirs
        return Path(platformdirs.user_cache_dir("convviz"))
    except ImportError:
        return Path.home() / ".cache" / "convviz"


def kernel_hash() -> str:
    h = hashlib.sha256()
    folder = files("convviz.kernels")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".cl", ".clh")):
            h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return h.hexdigest()[:16]


def device_identity(device) -> dict:
    """What a verdict depends on: the device, its driver, convviz and the kernels."""
    from .. import __version__
    p = device.platform
    return {"platform": p.name.strip(), "platform_version": p.version.strip(), "device": device.name.strip(),
            "device_version": device.version.strip(), "driver": device.driver_version.strip(),
            "convviz": __version__, "kernels": kernel_hash(), "protocol": PROTOCOL}


def cache_path(identity: dict) -> Path:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]
    return cache_dir() / "qualified" / f"{digest}.json"


def items() -> list[str]:
    """What is checked one by one: each family, and each width of a vector family."""
    out = []
    for family in FAMILIES:
        out += [f"{family}/{w}" for w in VECTOR_WIDTHS] if family in VECTOR_FAMILIES else [family]
    return out


def summarise(results: dict) -> dict:
    """Per family: {"ok", "why", "vw"} from the per-item results {item: {"ok", "why"}}."""
    verdicts = {}
    for family in FAMILIES:
        if family not in VECTOR_FAMILIES:
            r = results.get(family)
            if r is not None:
                verdicts[family] = {"ok": r["ok"], "why": r.get("why", "")}
            continue
        notes = []
        for w in VECTOR_WIDTHS:
            r = results.get(f"{family}/{w}")
            if r is None:
                break
            if r["ok"]:
                verdicts[family] = {"ok": True, "vw": w, "why": "; ".join(notes)}
                break
            notes.append(f"{w} lanes: {r.get('why', '')}")
        else:
            verdicts[family] = {"ok": False, "why": "; ".join(notes)}
    return verdicts


def _emit(**fields) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _find_device(key: str):
    import pyopencl as cl

    from .devices import prepare_icd_vendors
    prepare_icd_vendors()
    platform_name, _, device_name = key.partition("\t")
    for p in cl.get_platforms():
        if p.name.strip() == platform_name:
            for d in p.get_devices():
                if d.name.strip() == device_name:
                    return d
    raise LookupError(f"no device {device_name!r} on {platform_name!r}")


def benchmark(engine) -> float:
    """Milliseconds for forward + backward of two of the benchmark workloads (a and a
    smaller d), best of five: how the CPU runtimes are ranked against each other."""
    from ..core.spec import check_conv
    rng = np.random.default_rng(12)
    total = 0.0
    for xs, ws in (((1, 1, 28, 28), (1, 1, 3, 3)), ((2, 16, 64, 64), (32, 16, 3, 3))):
        x, w, b, spec = check_conv(rng.standard_normal(xs), rng.standard_normal(ws), None, {"padding": 1})
        dy = np.ones((xs[0], ws[0]) + spec.output_size(xs[2:]), np.float32)
        best = np.inf
        for _ in range(5):
            t0 = time.perf_counter()
            engine.conv2d(x, w, b, spec)
            engine.conv2d_backward(x, w, dy, spec)
            best = min(best, time.perf_counter() - t0)
        total += best
    return total * 1e3


def child_main(key: str, known_json: str = "{}") -> int:
    """Check every item not in ``known`` and print the results (runs in the child)."""
    from ..core import reference as ref
    from .engine import ClEngine
    from .devices import Candidate, Choice
    from .errors import inject

    known = json.loads(known_json)
    device = _find_device(key)
    cand = Candidate(device.platform.name.strip(), device.name.strip(), "other", device, True)
    engine = ClEngine(Choice([cand], cand, "qualification"), verdicts=summarise(known))
    for item in items():
        if item in known:
            continue
        family, _, width = item.partition("/")
        if family in VECTOR_FAMILIES:
            verdict = summarise(known).get(family)
            if verdict is not None:          # decided: a wider width passed, or all failed
                continue
            engine.vw[family] = int(width)
            engine.unusable.pop(family, None)
        _emit(start=item)
        t0 = time.perf_counter()
        try:
            inject("abort", family)
            inject("abort", item)
            FAMILIES[family](engine, ref)
            result = {"ok": True}
        except Exception as exc:
            result = {"ok": False, "why": (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]}
            if family not in VECTOR_FAMILIES:
                engine.unusable[family] = result["why"]
        result["seconds"] = round(time.perf_counter() - t0, 3)
        known[item] = result
        _emit(done=item, **result)
        if family in VECTOR_FAMILIES and not result["ok"]:
            engine.unusable[family] = result["why"]
    try:
        _emit(bench_ms=round(benchmark(engine), 3))
    except Exception as exc:
        _emit(bench_error=str(exc)[:200])
    return 0


# ---------------------------------------------------------------- the parent side

def _describe_death(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the driver killed the process ({name}) while building or running it"
    return f"the checking process exited with code {code} while building or running it"


def run_children(key: str, timeout: float = CHILD_TIMEOUT) -> tuple[dict, float | None, list[str]]:
    """Run child processes until every item has a result; returns (results, bench_ms, log)."""
    results: dict = {}
    bench = None
    log: list[str] = []
    for _attempt in range(len(items()) + 1):
        cmd = [sys.executable, "-c", CHILD, key, json.dumps(results)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  env=dict(os.environ, PYTHONUNBUFFERED="1"))
            out, err, code = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            err, code = "", None
        started = None
        for line in out.splitlines():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "start" in msg:
                started = msg["start"]
            elif "done" in msg:
                results[msg["done"]] = {k: v for k, v in msg.items() if k != "done"}
                started = None
            elif "bench_ms" in msg:
                bench = msg["bench_ms"]
        if started is None and code == 0:
            return results, bench, log
        why = ("it took longer than %d s" % timeout) if code is None else _describe_death(code)
        tail = [ln for ln in err.strip().splitlines() if ln.strip()][-1:] if err else []
        if tail:
            why += f": {tail[0][:200]}"
        if started is None:         # died between items (or before the first): nothing to blame
            log.append(why)
            if len(log) > 2:
                for item in items():
                    results.setdefault(item, {"ok": False, "why": why})
                return results, bench, log
            continue
        results[started] = {"ok": False, "why": why, "crashed": True}
        log.append(f"{started}: {why}")
    return results, bench, log


def qualify(device, *, refresh: bool = False) -> dict:
    """The verdicts for ``device``: from the cache, or by running the child processes.

    Returns {"families": {family: {"ok", "why", "vw"?}}, "bench_ms", "seconds",
    "cached", "identity"}."""
    identity = device_identity(device)
    path = cache_path(identity)
    if not refresh:
        try:
            data = json.loads(path.read_text())
            if data.get("identity") == identity:
                data["cached"] = True
                return data
        except (OSError, ValueError):
            pass
    t0 = time.perf_counter()
    key = f"{identity['platform']}\t{identity['device']}"
    results, bench, log = run_children(key)
    data = {"identity": identity, "families": summarise(results), "items": results, "bench_ms": bench,
            "seconds": round(time.perf_counter() - t0, 2), "log": log}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, path)
    except OSError:
        pass
    data["cached"] = False
    return data



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

from .engine import VECTOR_KERNELS as VECTOR_FAMILIES, VECTOR_WIDTHS
from .errors import injected

PROTOCOL = 2            # bump when the families or their checks change
CHILD_TIMEOUT = 300     # seconds for one child; a hung compiler is a failure, not a hang
CHILD = "import sys; from convviz.compute.qualify import child_main; sys.exit(child_main(*sys.argv[1:3]))"

# (x shape, w shape, keyword arguments): every awkward case the kernels must survive
CONV_CASES = (
    ((1, 1, 1, 1), (1, 1, 1, 1), {}),                                            # a 1×1 input
    ((2, 4, 9, 37), (6, 2, 3, 3), dict(groups=2, padding=1)),                    # groups, partial vector block
    ((1, 2, 11, 13), (3, 2, 2, 2), dict(stride=3)),                              # stride larger than the kernel
    ((1, 1, 12, 12), (2, 1, 3, 3), dict(dilation=3, padding=2, padding_mode="reflect")),
    ((1, 3, 20, 40), (16, 3, 3, 3), dict(stride=2, padding=1)),                  # a full channel block
    ((2, 3, 17, 33), (5, 3, 5, 3), dict(stride=(2, 1), padding=(2, 1), padding_mode="circular")),
    ((1, 1, 6, 70), (1, 1, 1, 4), dict(stride=(1, 2), dilation=(1, 2), padding_mode="replicate", padding=1)),
)
POOL_CASES = (((1, 1, 1, 1), 1, None, 0), ((2, 3, 9, 37), 3, 2, 1), ((1, 2, 8, 8), 2, None, 0),
              ((1, 1, 7, 5), (3, 2), (1, 3), (1, 1)))


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


# ---------------------------------------------------------------- the checks (child side)

def _close(got, want, terms: int, what: str) -> None:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {got.shape} instead of {want.shape}")
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    tol = 3.2e-6 * scale * max(1.0, np.sqrt(terms))
    err = float(np.nan_to_num(np.abs(got - want), nan=np.inf).max(initial=0.0))
    if err > tol:
        raise AssertionError(f"{what}: wrong numbers (max error {err:.3g}, allowed {tol:.3g})")


def _conv_data(seed: int = 0):
    from ..core.spec import check_conv
    rng = np.random.default_rng(seed)
    for xs, ws, kw in CONV_CASES:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        x, w, b, spec = check_conv(x, w, b, kw)
        dy = rng.standard_normal((xs[0], ws[0]) + spec.output_size(xs[2:])).astype(np.float32)
        yield x, w, b, dy, spec


def _check_conv(engine, ref, *, direct: bool, forward: bool, backward: bool, name: str) -> None:
    engine.direct = direct
    try:
        for x, w, b, dy, spec in _conv_data():
            terms = int(np.prod(w.shape[1:]))
            if forward:
                _close(_maybe_wrong(name, engine.conv2d(x, w, b, spec)), ref.conv2d(x, w, b, spec), terms, "y")
            if backward:
                got = engine.conv2d_backward(x, w, dy, spec)
                want = ref.conv2d_backward(x, w, dy, spec)
                parts = ("dx", "dw", "db") if direct else ("dw",)
                for label, g, e in zip(("dx", "dw", "db"), got, want):
                    if label in parts:
                        _close(_maybe_wrong(name, g), e, dy.size, label)
    finally:
        engine.direct = None


def _maybe_wrong(name: str, a):
    """Injected fault 'wrong:NAME': a driver that returns wrong numbers."""
    return a + 1.0 if injected("wrong", name) else a


def _check_remap(engine, ref) -> None:
    from ..core.spec import ConvSpec
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    for mode in ("zeros", "reflect", "replicate", "circular"):
        spec = ConvSpec((3, 3), padding=(2, 1, 0, 3), padding_mode=mode)
        _close(_maybe_wrong("remap2d", engine.pad(x, spec)), ref.pad(x, spec), 1, f"pad {mode}")
    _close(engine.insert_zeros(x, (2, 3)), ref.insert_zeros(x, (2, 3)), 1, "insert zeros")
    _close(engine.pad_or_crop(x, (-1, 2, 1, -2)), ref.pad_or_crop(x, (-1, 2, 1, -2)), 1, "crop")


def _check_remap_adjoint(engine, ref) -> None:
    from ..core.spec import ConvSpec
    rng = np.random.default_rng(2)
    for mode in ("zeros", "reflect", "replicate", "circular"):
        spec = ConvSpec((3, 3), padding=(2, 1, 0, 3), padding_mode=mode)
        dxp = rng.standard_normal((2, 3) + spec.padded_size((5, 7))).astype(np.float32)
        _close(_maybe_wrong("remap2d_adjoint", engine.pad_backward(dxp, spec, (5, 7))),
               ref.pad_backward(dxp, spec, (5, 7)), 4, f"pad backward {mode}")


def _check_flip(engine, ref) -> None:
    w = np.random.default_rng(3).standard_normal((6, 2, 3, 2)).astype(np.float32)
    for groups in (1, 2, 3):
        _close(_maybe_wrong("flip_kernel", engine.flip_kernel(w, groups)), ref.flip_kernel(w, groups), 1, "flip")


def _check_reduce(engine, ref) -> None:
    part = np.random.default_rng(4).standard_normal((5, 37)).astype(np.float32)
    got = engine.download(engine._reduce(engine.upload(part), 5, 37), (37,))
    _close(_maybe_wrong("reduce_partials", got), part.sum(0), 5, "reduce")


def _check_channel_sum(engine, ref) -> None:
    dy = np.random.default_rng(5).standard_normal((3, 4, 9, 11)).astype(np.float32)
    _close(_maybe_wrong("channel_sum", engine.bias_gradient(dy)), dy.sum(axis=(0, 2, 3)), dy.size // 4, "db")


def _check_scatter(engine, ref) -> None:
    for x, w, b, dy, spec in _conv_data(6):
        hw = x.shape[2:]
        _close(_maybe_wrong("conv2d_dx_scatter", engine.conv2d_dx_scatter(dy, w, spec, hw)),
               ref.conv2d_dx_scatter(dy, w, spec, hw), dy.size, "scatter")
        _close(engine.conv2d_dx_scatter(dy, w, spec, hw, 3), ref.conv2d_dx_scatter(dy, w, spec, hw, 3), 3,
               "partial scatter")


def _check_im2col(engine, ref) -> None:
    for x, w, b, dy, spec in _conv_data(7):
        _close(_maybe_wrong("im2col", engine.im2col(x, spec)), ref.im2col(x, spec), 1, "im2col")


def _check_col2im(engine, ref) -> None:
    for x, w, b, dy, spec in _conv_data(8):
        cols = ref.im2col(x, spec)
        _close(_maybe_wrong("col2im", engine.col2im(cols, spec, x.shape)), ref.col2im(cols, spec, x.shape),
               int(np.prod(w.shape[2:])), "col2im")


def _check_matmul(engine, ref) -> None:
    rng = np.random.default_rng(9)
    for g, m, k, n in ((1, 1, 1, 1), (2, 5, 27, 33), (3, 16, 9, 70)):
        a = rng.standard_normal((g, m, k)).astype(np.float32)
        b = rng.standard_normal((g, k, n)).astype(np.float32)
        _close(_maybe_wrong("matmul", engine.matmul(a, b)), ref.matmul(a, b), k, "matmul")


def _pool_data(seed: int):
    from ..core.spec import check_pool
    rng = np.random.default_rng(seed)
    for shape, k, s, p in POOL_CASES:
        x = rng.integers(-3, 4, shape).astype(np.float32)       # ties: PyTorch's first maximum
        x, spec = check_pool(x, k, s, p)
        dy = rng.standard_normal(x.shape[:2] + spec.output_size(x.shape[2:])).astype(np.float32)
        yield x, dy, spec


def _check_pool(name: str):
    def check(engine, ref) -> None:
        for x, dy, spec in _pool_data(10):
            if name == "max_pool2d_forward":
                got, want = engine.max_pool2d(x, spec), ref.max_pool2d(x, spec)
                _close(_maybe_wrong(name, got[0]), want[0], 1, "max")
                _close(got[1], want[1], 1, "argmax")
            elif name == "max_pool2d_backward":
                _close(_maybe_wrong(name, engine.max_pool2d_backward(x, dy, spec)),
                       ref.max_pool2d_backward(x, dy, spec), 9, "max backward")
            elif name == "avg_pool2d_forward":
                _close(_maybe_wrong(name, engine.avg_pool2d(x, spec)), ref.avg_pool2d(x, spec), 9, "avg")
            else:
                _close(_maybe_wrong(name, engine.avg_pool2d_backward(x.shape, dy, spec)),
                       ref.avg_pool2d_backward(x.shape, dy, spec), 9, "avg backward")
    return check


def _check_activation(name: str):
    def check(engine, ref) -> None:
        from ..core.activations import ACTIVATIONS
        rng = np.random.default_rng(11)
        z = rng.standard_normal((2, 3, 5, 7)).astype(np.float32) * 3
        da = rng.standard_normal(z.shape).astype(np.float32)
        for act in ACTIVATIONS:
            if name == "activation_forward":
                _close(_maybe_wrong(name, engine.activation(z, act, 0.1)), ref.activation(z, act, 0.1), 1, act)
            else:
                _close(_maybe_wrong(name, engine.activation_backward(z, da, act, 0.1)),
                       ref.activation_backward(z, da, act, 0.1), 1, act)
    return check


def _check_forward(engine, ref) -> None:
    _check_conv(engine, ref, direct=False, forward=True, backward=False, name="conv2d_forward")


def _check_dw(engine, ref) -> None:
    _check_conv(engine, ref, direct=False, forward=False, backward=True, name="conv2d_dw")


def _check_direct_forward(engine, ref) -> None:
    _check_conv(engine, ref, direct=True, forward=True, backward=False, name="conv2d_direct_forward")


def _check_direct_backward(engine, ref) -> None:
    _check_conv(engine, ref, direct=True, forward=False, backward=True, name="conv2d_direct_backward")


# In dependency order: a family is checked through the engine's operations, which use
# the families before it.
FAMILIES = {
    "remap2d": _check_remap,
    "remap2d_adjoint": _check_remap_adjoint,
    "flip_kernel": _check_flip,
    "reduce_partials": _check_reduce,
    "channel_sum": _check_channel_sum,
    "conv2d_forward": _check_forward,
    "conv2d_dw": _check_dw,
    "conv2d_direct_forward": _check_direct_forward,
    "conv2d_direct_backward": _check_direct_backward,
    "conv2d_dx_scatter": _check_scatter,
    "im2col": _check_im2col,
    "col2im": _check_col2im,
    "matmul": _check_matmul,
    "max_pool2d_forward": _check_pool("max_pool2d_forward"),
    "max_pool2d_backward": _check_pool("max_pool2d_backward"),
    "avg_pool2d_forward": _check_pool("avg_pool2d_forward"),
    "avg_pool2d_backward": _check_pool("avg_pool2d_backward"),
    "activation_forward": _check_activation("activation_forward"),
    "activation_backward": _check_activation("activation_backward"),
}


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



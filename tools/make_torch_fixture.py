"""Write tests/data/torch_fixture.npz: PyTorch's outputs and gradients for ~300 small configurations.

PyTorch is never a dependency of convviz; run this in a separate environment that has it:

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy
    /tmp/torchenv/bin/python tools/make_torch_fixture.py

Torch alone decides every expected number and every rejection: paddings go to torch in
the form convviz accepts (int, pair, "same", "valid" through conv2d / nn.Conv2d, the
per-side form through F.pad), so nothing here uses convviz's own padding arithmetic.
The file holds a JSON list of cases (``meta``) and, for case ``id``, arrays ``id.x``,
``id.w``, ... (inputs float32; outputs computed in float64 and stored as float32).
The seed is fixed: a second run writes the same arrays and metadata.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20261124
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "torch_fixture.npz"
MODES = ("zeros", "reflect", "replicate", "circular")
FORMS = ("int", "pair", "asym", "same", "valid")
ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh")

# (kh, kw, sh, sw, dh, dw, cin_g, cout_g): the OpenCL engine builds one program per such
# geometry, so the cases share a few of them and vary everything else.
GEOMETRIES = [
    (3, 3, 1, 1, 1, 1, 1, 2), (2, 2, 1, 1, 1, 1, 2, 1), (1, 1, 1, 1, 1, 1, 1, 1), (2, 3, 1, 1, 2, 1, 1, 1),
    (3, 3, 1, 1, 2, 2, 1, 1), (4, 2, 1, 1, 1, 3, 1, 2),                       # stride 1 ('same' allowed)
    (3, 2, 2, 1, 1, 1, 1, 1), (2, 3, 1, 2, 2, 1, 2, 1), (3, 3, 2, 2, 1, 1, 1, 2), (1, 3, 3, 1, 1, 2, 1, 1),
]
TILED = [(3, 3, 1, 1, 1, 1, 2, 2), (3, 2, 2, 1, 1, 2, 2, 2)]   # big enough for the engine's tiled kernels


class Fixture:
    def __init__(self):
        self.meta: list[dict] = []
        self.arrays: dict[str, np.ndarray] = {}

    def add(self, kind: str, info: dict, **arrays) -> None:
        cid = f"{kind}-{len(self.meta):03d}"
        self.meta.append({"id": cid, "kind": kind, **info})
        for name, a in arrays.items():
            if a is not None:
                self.arrays[f"{cid}.{name}"] = np.ascontiguousarray(a, np.float32)

    def save(self) -> None:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        meta = np.frombuffer(json.dumps(self.meta, sort_keys=True).encode(), np.uint8)
        np.savez_compressed(OUT, meta=meta, **self.arrays)


def t64(a: np.ndarray, grad: bool = True) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def out32(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().astype(np.float32)


# ---------------------------------------------------------------- convolution

def torch_conv(x, w, b, kw: dict, form: str):
    """y, and (dx, dw, db) for a random dy, as torch computes them; raises what torch raises."""
    xt, wt = t64(x), t64(w)
    bt = t64(b) if b is not None else None
    stride, dilation, groups, mode = kw["stride"], kw["dilation"], kw["groups"], kw["padding_mode"]
    padding = kw["padding"]
    if form == "asym":
        (t, bo), (l, r) = padding
        xp = F.pad(xt, (l, r, t, bo), mode="constant" if mode == "zeros" else mode)
        y = F.conv2d(xp, wt, bt, stride=stride, dilation=dilation, groups=groups)
    elif mode == "zeros":
        y = F.conv2d(xt, wt, bt, stride=stride, padding=tuple(padding) if form == "pair" else padding,
                     dilation=dilation, groups=groups)
    else:
        cin, cout = x.shape[1], w.shape[0]
        conv = torch.nn.Conv2d(cin, cout, tuple(w.shape[2:]), stride=stride,
                               padding=tuple(padding) if form == "pair" else padding, dilation=dilation,
                               groups=groups, bias=b is not None, padding_mode=mode).double()
        with torch.no_grad():
            conv.weight.copy_(wt)                  # the module's own parameters carry the gradients
            if b is not None:
                conv.bias.copy_(bt)
        wt, bt = conv.weight, conv.bias
        y = conv(xt)
    return xt, wt, bt, y


def _pair_or_int(rng, a: int, b: int):
    return a if a == b and rng.random() < 0.5 else [a, b]


def conv_case(fx: Fixture, rng, geom, *, form, mode, big=False, bias=True, batch=None, groups=None) -> bool:
    """Draw shapes for one geometry; record the case if torch accepts it. True when recorded."""
    kh, kw_, sh, sw, dh, dw, cin_g, cout_g = geom
    groups = groups or int(rng.choice([1, 1, 2, 3]))
    n = batch or int(rng.integers(1, 3))
    lo_h, lo_w = dh * (kh - 1) + 1, dw * (kw_ - 1) + 1
    size = (12, 16) if big else (1, 9)
    h = int(rng.integers(max(size[0], lo_h - 2), max(size[1], lo_h + 2) + 1))
    wd = int(rng.integers(max(size[0], lo_w - 2), max(size[1], lo_w + 2) + 1))
    if form == "int":
        padding = int(rng.integers(0, 4))
    elif form == "pair":
        padding = [int(rng.integers(0, 4)), int(rng.integers(0, 4))]
    elif form == "asym":
        padding = [[int(v) for v in rng.integers(0, 4, 2)] for _ in range(2)]
    else:
        padding = form
    kw = dict(stride=_pair_or_int(rng, sh, sw), padding=padding, dilation=_pair_or_int(rng, dh, dw),
              groups=groups, padding_mode=mode)
    x = rng.standard_normal((n, groups * cin_g, h, wd)).astype(np.float32)
    w = rng.standard_normal((groups * cout_g, cin_g, kh, kw_)).astype(np.float32)
    b = rng.standard_normal(groups * cout_g).astype(np.float32) if bias else None
    try:
        xt, wt, bt, y = torch_conv(x, w, b, {**kw, "stride": (sh, sw), "dilation": (dh, dw)}, form)
    except (RuntimeError, ValueError):
        return False
    dy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(torch.tensor(dy, dtype=torch.float64))
    fx.add("conv", {"kwargs": kw, "form": form, "bias": bias, "big": big, "rejected": False},
           x=x, w=w, b=b, dy=dy, y=out32(y), dx=out32(xt.grad), dw=out32(wt.grad),
           db=out32(bt.grad) if bias else None)
    return True


def conv_cases(fx: Fixture, rng) -> None:
    stride1 = [g for g in GEOMETRIES if g[2] == g[3] == 1]
    # every (form, mode) pair several times, over all geometries
    for rep in range(8):
        for form in FORMS:
            for mode in MODES:
                pool = stride1 if form == "same" else GEOMETRIES
                for _ in range(20):       # redraw until torch accepts (reflect needs room)
                    geom = pool[int(rng.integers(len(pool)))]
                    if conv_case(fx, rng, geom, form=form, mode=mode, bias=bool(rep % 3)):
                        break
    # 'same' with even kernels (the extra row/column goes after), every mode
    for mode in MODES:
        for geom in ((2, 2, 1, 1, 1, 1, 2, 1), (4, 2, 1, 1, 1, 3, 1, 2), (2, 3, 1, 1, 2, 1, 1, 1)):
            while not conv_case(fx, rng, geom, form="same", mode=mode, batch=2):
                pass
    for geom in TILED:
        for form, mode in (("int", "zeros"), ("asym", "reflect"), ("same" if geom[2] == 1 else "pair", "circular")):
            while not conv_case(fx, rng, geom, form=form, mode=mode, big=True, batch=2, groups=2):
                pass


# every kind of configuration torch refuses: (label, x shape, w shape, bias size, kwargs)
REJECTED_CONV = [
    ("same-strided", (1, 1, 6, 6), (1, 1, 3, 3), 1, dict(stride=2, padding="same")),
    ("same-strided", (1, 2, 7, 5), (2, 2, 2, 2), 2, dict(stride=[1, 2], padding="same", padding_mode="reflect")),
    ("kernel-too-big", (1, 1, 3, 3), (1, 1, 5, 5), 1, dict(padding=0)),
    ("kernel-too-big", (2, 1, 6, 8), (1, 1, 3, 3), 1, dict(padding=0, dilation=3)),
    ("kernel-too-big", (1, 1, 4, 4), (1, 1, 3, 7), 1, dict(padding=[0, 1], padding_mode="replicate")),
    ("reflect-too-wide", (1, 1, 3, 3), (1, 1, 3, 3), 1, dict(padding=3, padding_mode="reflect")),
    ("reflect-too-wide", (1, 1, 3, 5), (1, 1, 1, 1), 1, dict(padding=[[0, 3], [0, 0]], padding_mode="reflect")),
    ("reflect-too-wide", (1, 1, 5, 2), (1, 1, 1, 3), 1, dict(padding=[0, 2], padding_mode="reflect")),
    ("circular-wraps-twice", (1, 1, 2, 2), (1, 1, 3, 3), 1, dict(padding=3, padding_mode="circular")),
    ("groups-divide-cin", (1, 3, 5, 5), (2, 1, 3, 3), 2, dict(groups=2)),
    ("groups-divide-cout", (1, 2, 5, 5), (3, 1, 3, 3), 3, dict(groups=2)),
    ("channel-mismatch", (1, 3, 5, 5), (2, 2, 3, 3), 2, dict()),
    ("bias-shape", (1, 1, 5, 5), (2, 1, 3, 3), 3, dict()),
    ("negative-padding", (1, 1, 5, 5), (1, 1, 3, 3), 1, dict(padding=-1)),
    ("non-positive-stride", (1, 1, 5, 5), (1, 1, 3, 3), 1, dict(stride=0)),
    ("non-positive-dilation", (1, 1, 5, 5), (1, 1, 3, 3), 1, dict(dilation=0)),
    ("groups-zero", (1, 1, 5, 5), (1, 1, 3, 3), 1, dict(groups=0)),
    ("unknown-mode", (1, 1, 5, 5), (1, 1, 3, 3), 1, dict(padding=1, padding_mode="mirror")),
]
REJECTED_POOL = [
    ("pool-padding-over-half", (1, 1, 6, 6), dict(kernel_size=2, padding=2)),
    ("pool-padding-over-half", (1, 2, 6, 6), dict(kernel_size=[3, 4], stride=1, padding=[1, 3])),
    ("pool-too-big", (1, 1, 3, 3), dict(kernel_size=4)),
    ("pool-too-big", (2, 1, 5, 2), dict(kernel_size=[2, 3], stride=[1, 2])),
    ("non-positive-stride", (1, 1, 4, 4), dict(kernel_size=2, stride=0)),
    ("pool-kernel-zero", (1, 1, 4, 4), dict(kernel_size=0)),
]


def _torch_error(fn) -> str | None:
    try:
        fn()
    except (RuntimeError, ValueError) as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def rejected_cases(fx: Fixture, rng) -> None:
    for label, xs, ws, nb, kw in REJECTED_CONV:
        kw = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "padding_mode": "zeros", **kw}
        x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (xs, ws, (nb,)))
        form = ("asym" if isinstance(kw["padding"], list) and isinstance(kw["padding"][0], list) else
                "pair" if isinstance(kw["padding"], list) else
                kw["padding"] if isinstance(kw["padding"], str) else "int")
        error = _torch_error(lambda: torch_conv(x, w, b, kw, form))
        assert error, f"torch accepted {label} {kw}"
        fx.add("conv", {"kwargs": kw, "form": form, "bias": True, "rejected": True, "label": label,
                        "torch_error": error}, x=x, w=w, b=b)
    for label, xs, kw in REJECTED_POOL:
        x = rng.standard_normal(xs).astype(np.float32)
        for op in ("avg", "max"):
            fn = getattr(F, f"{op}_pool2d")
            error = _torch_error(lambda: fn(t64(x), kw["kernel_size"], kw.get("stride"), kw.get("padding", 0)))
            assert error, f"torch accepted {op} {label} {kw}"
            fx.add("pool", {"op": op, "kwargs": kw, "rejected": True, "label": label, "torch_error": error}, x=x)


# ---------------------------------------------------------------- pooling and activations

def tied_windows(x: np.ndarray, y: np.ndarray, k, s, p) -> int:
    """How many max-pool windows hold their maximum more than once (torch picks the first)."""
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=-np.inf)
    count = 0
    for idx in np.ndindex(y.shape):
        n, c, i, j = idx
        win = xp[n, c, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
        count += int((win == y[idx]).sum() > 1)
    return count


def pool_cases(fx: Fixture, rng) -> None:
    made = {"avg": 0, "max": 0}
    while min(made.values()) < 40:
        op = "avg" if made["avg"] <= made["max"] else "max"
        k = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        s = None if rng.random() < 0.3 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        p = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        h, w = int(rng.integers(k[0], 10)), int(rng.integers(k[1], 10))
        ties = rng.random() < 0.6
        x = (rng.integers(-2, 3, (n, c, h, w)) if ties else rng.standard_normal((n, c, h, w))).astype(np.float32)
        kw = {"kernel_size": _pair_or_int(rng, *k), "stride": None if s is None else _pair_or_int(rng, *s),
              "padding": _pair_or_int(rng, *p)}
        xt = t64(x)
        fn = getattr(F, f"{op}_pool2d")
        args = (xt, k, s if s is not None else k, p)
        y = fn(*args, count_include_pad=True) if op == "avg" else fn(*args)
        dy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(torch.tensor(dy, dtype=torch.float64))
        info = {"op": op, "kwargs": kw, "rejected": False}
        if op == "max":
            info["tied_windows"] = tied_windows(x, y.detach().numpy(), k, s or k, p)
        fx.add("pool", info, x=x, dy=dy, y=out32(y), dx=out32(xt.grad))
        made[op] += 1


def activation_cases(fx: Fixture, rng) -> None:
    for name in ACTIVATIONS:
        slopes = [None, 0.2, 1.5] if name == "leaky_relu" else [None]
        for shape in ((1, 1, 5, 5), (2, 3, 4, 6), (1, 2, 7, 3)):
            for slope in slopes:
                z = (rng.standard_normal(shape) * 3).astype(np.float32)
                z.reshape(-1)[::7] = 0.0                          # σ′ at exactly 0 (ReLU: 0, as torch)
                z.reshape(-1)[3::11] = rng.choice([-30.0, 30.0])  # saturated sigmoid and tanh
                da = rng.standard_normal(shape).astype(np.float32)
                zt = t64(z)
                a = {"identity": lambda t: t * 1.0, "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                     "leaky_relu": lambda t: F.leaky_relu(t) if slope is None else F.leaky_relu(t, slope)}[name](zt)
                a.backward(torch.tensor(da, dtype=torch.float64))
                fx.add("act", {"name": name, "slope": slope, "rejected": False},
                       z=z, da=da, a=out32(a), dz=out32(zt.grad))


def main() -> None:
    if os.environ.get("PYTHONHASHSEED") != "0":    # torch's messages print sets: fix their order too
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    rng = np.random.default_rng(SEED)
    torch.manual_seed(SEED)
    fx = Fixture()
    conv_cases(fx, rng)
    pool_cases(fx, rng)
    activation_cases(fx, rng)
    rejected_cases(fx, rng)
    fx.save()
    kinds = {}
    for m in fx.meta:
        key = m["kind"] + (" rejected" if m["rejected"] else "")
        kinds[key] = kinds.get(key, 0) + 1
    print(f"{OUT}: {len(fx.meta)} cases {kinds}, {OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

"""Write tests/data/network_fixture.npz: PyTorch's loss and every block's P, dW, db and dX for
random stacked networks of 1 to 4 blocks (conv → activation → optional pooling, a loss at the end).

PyTorch is never a dependency of convviz; run this where torch is installed:

    /tmp/torchenv/bin/python tools/make_network_fixture.py

Torch alone decides every expected number: each block is drawn at random and kept only if
torch computes it on the previous block's output (nothing here uses convviz). The file holds
a JSON list of cases (``meta``: per block the BlockConfig fields, and the loss) and for case
``id`` the arrays ``id.x``, ``id.target``, ``id.<l>.w``, ``id.<l>.b`` (inputs, float32) and
``id.loss``, ``id.<l>.p``, ``id.<l>.dw``, ``id.<l>.db``, ``id.<l>.dx`` (computed in float64,
stored as float32). The seed is fixed: a second run writes the same file.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20261204
CASES = 24
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "network_fixture.npz"
ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh")
MODES = ("zeros", "zeros", "reflect", "replicate", "circular")


def draw_config(rng: np.random.Generator, cin: int) -> tuple[dict, tuple]:
    """A block's settings (BlockConfig fields) and its kernel shape, for ``cin`` input channels."""
    groups = int(rng.choice([g for g in (1, 2) if cin % g == 0]))
    cout = groups * int(rng.integers(1, 3))
    kh, kw = (int(k) for k in rng.integers(1, 4, 2))
    pool = str(rng.choice(["none", "max", "avg"]))
    cfg = {"stride": [int(s) for s in rng.integers(1, 3, 2)], "padding": [int(p) for p in rng.integers(0, 3, 2)],
           "dilation": [int(d) for d in rng.integers(1, 3, 2)], "groups": groups,
           "padding_mode": str(rng.choice(MODES)), "true_convolution": bool(rng.integers(0, 2)),
           "activation": str(rng.choice(ACTIVATIONS)), "slope": float(np.float32(rng.uniform(0.01, 0.3))),
           "pool": pool, "pool_kernel": [2, 2] if rng.integers(0, 2) else [3, 3], "pool_stride": None,
           "pool_padding": [0, 0]}
    if pool != "none" and cfg["pool_kernel"] == [3, 3]:
        cfg["pool_stride"], cfg["pool_padding"] = [2, 2], [1, 1]
    return cfg, (cout, cin // groups, kh, kw)


def block_forward(x, w, b, c: dict):
    ph, pw = c["padding"]
    w_eff = torch.flip(w, dims=(2, 3)) if c["true_convolution"] else w
    if c["padding_mode"] == "zeros":
        z = F.conv2d(x, w_eff, b, stride=tuple(c["stride"]), padding=(ph, pw), dilation=tuple(c["dilation"]),
                     groups=c["groups"])
    else:
        xp = F.pad(x, (pw, pw, ph, ph), mode=c["padding_mode"])
        z = F.conv2d(xp, w_eff, b, stride=tuple(c["stride"]), dilation=tuple(c["dilation"]), groups=c["groups"])
    act = c["activation"]
    a = {"identity": lambda t: t, "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
         "leaky_relu": lambda t: F.leaky_relu(t, c["slope"])}[act](z)
    if c["pool"] == "none":
        return a
    stride = tuple(c["pool_stride"] or c["pool_kernel"])
    if c["pool"] == "max":
        return F.max_pool2d(a, tuple(c["pool_kernel"]), stride, tuple(c["pool_padding"]))
    return F.avg_pool2d(a, tuple(c["pool_kernel"]), stride, tuple(c["pool_padding"]), count_include_pad=True)


def t64(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.asarray(a, np.float64), requires_grad=True)


def draw_case(rng: np.random.Generator):
    n, c, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(10, 19)), int(rng.integers(10, 19))
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    blocks, shape = [], x.shape
    for _ in range(int(rng.integers(1, 5))):
        for _attempt in range(50):
            cfg, w_shape = draw_config(rng, shape[1])
            wt = (rng.standard_normal(w_shape) / np.sqrt(np.prod(w_shape[1:]))).astype(np.float32)
            bias = rng.standard_normal(w_shape[0]).astype(np.float32) if rng.integers(0, 2) else None
            try:
                with torch.no_grad():
                    out = block_forward(torch.zeros(shape, dtype=torch.float64), torch.tensor(wt, dtype=torch.float64),
                                        None if bias is None else torch.tensor(bias, dtype=torch.float64), cfg)
            except RuntimeError:
                continue
            if min(out.shape[2:]) >= 2:
                blocks.append((cfg, wt, bias))
                shape = tuple(out.shape)
                break
    loss = str(rng.choice(["sum", "half_squared_error", "one_hot"]))
    target = rng.standard_normal(shape).astype(np.float32) if loss == "half_squared_error" else None
    cell = [int(rng.integers(0, s)) for s in shape] if loss == "one_hot" else [0, 0, 0, 0]
    return x, blocks, loss, target, cell


def main() -> None:
    rng = np.random.default_rng(SEED)
    meta, arrays = [], {}
    for k in range(CASES):
        x, blocks, loss, target, cell = draw_case(rng)
        cid = f"net-{k:02d}"
        xt = t64(x)
        params = [(t64(w), None if b is None else t64(b)) for _, w, b in blocks]
        outs, a = [], xt
        for (cfg, _, _), (wt, bt) in zip(blocks, params):
            a.retain_grad()
            outs.append(a)
            a = block_forward(a, wt, bt, cfg)
            a.retain_grad()
            outs.append(a)
        if loss == "sum":
            L = a.sum()
        elif loss == "one_hot":
            L = a[tuple(cell)]
        else:
            L = 0.5 * ((a - torch.tensor(target, dtype=torch.float64)) ** 2).sum()
        L.backward()
        meta.append({"id": cid, "loss": loss, "one_hot_cell": cell, "blocks": [cfg for cfg, _, _ in blocks]})
        arrays[f"{cid}.x"] = x
        arrays[f"{cid}.loss"] = np.float32(L.item())
        if target is not None:
            arrays[f"{cid}.target"] = target
        for l, ((cfg, w, b), (wt, bt)) in enumerate(zip(blocks, params)):
            arrays[f"{cid}.{l}.w"] = w
            if b is not None:
                arrays[f"{cid}.{l}.b"] = b
                arrays[f"{cid}.{l}.db"] = bt.grad.numpy().astype(np.float32)
            arrays[f"{cid}.{l}.dw"] = wt.grad.numpy().astype(np.float32)
            arrays[f"{cid}.{l}.dx"] = outs[2 * l].grad.numpy().astype(np.float32)
            arrays[f"{cid}.{l}.p"] = outs[2 * l + 1].detach().numpy().astype(np.float32)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8), **arrays)
    print(f"wrote {OUT} ({CASES} networks, {sum(len(m['blocks']) for m in meta)} blocks)")


if __name__ == "__main__":
    main()

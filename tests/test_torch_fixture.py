"""Both backends against PyTorch's own numbers, without PyTorch.

tests/data/torch_fixture.npz holds ~300 configurations with torch's inputs, outputs and
gradients, and the configurations torch refused (tools/make_torch_fixture.py writes it,
run where torch is installed). The cases of one kind run in one test per backend, so the
OpenCL engine builds each of the fixture's few kernel geometries once.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from convviz import ops
from tests.conftest import assert_close

FIXTURE = Path(__file__).parent / "data" / "torch_fixture.npz"


@lru_cache(maxsize=1)
def _load() -> tuple[list[dict], dict[str, np.ndarray]]:
    with np.load(FIXTURE, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    return json.loads(arrays.pop("meta").tobytes()), arrays


def _cases(kind: str, *, rejected: bool = False):
    meta, arrays = _load()
    for m in meta:
        if m["kind"] == kind and m["rejected"] == rejected:
            yield m, {k.split(".", 1)[1]: a for k, a in arrays.items() if k.startswith(m["id"] + ".")}


class Failures(list):
    """Collects every case that disagrees, so one test reports them all."""

    def check(self, cid: str, what: str, actual_fn, expected, terms: int) -> None:
        try:
            assert_close(actual_fn(), expected, terms=terms, what=f"{cid} {what}")
        except (AssertionError, ValueError) as exc:
            self.append(f"{cid} {what}: {type(exc).__name__}: {str(exc).splitlines()[0]}")

    def report(self) -> str:
        return f"{len(self)} disagreements with PyTorch:\n" + "\n".join(self[:25])


def test_conv2d_and_its_gradients_match_torch(backend):
    bad = Failures()
    n_cases = 0
    for m, a in _cases("conv"):
        n_cases += 1
        kw, cid = m["kwargs"], m["id"]
        x, w, b, dy = a["x"], a["w"], a.get("b"), a["dy"]
        bad.check(cid, "y", lambda: ops.conv2d(x, w, b, backend=backend, **kw), a["y"], int(np.prod(w.shape[1:])))
        grads = {}

        def backward():
            grads.update(zip(("dx", "dw", "db"), ops.conv2d_backward(x, w, dy, backend=backend, **kw)))
            return grads["dx"]

        bad.check(cid, "dx", backward, a["dx"], dy.size)
        if grads:
            bad.check(cid, "dw", lambda: grads["dw"], a["dw"], dy.size)
            if m["bias"]:
                bad.check(cid, "db", lambda: grads["db"], a["db"], dy.size)
    assert n_cases > 150
    assert not bad, bad.report()


def test_pooling_and_its_gradient_match_torch(backend):
    bad = Failures()
    for m, a in _cases("pool"):
        op, kw, cid = m["op"], m["kwargs"], m["id"]
        k = kw["kernel_size"] if isinstance(kw["kernel_size"], list) else [kw["kernel_size"]] * 2
        terms = k[0] * k[1]
        bad.check(cid, f"{op} y", lambda: getattr(ops, f"{op}_pool2d")(a["x"], backend=backend, **kw), a["y"], terms)
        backward = getattr(ops, f"{op}_pool2d_backward")
        bad.check(cid, f"{op} dx", lambda: backward(a["x"], a["dy"], backend=backend, **kw), a["dx"], terms)
    assert not bad, bad.report()


def test_activations_and_their_gates_match_torch(backend):
    bad = Failures()
    for m, a in _cases("act"):
        slope = {} if m["slope"] is None else {"slope": m["slope"]}      # None: convviz's default against torch's
        cid = f"{m['id']} {m['name']}"
        bad.check(cid, "a", lambda: ops.activation(a["z"], m["name"], backend=backend, **slope), a["a"], 1)
        bad.check(cid, "dz", lambda: ops.activation_backward(a["z"], a["da"], m["name"], backend=backend, **slope),
                  a["dz"], 1)
    assert not bad, bad.report()


def _raises(fn) -> str | None:
    try:
        fn()
    except ValueError as exc:
        return str(exc)
    return None


def test_what_torch_rejects_raises_a_value_error(backend):
    bad = []
    for m, a in _cases("conv", rejected=True):
        kw, x, w = m["kwargs"], a["x"], a["w"]
        msg = _raises(lambda: ops.conv2d(x, w, a["b"], backend=backend, **kw))
        if msg is None:
            bad.append(f"{m['id']} {m['label']}: conv2d accepted what torch refused ({m['torch_error']})")
        elif m["label"] != "bias-shape":         # the backward takes no bias: every other refusal is the same
            back = _raises(lambda: ops.conv2d_backward(x, w, np.zeros((1, 1, 1, 1)), backend=backend, **kw))
            if back != msg:
                bad.append(f"{m['id']} {m['label']}: conv2d_backward said {back!r}, conv2d said {msg!r}")
    for m, a in _cases("pool", rejected=True):
        op, kw = m["op"], m["kwargs"]
        msg = _raises(lambda: getattr(ops, f"{op}_pool2d")(a["x"], backend=backend, **kw))
        back = _raises(lambda: getattr(ops, f"{op}_pool2d_backward")(a["x"], np.zeros((1, 1, 1, 1)),
                                                                      backend=backend, **kw))
        if msg is None or back != msg:
            bad.append(f"{m['id']} {m['label']}: {op}_pool2d said {msg!r}, its backward {back!r} "
                       f"(torch: {m['torch_error']})")
    assert not bad, "\n".join(bad)


def _pair(v) -> tuple[int, int]:
    return tuple(v) if isinstance(v, list) else (v, v)


def test_the_fixture_covers_every_option():
    meta, arrays = _load()
    conv = [m for m in meta if m["kind"] == "conv" and not m["rejected"]]
    pool = [m for m in meta if m["kind"] == "pool" and not m["rejected"]]
    act = [m for m in meta if m["kind"] == "act"]
    shape = {m["id"]: arrays[m["id"] + ".x"].shape for m in conv + pool}

    seen = {(m["form"], m["kwargs"]["padding_mode"]) for m in conv}
    want = {(f, mode) for f in ("int", "pair", "asym", "same", "valid")
            for mode in ("zeros", "reflect", "replicate", "circular")}
    assert want <= seen, f"missing padding form × mode: {sorted(want - seen)}"
    for form, ok in (("int", lambda p: isinstance(p, int)), ("pair", lambda p: len(p) == 2 and isinstance(p[0], int)),
                     ("asym", lambda p: isinstance(p[0], list)), ("same", lambda p: p == "same"),
                     ("valid", lambda p: p == "valid")):
        assert all(ok(m["kwargs"]["padding"]) for m in conv if m["form"] == form), form

    def any_conv(pred):
        return any(pred(m, arrays[m["id"] + ".w"].shape) for m in conv)

    assert any_conv(lambda m, ws: max(_pair(m["kwargs"]["stride"])) > 1)
    assert any_conv(lambda m, ws: max(_pair(m["kwargs"]["dilation"])) > 1)
    assert any_conv(lambda m, ws: isinstance(m["kwargs"]["stride"], int)) and any_conv(
        lambda m, ws: isinstance(m["kwargs"]["stride"], list))
    assert any_conv(lambda m, ws: m["kwargs"]["groups"] > 1)
    assert any_conv(lambda m, ws: shape[m["id"]][0] > 1)
    assert any_conv(lambda m, ws: m["bias"]) and any_conv(lambda m, ws: not m["bias"])
    assert any_conv(lambda m, ws: m["big"])                # the engine's tiled kernels, not only the direct ones
    for mode in ("zeros", "reflect", "replicate", "circular"):   # 'same' with an odd total: one extra after
        assert any_conv(lambda m, ws: m["form"] == "same" and m["kwargs"]["padding_mode"] == mode and any(
            d * (k - 1) % 2 for d, k in zip(_pair(m["kwargs"]["dilation"]), ws[2:]))), mode

    for op in ("avg", "max"):
        mine = [m for m in pool if m["op"] == op]
        assert any(m["kwargs"]["stride"] is None for m in mine), op
        assert any(m["kwargs"]["stride"] is not None
                   and _pair(m["kwargs"]["stride"]) != _pair(m["kwargs"]["kernel_size"]) for m in mine), op
        assert any(max(_pair(m["kwargs"]["padding"])) > 0 for m in mine), op
        assert any(shape[m["id"]][0] > 1 for m in mine), op
    assert sum(m.get("tied_windows", 0) for m in pool) > 20, "max pooling needs windows with tied maxima"

    names = {m["name"] for m in act}
    assert names == {"identity", "relu", "leaky_relu", "sigmoid", "tanh"}, f"activations: {sorted(names)}"
    assert any(m["name"] == "leaky_relu" and m["slope"] not in (None, 0.01) for m in act)
    assert all((arrays[m["id"] + ".z"] == 0).any() for m in act), "σ′ at exactly 0 (ReLU's kink)"

    labels = {m["label"] for m in meta if m["rejected"]}
    refusals = {"same-strided", "kernel-too-big", "reflect-too-wide", "circular-wraps-twice", "groups-divide-cin",
                "groups-divide-cout", "channel-mismatch", "negative-padding", "non-positive-stride",
                "non-positive-dilation", "pool-padding-over-half", "pool-too-big"}
    assert refusals <= labels, f"missing refusals: {sorted(refusals - labels)}"
    assert all(m["torch_error"] for m in meta if m["rejected"])
    assert len(meta) >= 280

"""Subtotals: each channel's or sample's share, checked against the definition summed by
hand and against the reference; they add up to the value."""
import numpy as np
import pytest

from convviz.core import reference, subtotals
from convviz.core.geometry import ConvSpec

from .test_three_ways import random_case


def test_the_issue_example_by_hand():
    """Cin 2 → Cout 1, 1×1 kernel: Z = 2·3 + (−1)·4 = 6 − 4; dX[c] = dZ·W[c]; batch of 2 for dW."""
    spec = ConvSpec((1, 1))
    x = np.array([[[[2.0]], [[-1.0]]], [[[5.0]], [[1.0]]]], np.float32)      # (2, 2, 1, 1)
    w = np.array([[[[3.0]], [[4.0]]]], np.float32)                          # (1, 2, 1, 1)
    sub = subtotals.forward(spec, reference.pad(x, spec), w, (1, 1), (0, 0, 0, 0))
    assert [(s.axis, s.index, s.value) for s in sub] == [("c", 0, 6.0), ("c", 1, -4.0)]
    dz = np.array([[[[2.0]]], [[[-1.0]]]], np.float32)                       # (2, 1, 1, 1)
    assert [s.value for s in subtotals.dx(spec, w, dz, (1, 1), (0, 1, 0, 0))] == [8.0]
    # dW[0,0] = Σ_n X[n,0]·dZ[n,0] = 2·2 + 5·(−1): sample 0 gives 4, sample 1 gives −5
    assert [(s.index, s.value) for s in subtotals.dw(spec, w.shape, x, dz, (0, 0, 0, 0))] == [(0, 4.0), (1, -5.0)]
    assert [(s.index, s.value) for s in subtotals.db(dz, 0)] == [(0, 2.0), (1, -1.0)]
    line = subtotals.formula("Z[0,0,0,0]", sub, 2.0, lambda v: f"({v:g})" if v < 0 else f"{v:g}")
    assert line == "Z[0,0,0,0] = [c=0] 6 + [c=1] (-4) = 2"


@pytest.mark.parametrize("seed", range(25))
def test_subtotals_add_up_and_each_is_its_own_channel(seed):
    rng, spec, x, w, dz = random_case(seed)
    hw = x.shape[2:]
    x_pad = reference.pad(x, spec)
    z = reference.conv2d(x, w, None, spec)
    dx, dw, db = reference.conv2d_backward(x, w, dz, spec)
    cell = tuple(int(rng.integers(0, n)) for n in z.shape)
    sub = subtotals.forward(spec, x_pad, w, hw, cell)
    assert sum(s.value for s in sub) == pytest.approx(float(z[cell]), abs=1e-4)
    n, q = cell[:2]
    for s in sub:       # a channel's subtotal is Z of that channel alone: zero the others
        only = np.zeros_like(x_pad)
        only[:, s.index] = x_pad[:, s.index]
        alone = reference.conv2d(only, w, None, ConvSpec(spec.kernel, spec.stride, (0, 0, 0, 0), spec.dilation,
                                                         spec.groups))
        assert s.value == pytest.approx(float(alone[cell]), abs=1e-4)
    xc = tuple(int(rng.integers(0, k)) for k in x.shape)
    subs = subtotals.dx(spec, w, dz, hw, xc)
    assert sum(s.value for s in subs) == pytest.approx(float(dx[xc]), abs=1e-4)
    for s in subs:      # dZ of that output channel alone
        only = np.zeros_like(dz)
        only[:, s.index] = dz[:, s.index]
        assert s.value == pytest.approx(float(reference.conv2d_backward(x, w, only, spec)[0][xc]), abs=1e-4)
    tap = tuple(int(rng.integers(0, k)) for k in w.shape)
    subw = subtotals.dw(spec, w.shape, x_pad, dz, tap)
    assert sum(s.value for s in subw) == pytest.approx(float(dw[tap]), abs=1e-3)
    for s in subw:      # that sample alone
        assert s.value == pytest.approx(float(reference.conv2d_backward(
            x[s.index:s.index + 1], w, dz[s.index:s.index + 1], spec)[1][tap]), abs=1e-3)
    assert sum(s.value for s in subtotals.db(dz, q)) == pytest.approx(float(db[q]), abs=1e-4)


def test_a_steps_split_matches_the_definition_per_sample_and_channel():
    """subtotals.of_step on the dW and forward steps of the issue's hand example (batch 2, Cin 2)."""
    from convviz.core.paths.model import StepModel
    from convviz.core.pipeline import BlockConfig
    from convviz.core.scene import Scene

    x = np.array([[[[2.0]], [[-1.0]]], [[[5.0]], [[1.0]]]], np.float32)      # (2, 2, 1, 1)
    w = np.array([[[[3.0]], [[4.0]]]], np.float32)                          # (1, 2, 1, 1)
    scene = Scene(x, w, None, config=BlockConfig(padding=(0, 0), pool="none", activation="identity", loss="sum"))
    model = StepModel(scene.pipeline("numpy"))
    z_step = model.path("forward").stages[1].step(0)                      # Z[0,0,0,0] = 2·3 + (−1)·4
    split = subtotals.of_step(z_step)
    assert [(s.index, s.value) for s in split.subtotals] == [(0, 6.0), (1, -4.0)]
    assert {k: v.tolist() for k, v in split.cells.items()} == {0: [[0, 0, 0, 0]], 1: [[0, 1, 0, 0]]}
    dw_step = model.path("dw").stages[0].step(0)                           # dW[0,0,0,0] = Σ_n X[n,0]·dZ[n,0]
    split = subtotals.of_step(dw_step)
    assert split.axis == "n" and [(s.index, s.value) for s in split.subtotals] == [(0, 2.0), (1, 5.0)]
    assert split.plane(1, 0) == (1, 0)
    assert subtotals.of_step(model.path("activation").stages[0].step(0)) is None

"""One value three ways: every view adds up to the reference value, and every factor
is read from the cell it names in the tensor the path shows."""
import numpy as np
import pytest

from convviz.core import reference
from convviz.core.geometry import ConvSpec, gather_pads
from convviz.core.three_ways import dw_three_ways, dx_three_ways, flipped_tap


def random_case(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    cin_g, cout_g = (int(v) for v in rng.integers(1, 3, 2))
    k = tuple(int(v) for v in rng.integers(1, 4, 2))
    s = tuple(int(v) for v in rng.integers(1, 4, 2))
    d = tuple(int(v) for v in rng.integers(1, 3, 2))
    mode = str(rng.choice(["zeros", "zeros", "reflect", "circular", "replicate"]))
    hw = tuple(int(d_ * (k_ - 1) + 1 + rng.integers(0, 5)) for k_, d_ in zip(k, d))
    pmax = [min(2, h - 1) if mode != "zeros" else 2 for h in hw]
    pad = (int(rng.integers(0, pmax[0] + 1)), int(rng.integers(0, pmax[0] + 1)),
           int(rng.integers(0, pmax[1] + 1)), int(rng.integers(0, pmax[1] + 1)))
    spec = ConvSpec(k, s, pad, d, groups, mode)
    x = rng.integers(-3, 4, (2, cin_g * groups) + hw).astype(np.float32)
    w = rng.integers(-3, 4, (cout_g * groups, cin_g) + k).astype(np.float32)
    out_hw = spec.output_size(hw)
    dz = rng.integers(-3, 4, (2, cout_g * groups) + out_hw).astype(np.float32)
    return rng, spec, x, w, dz


@pytest.mark.parametrize("seed", range(30))
def test_dx_three_ways_add_up(seed):
    rng, spec, x, w, dz = random_case(seed)
    hw = x.shape[2:]
    dx, dw, _ = reference.conv2d_backward(x, w, dz, spec)
    dz_pad = reference.pad_or_crop(reference.insert_zeros(dz, spec.stride), gather_pads(spec, hw, dz.shape[2:]))
    w_flip = reference.flip_kernel(w, spec.groups)
    for _ in range(5):
        cell = tuple(int(rng.integers(0, n)) for n in x.shape)
        tw = dx_three_ways(spec, w, dz, hw, cell)
        assert tw.gathered == pytest.approx(float(dx[cell]), abs=1e-4)
        assert tw.stamped == pytest.approx(float(dx[cell]), abs=1e-4)
        assert tw.jt_dot(dz) == pytest.approx(float(dx[cell]), abs=1e-4)
        for p in tw.gather:
            assert dz_pad[p.a_cell] == p.a            # the dZ_pad cell the gather path shows
            assert w_flip[p.b_cell] == p.b            # the W′ cell, group offset included
            assert p.b_cell[0] == cell[1]             # W′[c, …]: the row of the cell's own channel
        for a, b in zip(tw.stamps, tw.stamps[1:]):
            assert b.before == a.after and a.dz_cell <= b.dz_cell


def test_jt_row_is_the_jacobian_column():
    """∂Z/∂X[cell] by the definition: Z of a unit impulse at the cell."""
    _, spec, x, w, dz = random_case(3)
    cell = (0, 0, 1, 1)
    impulse = np.zeros_like(x[:1])
    impulse[cell] = 1
    z = reference.conv2d(impulse, w, None, spec)
    tw = dx_three_ways(spec, w, dz, x.shape[2:], cell)
    got = np.zeros_like(z)
    for c, v in tw.jt_row.items():
        got[c] = v
    np.testing.assert_allclose(got, z, atol=1e-6)


def test_flipped_tap_matches_flip_kernel():
    w = np.arange(4 * 3 * 2 * 3, dtype=np.float32).reshape(4, 3, 2, 3)
    wf = reference.flip_kernel(w, 2)               # groups 2: Cout_g 2, Cin_g 3 -> W′ (6, 2, 2, 3)
    for tap in np.ndindex(w.shape):
        assert wf[flipped_tap(w.shape, 2, tap)] == w[tap]
    # by hand: W[3, 1, 0, 2] is in group 1: W′[1·3 + 1, 3 − 2, 1, 0]
    assert flipped_tap(w.shape, 2, (3, 1, 0, 2)) == (4, 1, 1, 0)


@pytest.mark.parametrize("seed", range(30))
def test_dw_three_ways_add_up(seed):
    rng, spec, x, w, dz = random_case(seed)
    _, dw, _ = reference.conv2d_backward(x, w, dz, spec)
    x_pad = reference.pad(x, spec)
    dz_up = reference.insert_zeros(dz, spec.stride)
    cols = reference.im2col(x, spec)
    g, cout_g = spec.groups, w.shape[0] // spec.groups
    dz_row = dz.transpose(1, 0, 2, 3).reshape(g, cout_g, -1)
    tap = tuple(int(rng.integers(0, n)) for n in w.shape)
    views = dw_three_ways(spec, w.shape, x_pad, dz, tap)
    for name, prods in views.items():
        assert sum(p.value for p in prods) == pytest.approx(float(dw[tap]), abs=1e-3), name
    for p in views["shift"]:
        assert x_pad[p.a_cell] == p.a and dz[p.b_cell] == p.b
    for p in views["correlation"]:
        assert dz_up[p.b_cell] == p.b
    for p in views["im2col"]:
        assert dz_row[p.a_cell] == p.a and cols[p.b_cell] == p.b

"""core/geometry.py: hand-worked index maps, and the receptive fields links.py answers
hover with, checked against what the numpy reference's arithmetic actually touches."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from convviz.compute import engine
from convviz.core import geometry, links, reference, spec
from convviz.core.geometry import (ConvSpec, PoolSpec, gather_pads, insert_zeros_index, pad_index,
                                   read_by, reads)
from convviz.core.paths import roles
from convviz.core.spec import check_conv, check_pool


def test_the_old_homes_still_export_the_moved_names():
    assert spec.ConvSpec is ConvSpec and spec.PoolSpec is PoolSpec
    assert spec.pad_index is pad_index and spec.output_length is geometry.output_length
    assert spec.PADDING_MODES is geometry.PADDING_MODES
    assert reference.gather_pads is gather_pads and "gather_pads" in reference.__all__
    assert engine.insert_zeros_index is insert_zeros_index


def test_reads_and_read_by_by_hand():
    # output 2 of a 3-tap kernel, stride 2, dilation 2: 2·2 + 2·m for m = 0, 1, 2
    assert reads(2, 3, 2, 2) == [4, 6, 8]
    # padded position 6 with 4 outputs: 6 = 2·3 + 2·0 = 2·2 + 2·1 = 2·1 + 2·2
    assert read_by(6, 3, 2, 2, 4) == [(3, 0), (2, 1), (1, 2)]
    assert read_by(6, 3, 2, 2, 3) == [(2, 1), (1, 2)]          # output 3 does not exist
    assert read_by(5, 3, 2, 2, 4) == []                         # odd: no tap lands there


@given(k=st.integers(1, 4), s=st.integers(1, 3), d=st.integers(1, 3), out=st.integers(1, 6))
def test_read_by_inverts_reads(k, s, d, out):
    for p in range(s * (out - 1) + d * (k - 1) + 2):
        expected = [(o, m) for m in range(k) for o in range(out) if s * o + d * m == p]
        assert read_by(p, k, s, d, out) == expected


def test_insert_zeros_index_by_hand():
    assert insert_zeros_index(3, 2).tolist() == [0, -1, 1, -1, 2]
    assert insert_zeros_index(3, 2, 1, 2).tolist() == [-1, 0, -1, 1, -1, 2, -1, -1]
    assert insert_zeros_index(3, 1, -1, 0).tolist() == [1, 2]          # negative padding crops


def test_gather_pads_by_hand():
    # 6 wide, k 3, s 2, p 1: padded 8, 3 outputs; 3 outputs with 1 zero between are 5 wide;
    # d(k−1)−p = 1 before, and 1 + the one padded column no window reached after: 5 + 1 + 2 − 2 = 6
    s = ConvSpec((3, 3), (2, 2), (1, 1, 1, 1))
    assert gather_pads(s, (6, 6), (3, 3)) == (1, 2, 1, 2)
    assert gather_pads(s, (5, 5), (3, 3)) == (1, 1, 1, 1)


CONFIGS = [dict(stride=1, padding=1, dilation=1, groups=1, padding_mode="zeros"),
           dict(stride=2, padding=(2, 1), dilation=2, groups=1, padding_mode="zeros"),
           dict(stride=(1, 2), padding=2, dilation=1, groups=2, padding_mode="reflect"),
           dict(stride=2, padding=1, dilation=(2, 1), groups=1, padding_mode="circular"),
           dict(stride=1, padding=((2, 0), (0, 1)), dilation=1, groups=2, padding_mode="replicate")]


def _case(cfg):
    x = np.zeros((2, 4, 6, 7), np.float32)
    w = np.ones((4, 4 // cfg["groups"], 3, 2), np.float32)      # positive: contributions never cancel
    x, w, _, s = check_conv(x, w, None, cfg)
    return x, w, s


@pytest.mark.parametrize("cfg", CONFIGS)
def test_receptive_field_is_what_the_gradient_reaches(cfg):
    x, w, s = _case(cfg)
    out_hw = s.output_size(x.shape[2:])
    for cell in [(0, 0, 0, 0), (1, 3, out_hw[0] - 1, out_hw[1] - 1), (1, 1, out_hw[0] // 2, 0)]:
        dy = np.zeros((2, 4) + out_hw, np.float32)
        dy[cell] = 1
        dx, _, _ = reference.conv2d_backward(x, w, dy, s)
        touched = sorted(tuple(int(v) for v in c) for c in np.argwhere(dx != 0))
        assert links.receptive_field(s, w.shape, x.shape[2:], cell)[roles.X] == touched


@pytest.mark.parametrize("cfg", CONFIGS)
def test_influence_is_what_a_changed_input_changes(cfg):
    x, w, s = _case(cfg)
    out_hw = s.output_size(x.shape[2:])
    for cell in [(0, 0, 0, 0), (1, 3, 5, 6), (0, 2, 3, 1)]:
        one = x.copy()
        one[cell] = 1
        z = reference.conv2d(one, w, None, s)
        touched = sorted(tuple(int(v) for v in c) for c in np.argwhere(z != 0))
        assert links.influence(s, w.shape, x.shape[2:], out_hw, cell)[roles.Z] == touched


@pytest.mark.parametrize("kernel,stride,padding", [((2, 2), None, (0, 0)), ((3, 2), (2, 1), (1, 1)),
                                                   ((3, 3), (1, 2), (1, 0))])
def test_pool_links_are_what_average_pooling_touches(kernel, stride, padding):
    a, ps = check_pool(np.zeros((1, 2, 7, 6)), kernel, stride, padding)
    p_shape = (1, 2) + ps.output_size(a.shape[2:])
    for i in range(p_shape[2]):
        for j in range(p_shape[3]):
            dy = np.zeros(p_shape, np.float32)
            dy[0, 1, i, j] = 1
            da = reference.avg_pool2d_backward(a.shape, dy, ps)
            expected = sorted(tuple(int(v) for v in c) for c in np.argwhere(da != 0))
            assert sorted(links.pool_window(ps, a.shape, (0, 1, i, j))) == expected
    for y in range(a.shape[2]):
        for x in range(a.shape[3]):
            one = a.copy()
            one[0, 1, y, x] = 1
            p = reference.avg_pool2d(one, ps)
            expected = sorted(tuple(int(v) for v in c) for c in np.argwhere(p != 0))
            assert links.pool_targets(ps, a.shape, p_shape, (0, 1, y, x)) == expected


@pytest.mark.parametrize("cfg", CONFIGS)
def test_tap_support_sums_to_the_kernel_gradient(cfg, rng):
    x, w, s = _case(cfg)
    x = rng.standard_normal(x.shape).astype(np.float32)
    dz = rng.standard_normal((2, 4) + s.output_size(x.shape[2:])).astype(np.float32)
    _, dw, _ = reference.conv2d_backward(x, w, dz, s)
    xp = reference.pad(x, s).astype(np.float64)
    for tap in [(0, 0, 0, 0), (3, w.shape[1] - 1, 2, 1), (1, 0, 1, 0)]:
        xs, dzs = links.tap_support_arrays(s, w.shape, dz.shape, tap)
        total = float(np.sum(xp[tuple(xs.T)] * dz[tuple(dzs.T)]))
        assert abs(total - dw[tap]) <= 1e-4 * max(1.0, abs(float(dw[tap])))

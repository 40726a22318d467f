"""The kinds of zero, checked against layouts worked out by hand and against the definition."""
import numpy as np
import pytest

from convviz.core import reference
from convviz.core.geometry import ConvSpec
from convviz.core.zeros import (COPY, INSERTED, PADDING, UNREACHED, VALUE, ZERO, dx_kinds, dz_pad_kinds,
                                pad_derivation, unreached_reason, x_pad_kinds)

P, V, I, U = PADDING, VALUE, INSERTED, UNREACHED


def spec1d(k, s, p, d, mode="zeros"):
    return ConvSpec((k, 1), (s, 1), (p, p, 0, 0), (d, 1), 1, mode)


def out_h(spec, h):
    return spec.output_size((h, 1))


def rows(kinds):
    return list(kinds[:, 0])


def test_stride_2_padding_1_reaches_every_row():
    # X 5, k 3, s 2, p 1: Z has 3 rows; windows read padded rows 0-2, 2-4, 4-6; nothing left over
    spec = spec1d(3, 2, 1, 1)
    o = out_h(spec, 5)
    assert o == (3, 1)
    assert rows(x_pad_kinds(spec, (5, 1), o)) == [P, V, V, V, V, V, P]
    assert rows(dz_pad_kinds(spec, (5, 1), o)) == [P, V, I, V, I, V, P]
    assert rows(dx_kinds(spec, (5, 1), o)) == [V] * 5


def test_trailing_row_never_reached():
    # X 6, k 3, s 2, p 0: windows read rows 0-2 and 2-4; row 5 is left over (a = 1)
    spec = spec1d(3, 2, 0, 1)
    o = out_h(spec, 6)
    assert o == (2, 1)
    assert rows(x_pad_kinds(spec, (6, 1), o)) == [V, V, V, V, V, U]
    # dZ_pad: 2 padding, dZ, inserted, dZ, 2 padding, then the leftover row: 8 = 6 + 3 − 1 rows
    assert rows(dz_pad_kinds(spec, (6, 1), o)) == [P, P, V, I, V, P, P, U]
    assert rows(dx_kinds(spec, (6, 1), o)) == [V, V, V, V, V, U]
    assert "after the last window" in unreached_reason(spec, (6, 1), o, 0, 5)
    assert "leaves 1" in unreached_reason(spec, (6, 1), o, 0, 5)
    assert unreached_reason(spec, (6, 1), o, 0, 4) is None
    lines = pad_derivation(spec, (6, 1), o)
    assert lines[0].startswith("top = d(k−1) − p = 1·(3−1) − 0 = 2")
    assert lines[1].startswith("bottom = d(k−1) − p + a = 1·(3−1) − 0 + 1 = 3")
    assert "a = 6 − ((2−1)·2 + 1·(3−1) + 1) = 1" in lines[1]


def test_interior_rows_when_the_stride_is_longer_than_the_kernel():
    # X 7, k 2, s 3: windows read rows 0-1 and 3-4; 2, 5 and 6 are never reached
    spec = spec1d(2, 3, 0, 1)
    o = out_h(spec, 7)
    assert rows(dx_kinds(spec, (7, 1), o)) == [V, V, U, V, V, U, U]
    assert "between two windows" in unreached_reason(spec, (7, 1), o, 0, 2)
    assert "after the last window" in unreached_reason(spec, (7, 1), o, 0, 6)


def test_every_other_row_with_stride_2_dilation_2_padding_1():
    # padded 7 rows, taps at 0,2 / 2,4 / 4,6: odd padded rows, i.e. X rows 0, 2, 4, are never read
    spec = spec1d(2, 2, 1, 2)
    o = out_h(spec, 5)
    assert rows(dx_kinds(spec, (5, 1), o)) == [U, V, U, V, U]
    assert "between the taps" in unreached_reason(spec, (5, 1), o, 0, 2)


def test_real_zeros_and_copies():
    spec = ConvSpec((3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, "reflect")
    x = np.ones((1, 1, 4, 4), np.float32)
    x[0, 0, 1, 2] = 0
    xp = reference.pad(x, spec)
    kinds = x_pad_kinds(spec, (4, 4), spec.output_size((4, 4)), xp)
    assert kinds.shape == xp.shape
    assert kinds[0, 0, 0, 0] == COPY and kinds[0, 0, 2, 3] == ZERO and kinds[0, 0, 1, 1] == VALUE


@pytest.mark.parametrize("seed", range(40))
def test_kinds_agree_with_the_definition(seed):
    """Random configurations: a dX cell is 'never reached' exactly when no term of the
    definition reads it, and dZ_pad's value cells are exactly where
    the zero-inserted, padded dZ holds dZ's cells."""
    rng = np.random.default_rng(seed)
    k, s, d = (int(v) for v in rng.integers(1, 4, 3))
    h = int(rng.integers(d * (k - 1) + 1, 12))
    p = int(rng.integers(0, 3))
    spec = ConvSpec((k, 1), (s, 1), (p, p, 0, 0), (d, 1), 1, "zeros")
    o = spec.output_size((h, 1))
    reads = np.zeros(h, int)              # the definition: Z[i] reads X[s·i + d·m − p]
    for i in range(o[0]):
        for m in range(k):
            if 0 <= s * i + d * m - p < h:
                reads[s * i + d * m - p] += 1
    assert list(dx_kinds(spec, (h, 1), o)[:, 0] == UNREACHED) == list(reads == 0)
    dz = np.arange(1, o[0] + 1, dtype=np.float32).reshape(1, 1, o[0], 1)
    from convviz.core.geometry import gather_pads
    dz_pad = reference.pad_or_crop(reference.insert_zeros(dz, spec.stride), gather_pads(spec, (h, 1), o))
    kinds = dz_pad_kinds(spec, (h, 1), o)
    assert kinds.shape == dz_pad.shape[2:]
    assert list(kinds[:, 0] == VALUE) == list(dz_pad[0, 0, :, 0] != 0)

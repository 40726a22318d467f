"""Predict-mode questions: answers from the definition, scores that can say wrong."""
import numpy as np

from convviz.core import predict, reference
from convviz.core.geometry import ConvSpec


def test_with_stride_2_a_cell_is_reached_by_one_dz_cell_or_none():
    # X 6 (1-D), k 1, s 2: Z[i] = W·X[2i]; X rows 0, 2, 4 are reached by Z 0, 1, 2; odd rows by none
    spec = ConvSpec((1, 1), (2, 1))
    w = np.ones((1, 1, 1, 1), np.float32)
    dz = np.ones((1, 1, 3, 1), np.float32)
    q = predict.reaching_dz(spec, w, dz, (6, 1), (0, 0, 2, 0))
    assert q.answer == {(0, 0, 1, 0)}
    q_none = predict.reaching_dz(spec, w, dz, (6, 1), (0, 0, 3, 0))
    assert q_none.answer == frozenset()
    assert predict.score(q_none, []).correct
    assert "no cell" in predict.score(q_none, []).message
    s = predict.score(q, [(0, 0, 1, 0), (0, 0, 2, 0)])
    assert not s.correct and s.extra == {(0, 0, 2, 0)} and "1 that do not belong" in s.message
    assert not predict.score(q, []).correct


def test_reaching_cells_by_definition():
    """Z[i,j] reaches X[y,x] iff some tap reads it: s·i + d·m − p = y (and the same for columns)."""
    spec = ConvSpec((3, 2), (2, 1), (1, 1, 0, 0), (1, 2))
    hw = (7, 5)
    oh, ow = spec.output_size(hw)
    w = np.ones((1, 1, 3, 2), np.float32)
    dz = np.ones((1, 1, oh, ow), np.float32)
    for y in range(hw[0]):
        for x in range(hw[1]):
            expect = {(0, 0, i, j) for i in range(oh) for j in range(ow)
                      if any(2 * i + m - 1 == y for m in range(3)) and any(j + 2 * n == x for n in range(2))}
            assert predict.reaching_dz(spec, w, dz, hw, (0, 0, y, x)).answer == expect


def test_window_values_are_the_nonstructural_cells_of_dz_pad():
    spec = ConvSpec((3, 3), (2, 2), (1, 1, 1, 1))
    hw = (6, 6)
    dz = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)         # no real zeros
    w = np.ones((1, 1, 3, 3), np.float32)
    from convviz.core.geometry import gather_pads
    dz_pad = reference.pad_or_crop(reference.insert_zeros(dz, spec.stride), gather_pads(spec, hw, (3, 3)))
    for y in range(6):
        for x in range(6):
            q = predict.window_values(spec, w, dz, hw, (0, 0, y, x))
            window = {(0, 0, y + m, x + n) for m in range(3) for n in range(3)}
            assert q.answer == {c for c in window if dz_pad[c] != 0}


def test_sign():
    q = predict.sign_of(-2.0, 3.0, "dZ[0]", "W[1]")
    assert q.sign == -1 and predict.score(q, -1).correct and not predict.score(q, 1).correct
    assert predict.sign_of(0.0, 5.0, "a", "b").sign == 0

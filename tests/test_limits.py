"""Sizes convviz cannot compute are ValueErrors raised on the shapes, before any allocation.

Huge inputs are zero-copy broadcast views: a check that converted them first would try
to allocate gigabytes, so these tests also show that the checks come first.
"""
from __future__ import annotations

import numpy as np
import pytest

from convviz import ops
from convviz.core import spec as S



def huge(*shape):
    """An array of ones of any shape that takes no memory (a broadcast view)."""
    return np.broadcast_to(np.float32(1), shape)


X8 = np.ones((1, 1, 8, 8), np.float32)
W3 = np.ones((1, 1, 3, 3), np.float32)


@pytest.mark.parametrize("call,message", [
    (lambda b: ops.max_pool2d(X8, 2, stride=2 ** 31, backend=b), r"pool stride \(2147483648, 2147483648\)"),
    (lambda b: ops.avg_pool2d(X8, 2 ** 32, padding=2 ** 31, backend=b), r"pool window"),
    (lambda b: ops.conv2d(X8, W3, stride=2 ** 31, backend=b), r"stride \(2147483648, 2147483648\)"),
    (lambda b: ops.conv2d(X8, W3, dilation=(1, 2 ** 31), backend=b), r"dilation \(1, 2147483648\)"),
    (lambda b: ops.conv2d(X8, W3, padding=((0, 2 ** 31), (0, 0)), backend=b), r"padding \(0, 2147483648, 0, 0\)"),
], ids=["pool stride", "pool window", "stride", "dilation", "padding"])
def test_parameters_beyond_int32_are_value_errors(backend, call, message):
    with pytest.raises(ValueError, match=message + r".*below 2\*\*31"):
        call(backend)


def test_padding_of_a_million_names_the_padded_input_and_its_memory(backend):
    # padded input: 8 + 2·10⁶ = 2 000 008 rows; 2 000 006 outputs per row, read in whole
    # blocks of 16: ⌈2 000 006 / 16⌉·16 = 2 000 016 outputs, (2 000 016 − 1)·1 + 3 columns
    rows, cols = 2_000_008, 2_000_018
    with pytest.raises(ValueError) as err:
        ops.conv2d(X8, W3, padding=10 ** 6, backend=backend)
    msg = str(err.value)
    assert f"the padded input with {rows * cols:,} elements" in msg
    assert "fewer than 2**31" in msg and "TiB of working memory" in msg


def test_a_huge_stride_counts_the_rows_the_kernels_read(backend):
    # 2×3×64×64 input, stride 2**20: one output, but the OpenCL kernels read a block of 16
    # outputs 2**20 apart: (16 − 1)·2**20 + 3 columns per padded row, 2·3·64 rows
    x, w = np.ones((2, 3, 64, 64), np.float32), np.ones((4, 3, 3, 3), np.float32)
    elements = 2 * 3 * 64 * (15 * 2 ** 20 + 3)
    with pytest.raises(ValueError, match=f"the padded input with {elements:,} elements"):
        ops.conv2d(x, w, stride=2 ** 20, backend=backend)


def test_a_tensor_of_2_to_the_31_elements_is_refused_without_allocating():
    w = huge(2 ** 31, 1, 1, 1)              # 2**31 filters of 1×1
    with pytest.raises(ValueError, match="w with 2,147,483,648 elements"):
        ops.conv2d(np.ones((1, 1, 1, 1)), w, backend="numpy")
    with pytest.raises(ValueError, match="z with 2,147,483,648 elements"):
        ops.activation(huge(2 ** 16, 2 ** 15), "relu", backend="numpy")


def test_backward_of_a_20000_square_image_is_refused_with_its_memory():
    x, dy = huge(1, 1, 20000, 20000), huge(1, 1, 20000, 20000)
    # by hand: x, the padded input (k=1, p=0: itself), y, dy, the padded dx and dx are 20000²
    # each; dy with zeros inserted has 20000·(20000 + 16); w, b, dw, db one each
    need = 4 * (6 * 20000 ** 2 + 20000 * 20016 + 4)
    assert round(need / 2 ** 30, 1) == 10.4
    with pytest.raises(ValueError, match=r"the backward pass of this convolution needs 10\.4 GiB of working "
                                         r"memory, more than convviz's limit of 2\.0 GiB; .*CONVVIZ_MAX_BYTES"):
        ops.conv2d_backward(x, np.ones((1, 1, 1, 1)), dy, backend="numpy")
    # the forward alone fits under 2**31 elements but not under 2 GiB: x, padded x, y, w, b
    with pytest.raises(ValueError, match=r"this convolution needs 4\.5 GiB"):
        ops.conv2d(x, np.ones((1, 1, 1, 1)), backend="numpy")


def test_pooling_backward_counts_its_memory():
    x = huge(1, 1, 16384, 16384)         # 2**28 elements: 1 GiB as float32
    # forward: x, padded x (p=0), y and argmax of 8192² each: 2 + 2/4 GiB
    with pytest.raises(ValueError, match=r"this pooling needs 2\.5 GiB"):
        ops.max_pool2d(x, 2, backend="numpy")
    with pytest.raises(ValueError, match=r"the backward pass of this pooling needs"):
        ops.avg_pool2d_backward(x, huge(1, 1, 8192, 8192), 2, backend="numpy")


def test_conv_tensors_by_hand():
    spec = S.make_conv_spec((3, 3), padding=1)
    t = S.conv_tensors((1, 1, 4, 4), (2, 1, 3, 3), spec, backward=True)
    # padded 6×6, read 6 rows × (16 − 1 + 3) = 18 columns; output 2×4×4;
    # dy zero-inserted (stride 1): (6 + 2) × (6 + 2 + 16)
    assert t == {"x": 16, "w": 18, "b": 2, "the padded input": 108, "y": 32, "dy": 32,
                 "dy with zeros inserted": 2 * 8 * 24, "the padded dx": 36, "dx": 16, "dw": 18, "db": 2}
    assert S.working_bytes(S.conv_tensors((1, 1, 4, 4), (2, 1, 3, 3), spec)) == 4 * (16 + 18 + 2 + 108 + 32)


def test_the_limit_follows_convviz_max_bytes(monkeypatch):
    x = np.ones((1, 1, 16, 16), np.float32)
    monkeypatch.setenv("CONVVIZ_MAX_BYTES", "1000")
    with pytest.raises(ValueError, match=r"more than convviz's limit of 1000 B"):
        ops.conv2d(x, W3, backend="numpy")
    monkeypatch.setenv("CONVVIZ_MAX_BYTES", "1e6")
    assert ops.conv2d(x, W3, backend="numpy").shape == (1, 1, 14, 14)
    for bad in ("lots", "-5", "nan", "inf"):
        monkeypatch.setenv("CONVVIZ_MAX_BYTES", bad)
        with pytest.raises(ValueError, match="CONVVIZ_MAX_BYTES must be a positive number of bytes"):
            ops.conv2d(x, W3, backend="numpy")


def test_default_limit_is_2_gib(monkeypatch):
    monkeypatch.delenv("CONVVIZ_MAX_BYTES", raising=False)
    assert S.max_bytes() == 2 * 1024 ** 3
    assert S.format_bytes(S.max_bytes()) == "2.0 GiB"


# ---------------------------------------------------------------- reference costs linear in the sizes

DXP = np.arange(1, 8, dtype=np.float32).reshape(1, 1, 1, 7)     # gradients 1..7 at padded cells −2..4


@pytest.mark.parametrize("mode,expected", [
    ("zeros", [3, 4, 5]),             # padded row 0 0 a b c 0 0: the zeros send nothing back
    ("replicate", [1 + 2 + 3, 4, 5 + 6 + 7]),     # a a a b c c c
    ("reflect", [3 + 7, 2 + 4 + 6, 1 + 5]),      # c b a b c b a
    ("circular", [3 + 6, 1 + 4 + 7, 2 + 5]),     # b c a b c a b
])
def test_pad_backward_sends_each_copy_back_to_its_cell(mode, expected):
    from convviz.core import reference as ref
    spec = S.make_conv_spec((1, 1), padding=((0, 0), (2, 2)), padding_mode=mode)
    dx = ref.pad_backward(DXP, spec, (1, 3))
    assert dx.dtype == np.float32
    np.testing.assert_array_equal(dx, [[[expected]]])


def test_pad_backward_folds_both_axes():
    from convviz.core import reference as ref
    spec = S.make_conv_spec((1, 1), padding=1, padding_mode="replicate")
    dxp = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    dxp = np.concatenate([dxp, 2 * dxp], axis=1)          # a second channel, doubled
    # on a 2×2 input each cell is copied into the 2×2 corner block of the 4×4 padded input
    one = [[0 + 1 + 4 + 5, 2 + 3 + 6 + 7], [8 + 9 + 12 + 13, 10 + 11 + 14 + 15]]
    np.testing.assert_array_equal(ref.pad_backward(dxp, spec, (2, 2)), [[one, 2 * np.array(one)]])


def test_pad_backward_of_a_tall_column_runs():
    """1×1×100000×1: the dense selection matrices it once built would take 74.5 GiB."""
    from convviz.core import reference as ref
    spec = S.make_conv_spec((1, 1), padding=((3, 5), (0, 0)), padding_mode="replicate")
    dx = ref.pad_backward(np.ones((1, 1, 100008, 1), np.float32), spec, (100000, 1))
    assert dx.shape == (1, 1, 100000, 1)
    assert dx[0, 0, 0, 0] == 4 and dx[0, 0, -1, 0] == 6 and (dx[0, 0, 1:-1] == 1).all()


def test_backward_of_a_tall_column_with_reflect_padding_runs():
    x = np.zeros((1, 1, 100000, 1), np.float32)
    dx, dw, db = ops.conv2d_backward(x, np.ones((1, 1, 1, 1)), np.ones((1, 1, 100002, 1)),
                                     padding=((1, 1), (0, 0)), padding_mode="reflect", backend="numpy")
    # rows −1 and 100000 reflect onto rows 1 and 99998, which get two contributions
    assert dx[0, 0, 1, 0] == 2 and dx[0, 0, -2, 0] == 2 and dx.sum() == 100002

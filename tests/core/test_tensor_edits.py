"""The editors' tensor changes, against arrays written out by hand."""
from __future__ import annotations

import numpy as np
from PIL import Image

from convviz.core.tensor_edits import image_input, input_changes, kernel_changes, resized, with_bias


def test_resized_keeps_what_fits_and_pads_with_zeros():
    old = np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)       # [[0 1 2] [3 4 5]]
    np.testing.assert_array_equal(resized(old, (1, 1, 3, 2)), [[[[0, 1], [3, 4], [0, 0]]]])
    grown = resized(old, (2, 1, 2, 3))
    np.testing.assert_array_equal(grown[0], old[0])
    assert not grown[1].any() and grown.dtype == np.float32


def test_a_new_input_channel_count_gives_the_kernel_its_channels_per_group():
    w = np.ones((4, 1, 3, 3), np.float32)
    x = np.zeros((1, 6, 5, 5), np.float32)
    changes = input_changes(x, w, groups=2)                          # 6 channels / 2 groups = 3 per filter
    assert changes["x"] is x and changes["w"].shape == (4, 3, 3, 3)
    assert changes["w"][:, 0].all() and not changes["w"][:, 1:].any()
    assert "w" not in input_changes(np.zeros((1, 2, 5, 5), np.float32), w, groups=2)     # 2 / 2 = 1: fits
    assert "w" not in input_changes(np.zeros((1, 5, 5, 5), np.float32), w, groups=2)     # 5 / 2: no kernel can


def test_kernel_changes_resize_the_filters_and_their_bias():
    w = np.arange(2 * 1 * 2 * 2, dtype=np.float32).reshape(2, 1, 2, 2)
    out = kernel_changes(w, np.array([5.0, 6.0], np.float32), cout=3, kh=1, kw=3)
    np.testing.assert_array_equal(out["w"][:, 0], [[[0, 1, 0]], [[4, 5, 0]], [[0, 0, 0]]])
    np.testing.assert_array_equal(out["b"], [5, 6, 0])
    np.testing.assert_array_equal(kernel_changes(w, None, 1, 2, 2)["b"], [0])


def test_with_bias_sets_one_filter_and_keeps_the_old_array():
    w = np.zeros((3, 1, 1, 1), np.float32)
    b = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_array_equal(with_bias(w, b, 1, 9.0), [1, 9, 3])
    np.testing.assert_array_equal(b, [1, 2, 3])
    np.testing.assert_array_equal(with_bias(w, None, 7, 4.0), [0, 0, 4])      # past the end: the last filter


def test_an_image_becomes_a_batch_of_inputs_scaled_to_one():
    gray = Image.fromarray(np.array([[0, 255], [51, 102]], np.uint8), "L")
    x = image_input(gray, batch=2)
    assert x.shape == (2, 1, 2, 2)
    np.testing.assert_allclose(x[1, 0], [[0, 1], [0.2, 0.4]])
    rgb = Image.fromarray(np.array([[[255, 0, 51]]], np.uint8), "RGB")
    np.testing.assert_allclose(image_input(rgb, batch=1)[0, :, 0, 0], [1, 0, 0.2])

"""New tensors for the editors' changes: resized inputs and kernels, a kernel that follows the
input's channels, an image as an input, one filter's bias. Qt-free; each returns new arrays."""
from __future__ import annotations

import numpy as np


def resized(old: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A zero array of ``shape`` holding the part of ``old`` that still fits (same rank)."""
    new = np.zeros(shape, np.float32)
    keep = tuple(slice(0, min(a, b)) for a, b in zip(shape, old.shape))
    new[keep] = old[keep]
    return new


def input_changes(x: np.ndarray, w: np.ndarray, groups: int) -> dict:
    """A new input, and the kernel with as many input channels per group as it needs (new ones zero)."""
    changes = {"x": x}
    c = x.shape[1]
    if c % groups == 0 and w.shape[1] * groups != c:
        changes["w"] = resized(w, (w.shape[0], c // groups) + w.shape[2:])
    return changes


def kernel_changes(w: np.ndarray, b: np.ndarray | None, cout: int, kh: int, kw: int) -> dict:
    """The kernel resized to ``cout`` filters of ``kh × kw``, with a bias of ``cout`` (kept where it fits)."""
    newb = np.zeros(cout, np.float32)
    if b is not None:
        newb[:min(cout, len(b))] = b[:min(cout, len(b))]
    return {"w": resized(w, (cout, w.shape[1], kh, kw)), "b": newb}


def with_bias(w: np.ndarray, b: np.ndarray | None, q: int, value: float) -> np.ndarray:
    """The bias with filter ``q``'s entry set to ``value`` (a zero bias first if there is none)."""
    new = np.zeros(w.shape[0], np.float32) if b is None else b.copy()
    new[min(q, len(new) - 1)] = value
    return new


def image_input(img, batch: int) -> np.ndarray:
    """A PIL image ("L" or "RGB") as an input of ``batch`` samples, values scaled to 0…1."""
    arr = np.asarray(img, np.float32) / 255.0
    arr = arr.transpose(2, 0, 1)[None] if arr.ndim == 3 else arr[None, None]
    return np.repeat(arr, batch, axis=0)

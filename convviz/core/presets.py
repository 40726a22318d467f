"""Inputs and kernels to start from, and the default scene."""
from __future__ import annotations

import numpy as np

from .pipeline import BlockConfig

DIGIT_7 = """
........
.######.
......#.
.....#..
....#...
...#....
...#....
........
"""

INPUTS = ("digit", "impulse", "checkerboard", "ramp", "random")
KERNELS = ("identity", "box", "gaussian", "sobel x", "sobel y", "laplacian", "sharpen", "K = [1 2 3; 4 5 6; 7 8 9]",
           "random")


def input_preset(name: str, h: int = 8, w: int = 8, seed: int = 0) -> np.ndarray:
    """One (h, w) plane."""
    if name == "digit":
        rows = [r for r in DIGIT_7.strip().splitlines()]
        art = np.array([[1.0 if ch == "#" else 0.0 for ch in r] for r in rows], np.float32)
        ys = (np.arange(h) * art.shape[0] // h)
        xs = (np.arange(w) * art.shape[1] // w)
        return art[np.ix_(ys, xs)]
    if name == "impulse":
        out = np.zeros((h, w), np.float32)
        out[h // 2, w // 2] = 1.0
        return out
    if name == "checkerboard":
        return ((np.add.outer(np.arange(h), np.arange(w)) % 2) * 2 - 1).astype(np.float32)
    if name == "ramp":
        return np.tile(np.linspace(-1, 1, w, dtype=np.float32), (h, 1))
    if name == "random":
        return np.random.default_rng(seed).uniform(-1, 1, (h, w)).astype(np.float32).round(2)
    raise ValueError(f"unknown input preset {name!r}; use one of {', '.join(INPUTS)}")


def kernel_preset(name: str, kh: int = 3, kw: int = 3, seed: int = 0) -> np.ndarray:
    """One (kh, kw) kernel; fixed-size presets are 3×3 and are centred in a larger kernel."""
    fixed = {
        "sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        "sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
        "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
        "K = [1 2 3; 4 5 6; 7 8 9]": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
    }
    if name == "identity":
        k = np.zeros((kh, kw), np.float32)
        k[(kh - 1) // 2, (kw - 1) // 2] = 1
        return k
    if name == "box":
        return np.full((kh, kw), 1.0 / (kh * kw), np.float32)
    if name == "gaussian":
        g = lambda n: np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / max(n / 4, 0.5)) ** 2)
        k = np.outer(g(kh), g(kw))
        return (k / k.sum()).astype(np.float32)
    if name == "random":
        return np.random.default_rng(seed).uniform(-1, 1, (kh, kw)).astype(np.float32).round(2)
    if name in fixed:
        base = np.array(fixed[name], np.float32)
        out = np.zeros((kh, kw), np.float32)
        ch, cw = min(kh, 3), min(kw, 3)
        oy, ox = (kh - ch) // 2, (kw - cw) // 2
        out[oy:oy + ch, ox:ox + cw] = base[:ch, :cw]
        return out
    raise ValueError(f"unknown kernel preset {name!r}; use one of {', '.join(KERNELS)}")


def default_scene():
    """A small drawn digit, a 3×3 edge kernel, padding 1, ReLU, 2×2 max pooling, loss = sum."""
    from .scene import Scene
    x = input_preset("digit", 8, 8)[None, None]
    w = kernel_preset("sobel x")[None, None]
    return Scene(x, w, np.zeros(1, np.float32), config=BlockConfig(padding=(1, 1), activation="relu", pool="max",
                                                                   pool_kernel=(2, 2), loss="sum"))

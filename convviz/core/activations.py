"""Activations σ and their derivatives σ′, as PyTorch defines them (float64 inside)."""
from __future__ import annotations

import numpy as np

ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh")
ACTIVATION_CODES = {name: i for i, name in enumerate(ACTIVATIONS)}
DEFAULT_SLOPE = 0.01          # torch.nn.LeakyReLU's negative_slope

FORMULAS = {
    "identity": ("σ(z) = z", "σ′(z) = 1"),
    "relu": ("σ(z) = max(z, 0)", "σ′(z) = 1 if z > 0 else 0"),
    "leaky_relu": ("σ(z) = z if z > 0 else a·z", "σ′(z) = 1 if z > 0 else a"),
    "sigmoid": ("σ(z) = 1 / (1 + e^−z)", "σ′(z) = σ(z)·(1 − σ(z))"),
    "tanh": ("σ(z) = tanh z", "σ′(z) = 1 − tanh² z"),
}


def check_activation(name: str) -> str:
    if not isinstance(name, str) or name not in ACTIVATION_CODES:
        raise ValueError(f"unknown activation {name!r}; use one of {', '.join(ACTIVATIONS)}")
    return name


def check_slope(slope) -> float:
    """Leaky ReLU's negative slope as a float; NaN, Inf and values float32 cannot hold are rejected."""
    try:
        value = float(slope)
    except (TypeError, ValueError):
        raise ValueError(f"slope must be a real number; got {slope!r}") from None
    if not abs(value) <= float(np.finfo(np.float32).max):
        raise ValueError(f"slope must be a finite number that fits in float32; got {slope!r}. "
                         f"PyTorch's default is {DEFAULT_SLOPE}")
    return value


def activation(z: np.ndarray, name: str, slope: float = DEFAULT_SLOPE) -> np.ndarray:
    dtype = np.float64 if z.dtype == np.float64 else np.float32
    z = z.astype(np.float64)
    if name == "identity":
        a = z
    elif name == "relu":
        a = np.maximum(z, 0.0)
    elif name == "leaky_relu":
        a = np.where(z > 0, z, slope * z)
    elif name == "sigmoid":
        a = 1.0 / (1.0 + np.exp(-z))
    elif name == "tanh":
        a = np.tanh(z)
    else:
        check_activation(name)
    return np.ascontiguousarray(a, dtype=dtype)


def derivative(z: np.ndarray, name: str, slope: float = DEFAULT_SLOPE) -> np.ndarray:
    """σ′(Z): the gate that dA passes through. At z = 0 ReLU's gate is 0, as in PyTorch."""
    z = z.astype(np.float64)
    if name == "identity":
        d = np.ones_like(z)
    elif name == "relu":
        d = (z > 0).astype(np.float64)
    elif name == "leaky_relu":
        d = np.where(z > 0, 1.0, slope)
    elif name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        d = s * (1.0 - s)
    elif name == "tanh":
        d = 1.0 - np.tanh(z) ** 2
    else:
        check_activation(name)
    return d


def activation_backward(z: np.ndarray, da: np.ndarray, name: str, slope: float = DEFAULT_SLOPE) -> np.ndarray:
    """dZ = dA ⊙ σ′(Z)."""
    dtype = np.float64 if da.dtype == np.float64 else np.float32
    return np.ascontiguousarray(da.astype(np.float64) * derivative(z, name, slope), dtype=dtype)

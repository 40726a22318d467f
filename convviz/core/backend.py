"""What a pipeline computes with: the :class:`Backend` protocol and :func:`resolve`.

Core never imports :mod:`convviz.compute`; compute registers itself here when imported
(``convviz/__init__.py`` imports it), so a pipeline given a name (``"numpy"``,
``"opencl"`` or None for automatic) gets a backend whose every operation goes through
``compute.call``, the one boundary that turns driver failures into numpy fallbacks.
With nothing registered, the numpy reference computes and only ``"numpy"`` or None
are accepted. Any object with the protocol's operations may be passed instead of a name.
"""
from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

import numpy as np

from . import reference
from .geometry import ConvSpec, PoolSpec

# every operation a pipeline or its step model may ask for by name (Pipeline.op)
OPS = tuple(reference.__all__)
# what the Backend protocol requires
OPERATIONS = ("description", "pad", "conv2d", "conv2d_backward", "activation", "activation_backward",
              "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward")


@runtime_checkable
class Backend(Protocol):
    """The operations a pipeline calls; arrays are float32 NCHW, specs already checked."""
    description: str

    def pad(self, x: np.ndarray, spec: ConvSpec) -> np.ndarray: ...
    def conv2d(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, spec: ConvSpec) -> np.ndarray: ...
    def conv2d_backward(self, x: np.ndarray, w: np.ndarray, dy: np.ndarray, spec: ConvSpec
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
    def activation(self, z: np.ndarray, name: str, slope: float) -> np.ndarray: ...
    def activation_backward(self, z: np.ndarray, da: np.ndarray, name: str, slope: float) -> np.ndarray: ...
    def max_pool2d(self, x: np.ndarray, spec: PoolSpec) -> tuple[np.ndarray, np.ndarray]: ...
    def max_pool2d_backward(self, x: np.ndarray, dy: np.ndarray, spec: PoolSpec) -> np.ndarray: ...
    def avg_pool2d(self, x: np.ndarray, spec: PoolSpec) -> np.ndarray: ...
    def avg_pool2d_backward(self, x_shape: tuple, dy: np.ndarray, spec: PoolSpec) -> np.ndarray: ...


class _Registered:
    def __init__(self, call: Callable, describe: Callable, check: Callable):
        self.call, self.describe, self.check = call, describe, check


_router: _Registered | None = None


def register(call: Callable, describe: Callable, check: Callable) -> None:
    """Route named backends through ``call(name, op, *args)`` (compute does this on import).

    ``check(name)`` runs once when a pipeline is made: it raises for a name that cannot
    be used (an unknown one, or OpenCL asked for where none works).
    """
    global _router
    _router = _Registered(call, describe, check)


def registered() -> bool:
    return _router is not None


class Named:
    """A backend chosen by name; each operation goes through the registered router, so the
    choice (and any fallback) is made again at every call, as compute decides."""

    def __init__(self, name: str | None, router: _Registered):
        self.name, self._router = name, router

    def __repr__(self) -> str:
        return f"Named({self.name!r})"

    @property
    def description(self) -> str:
        return self._router.describe(self.name)

    def run(self, op: str, *args):
        return self._router.call(self.name, op, *args)

    def pad(self, x, spec):
        return self.run("pad", x, spec)

    def conv2d(self, x, w, b, spec):
        return self.run("conv2d", x, w, b, spec)

    def conv2d_backward(self, x, w, dy, spec):
        return self.run("conv2d_backward", x, w, dy, spec)

    def activation(self, z, name, slope):
        return self.run("activation", z, name, slope)

    def activation_backward(self, z, da, name, slope):
        return self.run("activation_backward", z, da, name, slope)

    def max_pool2d(self, x, spec):
        return self.run("max_pool2d", x, spec)

    def max_pool2d_backward(self, x, dy, spec):
        return self.run("max_pool2d_backward", x, dy, spec)

    def avg_pool2d(self, x, spec):
        return self.run("avg_pool2d", x, spec)

    def avg_pool2d_backward(self, x_shape, dy, spec):
        return self.run("avg_pool2d_backward", x_shape, dy, spec)


def _routed(op: str):
    def method(self, *args):
        return self.run(op, *args)
    method.__name__ = op
    method.__doc__ = f"reference.{op}, through the router"
    return method


for _op in OPS:                      # the step model's other operations (im2col, insert_zeros, …)
    if not hasattr(Named, _op):
        setattr(Named, _op, _routed(_op))


def resolve(backend=None) -> Backend:
    """The backend for ``backend``: a name (or None, automatic) through the registered
    router, else the numpy reference; an object with the operations is returned as is."""
    if backend is None or isinstance(backend, str):
        if _router is not None:
            _router.check(backend)
            return Named(backend, _router)
        if backend in (None, "numpy"):
            return reference
        raise ValueError(f"backend {backend!r} is not available: only 'numpy' (or None) works until "
                         f"convviz.compute is imported (import convviz does it)")
    if not isinstance(backend, Backend):
        missing = [op for op in OPERATIONS if not hasattr(backend, op)]
        raise ValueError(f"backend must be 'numpy', 'opencl', None or an object with the Backend "
                         f"operations; {type(backend).__name__} lacks {', '.join(missing)}")
    return backend

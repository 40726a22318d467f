"""core/backend.py: a pipeline computes with the backend it is given; names reach OpenCL
only through compute.call, whose fallback still holds. Expected numbers are hand arithmetic:
a 4×4 input of ones, a 3×3 kernel of ones, padding 1 gives 4 at the corners, 6 on the
edges, 9 inside."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from convviz import compute
from convviz.compute.errors import OpenCLError
from convviz.core import backend, reference
from convviz.core.backend import Backend, Named, resolve
from convviz.core.pipeline import BlockConfig, Pipeline, Tensors

CONV = np.array([[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]], np.float32)
PLAIN = BlockConfig(activation="identity", pool="none", loss="sum")


def _tensors():
    return Tensors(np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 3, 3), np.float32))


class Doubling:
    """The reference, but conv2d doubles its result; records every operation asked for."""
    description = "doubling test backend"

    def __init__(self):
        self.calls = []

    def __getattr__(self, op):
        def run(*args):
            self.calls.append(op)
            out = getattr(reference, op)(*args)
            return 2 * out if op == "conv2d" else out
        return run


def test_an_injected_backend_computes_every_operation():
    fake = Doubling()
    p = Pipeline(_tensors(), PLAIN, backend=fake)
    r = p.compute()
    np.testing.assert_array_equal(r.z[0, 0], 2 * CONV)
    assert fake.calls == ["pad", "conv2d", "activation", "activation_backward", "conv2d_backward"]
    fake.calls.clear()
    p.set_config(activation="relu")
    p.compute()
    assert fake.calls == ["activation", "activation_backward", "conv2d_backward"]
    np.testing.assert_array_equal(p.op("insert_zeros", np.array([[[[1, 2]]]], np.float32), (1, 2))[0, 0],
                                  [[1, 0, 2]])


def test_an_object_without_the_operations_is_refused_by_name():
    class Half:
        description = "half a backend"

        def conv2d(self, *args):
            return None
    with pytest.raises(ValueError, match="Half lacks pad, conv2d_backward, activation,"):
        Pipeline(_tensors(), PLAIN, backend=Half())
    with pytest.raises(ValueError, match="backend must be"):
        Pipeline(_tensors(), PLAIN, backend="cuda")


def test_the_reference_module_is_a_backend():
    assert isinstance(reference, Backend)
    assert not isinstance(object(), Backend)


def test_with_nothing_registered_numpy_computes(monkeypatch):
    monkeypatch.setattr(backend, "_router", None)
    assert resolve() is reference and resolve("numpy") is reference
    with pytest.raises(ValueError, match="'opencl' is not available"):
        resolve("opencl")
    np.testing.assert_array_equal(Pipeline(_tensors(), PLAIN).compute().z[0, 0], CONV)


def test_names_are_routed_through_compute():
    assert backend.registered()                  # importing convviz imported compute
    b = resolve("numpy")
    assert isinstance(b, Named) and isinstance(b, Backend)
    assert b.description == compute.describe("numpy") == "numpy (reference)"
    np.testing.assert_array_equal(Pipeline(_tensors(), PLAIN, "numpy").compute().z[0, 0], CONV)


def test_no_opencl_device_falls_back_through_the_boundary(monkeypatch, caplog):
    monkeypatch.setattr(compute, "_engine", None)
    monkeypatch.setattr(compute, "_engine_error", "no OpenCL device (test)")
    monkeypatch.setattr(compute, "_warned", set())
    monkeypatch.delenv("CONVVIZ_BACKEND", raising=False)
    with caplog.at_level(logging.WARNING, logger="convviz"):
        z = Pipeline(_tensors(), PLAIN).compute().z
    np.testing.assert_array_equal(z[0, 0], CONV)
    assert sum("no OpenCL device (test)" in r.getMessage() for r in caplog.records) == 1
    with pytest.raises(OpenCLError, match="no OpenCL device"):
        Pipeline(_tensors(), PLAIN, "opencl")


def test_a_failing_kernel_in_a_pipeline_falls_back(cl_engine, monkeypatch, caplog):
    monkeypatch.setattr(compute, "_warned", set())
    monkeypatch.delenv("CONVVIZ_BACKEND", raising=False)

    def broken(*args, **kwargs):
        raise RuntimeError("clEnqueueNDRangeKernel failed: (simulated)")

    monkeypatch.setattr(cl_engine, "conv2d", broken)
    with caplog.at_level(logging.WARNING, logger="convviz"):
        z = Pipeline(_tensors(), PLAIN).compute().z
    np.testing.assert_array_equal(z[0, 0], CONV)
    assert any("simulated" in r.getMessage() for r in caplog.records)
    with pytest.raises(OpenCLError, match="simulated"):
        Pipeline(_tensors(), PLAIN, "opencl").compute()


def test_the_opencl_engine_is_a_backend(cl_engine):
    assert isinstance(cl_engine, Backend)

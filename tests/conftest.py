"""Shared fixtures: headless Qt, the two backends, and random-configuration helpers."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("convviz", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          max_examples=60, derandomize=True)
settings.load_profile("convviz")


@pytest.fixture(scope="session")
def cl_engine():
    """The OpenCL engine. Skips only when no OpenCL platform exists at all (never in CI)."""
    from convviz.compute import opencl_engine
    from convviz.compute.devices import choose_device

    engine = opencl_engine()
    if engine is None:
        choice = choose_device()
        if not choice.candidates and not os.environ.get("CI"):
            pytest.skip(f"no OpenCL platform on this machine: {choice.reason}")
        pytest.fail(f"OpenCL devices exist but none works: {choice.reason}")
    return engine


@pytest.fixture(params=["numpy", "opencl"])
def backend(request):
    """Each backend by name; the OpenCL one only where a device works (see cl_engine)."""
    if request.param == "opencl":
        request.getfixturevalue("cl_engine")
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def assert_close(actual, expected, *, terms: int = 1, what: str = ""):
    """float32 agreement: the error allowed grows with the number of summed terms and their size."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    tol = 4e-7 * scale * max(1.0, np.sqrt(terms)) * 8
    err = float(np.abs(actual - expected).max(initial=0.0))
    assert err <= tol, f"{what}: max error {err:.3g} > {tol:.3g}"

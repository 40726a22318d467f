"""The window never waits for, nor falls with, the OpenCL driver: numpy computes while
the devices are checked, and a start after a crash says what crashed."""
from __future__ import annotations

import numpy as np

from convviz import compute
from convviz.gui.app import _report_opencl_when_ready


def test_numpy_computes_while_the_devices_are_checked(monkeypatch):
    monkeypatch.setattr(compute, "_background", object())      # a check under way
    monkeypatch.setattr(compute, "_engine", None)
    monkeypatch.setattr(compute, "_engine_error", None)
    monkeypatch.delenv("CONVVIZ_BACKEND", raising=False)
    assert compute.get_backend() is compute.reference
    assert "checking the OpenCL devices" in compute.describe()
    y = compute.call(None, "activation", np.array([[-1.0, 2.0]], np.float32), "relu", 0.0)
    assert y.tolist() == [[0.0, 2.0]]


def test_the_window_says_what_crashed_last_time(window, monkeypatch):
    note = "convviz stopped while conv2d (1, 1, 48, 48) on PoCL (2026-11-24 07:00): this session computes with numpy"
    monkeypatch.setattr(compute, "_crash_note", note)
    _report_opencl_when_ready(window)
    assert window.statusBar().currentMessage() == "⚠ " + note

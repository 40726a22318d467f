"""CONVVIZ_DEVICE matches what `convviz devices` shows; the simulator is never chosen on its
own; the faster qualified CPU runtime wins."""
from __future__ import annotations

from convviz.compute import devices
from convviz.compute.devices import Candidate, _matches

POCL = Candidate("Portable Computing Language", "pthread-Intel(R) Xeon(R) Processor", "CPU")
INTEL = Candidate("Intel(R) OpenCL", "Intel(R) Xeon(R) Processor", "CPU")
GRIND = Candidate("Oclgrind", "Oclgrind Simulator", "sim")


def test_a_device_is_found_by_the_name_the_report_shows():
    assert POCL.label == "pthread-Intel(R) Xeon(R) Processor (PoCL)"
    assert _matches(POCL, "pocl") == 2 and _matches(INTEL, "pocl") == 0
    # "intel" is in both device names: the platform that is Intel's wins
    assert _matches(INTEL, "intel") > _matches(POCL, "intel") > 0
    assert _matches(INTEL, "intel cpu runtime") == 2 and _matches(GRIND, "oclgrind") == 2


def test_the_faster_qualified_cpu_runtime_is_chosen_and_the_simulator_never(monkeypatch):
    bench = {"PoCL": 13.2, "Intel CPU runtime": 8.3, "Oclgrind": 0.1}

    def fake_list(choice):
        choice.candidates = [Candidate(c.platform, c.name, c.kind) for c in (GRIND, POCL, INTEL)]
        return True

    def fake_try(cand, refresh=False):
        cand.qualification = {"families": {"conv2d_forward": {"ok": True}}, "bench_ms": bench[cand.short_platform]}
        cand.works = True
        return True

    monkeypatch.delenv("CONVVIZ_DEVICE", raising=False)
    monkeypatch.setattr(devices, "list_candidates", fake_list)
    monkeypatch.setattr(devices, "try_device", fake_try)
    choice = devices.choose_device()
    assert choice.chosen.short_platform == "Intel CPU runtime"
    assert "fastest" in choice.reason and "8.3 ms" in choice.reason and "13.2 ms" in choice.reason
    bench["PoCL"] = 5.0
    assert devices.choose_device().chosen.short_platform == "PoCL"
    monkeypatch.setenv("CONVVIZ_DEVICE", "oclgrind")
    assert devices.choose_device().chosen.short_platform == "Oclgrind"

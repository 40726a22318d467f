"""Write tests/data/torchcode_fixture.npz: what PyTorch computes when it runs each 'Copy as
PyTorch code' script of tests/core/torchcode_cases.py (one-block scenes, and networks with
their training loop), keyed by the script's hash.

Run it with torch installed (see make_torch_fixture.py) whenever the generator changes;
the test then checks the stored numbers without torch, and fails if a script is not one
that PyTorch ran.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.core.torchcode_cases import (network_scripts, run_network_script, run_script, script_key,  # noqa: E402
                                       scripts)

OUT = ROOT / "tests" / "data" / "torchcode_fixture.npz"


def main() -> None:
    arrays = {}
    for name, script in scripts().items():
        key = script_key(script)
        arrays[f"{name}.key"] = np.array(key)
        for k, v in run_script(script).items():
            arrays[f"{name}.{k}"] = v
    for name, script in network_scripts().items():
        arrays[f"{name}.key"] = np.array(script_key(script))
        for k, v in run_network_script(script).items():
            arrays[f"{name}.{k}"] = v
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({len(scripts())} block scripts, {len(network_scripts())} network scripts)")


if __name__ == "__main__":
    main()

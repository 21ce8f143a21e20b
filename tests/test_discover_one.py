"""A render imports its own scene module only (discover(only=NAME)), and finds what discover() finds."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from scenes.kit.registry import discover
one = discover(only=sys.argv[1])
print(json.dumps({"found": {n: m for n, (m, _) in one.items()},
                  "imported": sorted(k for k in sys.modules if k.startswith("scenes.") and not k.startswith("scenes.kit"))}))
"""


def probe(name: str) -> dict:
    r = subprocess.run([sys.executable, "-c", PROBE, name], cwd=ROOT, capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["ReverseProcess", "DiscreteVsContinuous"])
def test_one_scene_imports_only_its_module(name):
    from scenes.kit.registry import discover
    module = discover()[name][0]
    got = probe(name)
    assert got["found"] == {name: module}
    assert got["imported"] == [f"scenes.{module}"]


def test_a_name_that_is_no_scene_gives_every_scene_for_the_error():
    from scenes.kit.registry import discover
    got = probe("DiffusionScene")          # a class, but no scene: the whole list, as discover() gives
    every = discover()
    assert got["found"] == {n: m for n, (m, _) in every.items()}
    assert got["imported"] == sorted({f"scenes.{m}" for m, _ in every.values()})

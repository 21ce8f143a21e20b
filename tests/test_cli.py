"""`python -m diffusion list | train | sample` for every registered model."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from diffusion.models import MODELS

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, cache):
    env = dict(os.environ, DIFFUSION_CACHE=str(cache), PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "diffusion", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True)


def test_list_names_every_model(tmp_path):
    out = cli("list", cache=tmp_path).stdout
    assert [line.split()[0] for line in out.splitlines()] == list(MODELS)


@pytest.mark.slow
@pytest.mark.parametrize("name,shape", [("digits", (3, 8, 8)), ("graphs", (3, 16, 16)), ("toy1d", (3,))])
def test_sample_reaches_the_model_train_made(tmp_path, name, shape):
    """train --steps N, then sample --set steps=N loads that model (no second training) and writes samples."""
    r = cli("train", name, "--preset", "quick", "--steps", "7", cache=tmp_path)
    assert f"training {name} model" in r.stderr and " 7 steps" in r.stdout
    assert f"sample {name} --preset quick --set steps=7" in r.stdout
    out = tmp_path / "s.npz"
    r = cli("sample", name, "--preset", "quick", "--set", "steps=7", "--n", "3", "--steps", "5", "--out", str(out),
            cache=tmp_path)
    assert "training" not in r.stderr
    assert np.load(out)["samples"].shape == shape
    assert len(list((tmp_path / "models").glob("*.pt"))) == 1

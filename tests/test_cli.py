"""`python -m diffusion list | train | sample` for every registered model."""
import numpy as np
import pytest

from diffusion.models import MODELS


@pytest.fixture
def cli(run_main, monkeypatch):
    """`python -m diffusion ARGS` in this process with its own cache; a failure fails the test."""
    from diffusion.__main__ import main

    def run(*args, cache):
        monkeypatch.setenv("DIFFUSION_CACHE", str(cache))
        r = run_main(main, *args)
        assert r.returncode == 0, r.stderr[-3000:]
        return r

    return run


def test_list_names_every_model(tmp_path, cli):
    out = cli("list", cache=tmp_path).stdout
    assert [line.split()[0] for line in out.splitlines()] == list(MODELS)


@pytest.mark.slow
@pytest.mark.parametrize("name,shape", [("digits", (3, 8, 8)), ("graphs", (3, 16, 16)), ("toy1d", (3,))])
def test_sample_reaches_the_model_train_made(tmp_path, cli, name, shape):
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

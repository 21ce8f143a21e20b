"""Killed runs, concurrent runs, damaged caches, diverging training, byte-identical reruns."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent

# a training run in its own process: a quick config with frequent resumable checkpoints
TRAIN_SCRIPT = textwrap.dedent("""
    import sys
    from dataclasses import replace
    from diffusion.core.loader import get_model, model_path
    from diffusion.models.digits.config import get_preset
    cfg = replace(get_preset("quick"), steps=int(sys.argv[1]), snapshots=(), checkpoint_every=25)
    tm = get_model(cfg, progress=False)
    print("key", tm.key, "steps", len(tm.history["loss"]))
""")


def run_env(cache):
    return dict(os.environ, DIFFUSION_CACHE=str(cache), PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")


def load_model_file(cache):
    from diffusion.core.cache import torch_from_bytes
    files = list((Path(cache) / "models").glob("*.pt"))
    assert len(files) == 1
    return torch_from_bytes(files[0].read_bytes())


def test_sigkill_during_training_resumes_without_torn_files(tmp_path):
    steps = "400"
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    p = subprocess.Popen([sys.executable, "-c", TRAIN_SCRIPT, steps], env=run_env(killed), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until a resumable checkpoint exists, then kill -9 mid-run
    deadline = time.time() + 120
    while not list((killed / "models").glob("*.state.sha256")) and time.time() < deadline:
        time.sleep(0.05)
    assert p.poll() is None, "training finished before it could be killed; raise the step count"
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not list((killed / "models").glob("*.pt")), "a killed run must not leave a finished model"
    r = subprocess.run([sys.executable, "-c", TRAIN_SCRIPT, steps], env=run_env(killed), cwd=ROOT,
                       capture_output=True, text=True, check=True)
    assert r.stdout.split()[-1] == steps
    r = subprocess.run([sys.executable, "-c", TRAIN_SCRIPT, steps], env=run_env(clean), cwd=ROOT,
                       capture_output=True, text=True, check=True)
    a, b = load_model_file(killed), load_model_file(clean)
    assert a["history"]["loss"] == b["history"]["loss"]          # resumed == uninterrupted, bit for bit
    assert all(torch.equal(a["ema"][k], b["ema"][k]) for k in a["ema"])
    assert not [f for f in (killed / "models").iterdir() if f.name.endswith(".tmp") or ".state" in f.name]


def test_two_processes_train_once(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", TRAIN_SCRIPT, "60"], env=run_env(tmp_path), cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    trained = sum("training digits model" in err for _, err in outs)
    assert trained == 1, outs
    assert outs[0][0] == outs[1][0]                                # same key, same step count
    assert len(list((tmp_path / "models").glob("*.pt"))) == 1


def test_corrupted_model_file_is_rebuilt_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path))
    from diffusion.core.loader import _get_model, get_model, model_path
    from diffusion.models.digits.config import get_preset
    cfg = replace(get_preset("quick"), steps=10, snapshots=())
    first = get_model(cfg, progress=False)
    path = model_path(cfg)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])                      # a truncated file
    _get_model.cache_clear()
    with pytest.warns(RuntimeWarning, match="corrupted"):
        again = get_model(cfg, progress=False)
    assert again.history["loss"] == first.history["loss"]
    # rebuilt to the same weights (the file also records wall-clock seconds, which differ)
    assert all(torch.equal(again.model.state_dict()[k], first.model.state_dict()[k]) for k in first.model.state_dict())
    assert len(path.read_bytes()) == len(data)
    _get_model.cache_clear()


def test_nan_loss_stops_with_the_step(monkeypatch):
    from diffusion.core import engine as train_mod
    from diffusion.models.digits.config import get_preset
    real = train_mod.F.mse_loss
    calls = {"n": 0}
    def poisoned(a, b):
        calls["n"] += 1
        return real(a, b) * (float("nan") if calls["n"] == 7 else 1.0)
    monkeypatch.setattr(train_mod.F, "mse_loss", poisoned)
    with pytest.raises(FloatingPointError, match="at step 6"):
        train_mod.train(replace(get_preset("quick"), steps=20), progress=False)


def test_same_command_twice_gives_identical_bytes(tmp_path, quick_model):
    """Trajectories made in two fresh processes with two fresh caches are byte-identical files."""
    script = textwrap.dedent("""
        from diffusion.core.loader import get_model, get_trajectory
        tm = get_model("quick", progress=False)
        get_trajectory(tm, n=4, seed=3, sampler="ddpm", steps=1000)
        get_trajectory(tm, n=4, seed=3, sampler="ddim", steps=20, eta=0.5)
    """)
    caches = [tmp_path / "a", tmp_path / "b"]
    for c in caches:
        subprocess.run([sys.executable, "-c", script], env=run_env(c), cwd=ROOT, check=True, capture_output=True)
    files = [sorted((c / "trajectories").glob("*.npz")) for c in caches]
    assert len(files[0]) == 2 and [f.name for f in files[0]] == [f.name for f in files[1]]
    for fa, fb in zip(*files):
        assert fa.read_bytes() == fb.read_bytes()


@pytest.mark.parametrize("args,needle", [
    (["train", "mnist"], "invalid choice"),
    (["sample", "digits", "--sampler", "heun", "--out", "x.npz"], "invalid choice"),
    (["sample", "digits", "--steps", "0", "--out", "x.npz"], "positive integer"),
    (["sample", "digits", "--steps", "1001", "--out", "x.npz"], "1..1000"),
    (["sample", "digits", "--n", "-5", "--out", "x.npz"], "positive integer"),
])
def test_cli_bad_input_is_one_clear_error(tmp_path, args, needle):
    r = subprocess.run([sys.executable, "-m", "diffusion", *args], cwd=tmp_path, env=run_env(tmp_path / "c"),
                       capture_output=True, text=True)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "c").exists()


def test_missing_latex_is_detected_up_front(tmp_path):
    """With LaTeX off the PATH, rendering stops before manim with the exact install line."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + ":/nonexistent")
    r = subprocess.run([sys.executable, "-m", "scenes", "render", "ReverseProcess"], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 3
    assert "latex" in r.stderr and "apt-get install -y --no-install-recommends" in r.stderr
    assert "Traceback" not in r.stderr


def test_clean_targets_touch_only_the_project():
    for target, must in (("clean", "media/"), ("distclean", "cache")):
        r = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True)
        for line in r.stdout.splitlines():
            if line.startswith("rm "):
                paths = line.split()[2:]
                assert paths and all(not p.startswith(("/", "~", "..")) and ".." not in p for p in paths), line
        assert must in r.stdout

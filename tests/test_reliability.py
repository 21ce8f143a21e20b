"""Killed runs, concurrent runs, damaged caches, diverging training, byte-identical reruns."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent

# a training run in its own process: a quick config with frequent resumable checkpoints
TRAIN_SCRIPT = textwrap.dedent("""
    import sys
    from diffusion.models import get_config, get_model
    cfg = get_config("digits", "quick", steps=int(sys.argv[1]), snapshots=(), checkpoint_every=25)
    tm = get_model("digits", cfg, progress=False)
    print("key", tm.key, "steps", len(tm.history["loss"]))
""")


def run_env(cache):
    return dict(os.environ, DIFFUSION_CACHE=str(cache), PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")


def load_model_file(cache):
    from diffusion.core.cache import torch_from_bytes
    files = list((Path(cache) / "models").glob("*.pt"))
    assert len(files) == 1
    return torch_from_bytes(files[0].read_bytes())


@pytest.mark.slow
def test_sigkill_during_training_resumes_without_torn_files(tmp_path):
    steps = "200"            # the first checkpoint comes at step 25: 175 steps (seconds) left to kill it in
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


@pytest.mark.slow
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
    from diffusion.core.loader import clear_memory_cache, model_path
    from diffusion.models import get_config, get_model
    cfg = get_config("digits", "quick", steps=10, snapshots=())
    first = get_model("digits", cfg, progress=False)
    path = model_path("digits", cfg)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])                      # a truncated file
    clear_memory_cache()
    with pytest.warns(RuntimeWarning, match="corrupted"):
        again = get_model("digits", cfg, progress=False)
    assert again.history["loss"] == first.history["loss"]
    # rebuilt to the same weights (the file also records wall-clock seconds, which differ)
    assert all(torch.equal(again.model.state_dict()[k], first.model.state_dict()[k]) for k in first.model.state_dict())
    assert len(path.read_bytes()) == len(data)
    clear_memory_cache()


@pytest.mark.slow
def test_same_command_twice_gives_identical_bytes(tmp_path, quick_model):
    """Trajectories made in two fresh processes with two fresh caches are byte-identical files."""
    script = textwrap.dedent("""
        from diffusion.core.loader import get_trajectory
        from diffusion.models import get_model
        tm = get_model("digits", "quick", progress=False)
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
    (["train", "mnist"], "unknown model 'mnist'; choose one of digits, graphs, toy1d"),
    (["sample", "graphs", "--sampler", "ddim", "--out", "x.npz"], "graphs has ancestral"),
    (["train", "toy1d", "--set", "width=3"], "toy1d has no setting width"),
    (["train", "digits", "--preset", "huge"], "invalid choice"),
    (["sample", "digits", "--sampler", "plms", "--out", "x.npz"], "invalid choice"),
    (["sample", "digits", "--steps", "0", "--out", "x.npz"], "positive integer"),
    (["sample", "digits", "--steps", "1001", "--out", "x.npz"], "1..1000"),
    (["sample", "digits", "--n", "-5", "--out", "x.npz"], "positive integer"),
])
def test_cli_bad_input_is_one_clear_error(tmp_path, monkeypatch, run_main, args, needle):
    from diffusion.__main__ import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path / "c"))
    r = run_main(main, *args)
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "c").exists()


def test_missing_latex_is_detected_up_front(monkeypatch, run_main):
    """With LaTeX off the PATH, rendering stops before manim with the exact install line."""
    from scenes.kit.cli import main

    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + ":/nonexistent")
    r = run_main(main, "render", "ReverseProcess")
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


import numpy as np
import pytest
import torch

from diffusion.core.loader import get_trajectory
from diffusion.core.sample import sample, sample_steps


def test_trajectory_shapes_and_consistency(quick_model):
    tm = quick_model
    x_T = tm.noise(5, seed=0)
    tr = sample(tm.model, tm.schedule, x_T, "ddim", 10, 0.0, torch.Generator().manual_seed(1))
    assert tr.x.shape == (11, 5, *tm.image_shape)
    assert tr.eps_hat.shape == tr.x0_hat.shape == (10, 5, *tm.image_shape)
    assert list(tr.timesteps) == tm.schedule.timesteps(10)
    np.testing.assert_array_equal(tr.x[0], x_T.numpy())          # starts from the given x_T
    np.testing.assert_allclose(tr.x[-1], tr.x0_hat[-1], atol=1e-6)  # last DDIM step lands on x0_hat
    # each recorded x0_hat is the schedule's inversion of (x_t, eps_hat), clipped
    t = int(tr.timesteps[3])
    x0 = tm.schedule.predict_x0(torch.from_numpy(tr.x[3]), t, torch.from_numpy(tr.eps_hat[3])).clamp(-1, 1)
    np.testing.assert_allclose(tr.x0_hat[3], x0.numpy(), atol=1e-5)


@pytest.mark.parametrize("sampler,steps,eta", [("ddpm", 100, 1.0), ("ddim", 20, 0.0), ("ddim", 20, 0.7)])
def test_same_seed_same_trajectory(quick_model, sampler, steps, eta):
    tm = quick_model
    run = lambda: sample(tm.model, tm.schedule, tm.noise(3, 7), sampler, steps, eta, torch.Generator().manual_seed(8))
    a, b = run(), run()
    for name in ("x", "eps_hat", "x0_hat"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    other = sample(tm.model, tm.schedule, tm.noise(3, 9), sampler, steps, eta, torch.Generator().manual_seed(8))
    assert not np.array_equal(a.final, other.final)


def test_stochastic_samplers_use_their_noise(quick_model):
    tm = quick_model
    a = sample(tm.model, tm.schedule, tm.noise(2, 0), "ddim", 10, 1.0, torch.Generator().manual_seed(1))
    b = sample(tm.model, tm.schedule, tm.noise(2, 0), "ddim", 10, 1.0, torch.Generator().manual_seed(2))
    c = sample(tm.model, tm.schedule, tm.noise(2, 0), "ddim", 10, 0.0, torch.Generator().manual_seed(2))
    d = sample(tm.model, tm.schedule, tm.noise(2, 0), "ddim", 10, 0.0, torch.Generator().manual_seed(3))
    assert not np.array_equal(a.final, b.final)
    assert np.array_equal(c.final, d.final)         # eta = 0 draws no noise


def test_inpainting_keeps_known_region(quick_model):
    tm = quick_model
    known = torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8).repeat(2, 1, 1, 1)
    mask = torch.zeros_like(known); mask[..., :4, :] = 1
    tr = sample(tm.model, tm.schedule, tm.noise(2, 0), "ddim", 10, 0.0, torch.Generator().manual_seed(0),
                known=known, mask=mask)
    np.testing.assert_allclose(tr.final[..., :4, :], known.numpy()[..., :4, :], atol=1e-6)


def test_bad_sampler_arguments(quick_model):
    tm = quick_model
    for kw in (dict(sampler="euler"), dict(steps=0), dict(steps=-3), dict(steps=1001)):
        args = dict(sampler="ddim", steps=10) | kw
        with pytest.raises(ValueError):
            next(sample_steps(tm.model, tm.schedule, tm.noise(1, 0), **args))


def test_cached_trajectory_is_reused_and_identical(quick_model):
    a = get_trajectory(quick_model, n=4, seed=2, sampler="ddim", steps=10)
    b = get_trajectory(quick_model, n=4, seed=2, sampler="ddim", steps=10)
    assert np.array_equal(a.x, b.x) and a.sampler == "ddim"


def test_cli_sample_writes_npz(tmp_path, quick_model, run_main):
    from diffusion.__main__ import main

    out = tmp_path / "s.npz"
    cmd = ["sample", "digits", "--n", "12", "--sampler", "ddim", "--steps", "5", "--out"]
    assert run_main(main, *cmd, out).returncode == 0
    s = np.load(out)["samples"]
    assert s.shape == (12, 8, 8) and s.min() >= -1 and s.max() <= 1
    out2 = tmp_path / "s2.npz"
    assert run_main(main, *cmd, out2).returncode == 0
    assert np.array_equal(s, np.load(out2)["samples"])           # same command, same samples


@pytest.mark.parametrize("bad", [["--steps", "0"], ["--steps", "-2"], ["--steps", "5000"], ["--sampler", "euler"]])
def test_cli_rejects_bad_arguments(tmp_path, run_main, bad):
    from diffusion.__main__ import main

    out = tmp_path / "x.npz"
    r = run_main(main, "sample", "digits", "--out", out, *bad)
    assert r.returncode != 0 and "error" in r.stderr and not out.exists()
    assert "Traceback" not in r.stderr

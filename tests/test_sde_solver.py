"""The SDE solver of the one sampling loop (SDE-DPM-Solver++(2M), "dpm++2m-sde"): seeded noise, one step
per network call, what it reduces to, its one-line errors, and that it works for every kind of eps-model
and the command line. Its oracle against diffusers: test_solver_oracles.py."""

import numpy as np
import pytest
import torch

from diffusion.core.guidance import GuidedEps
from diffusion.core.sample import SAMPLERS, SDE_SOLVERS, sample, sample_steps
from diffusion.core.schedule import NoiseSchedule
from diffusion.models.digits.network import UNet, UNetConfig

SDE = "dpm++2m-sde"


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_the_sde_solver_is_a_sampler():
    assert SDE in SDE_SOLVERS and SDE in SAMPLERS


@pytest.mark.parametrize("nfe", [1, 2, 5, 10])
def test_one_step_per_network_call_and_lands_on_x0_hat(quick_model, nfe):
    tm = quick_model
    calls = []
    model = lambda x, t: calls.append(int(t[0])) or tm.model(x, t)
    tr = sample(model, tm.schedule, tm.noise(3, 0), SDE, nfe, 0.0, gen(1))
    assert calls == tm.schedule.timesteps(nfe) == list(tr.timesteps)
    assert tr.x.shape == (nfe + 1, 3, *tm.image_shape) and tr.stages == ["step"] * nfe
    np.testing.assert_allclose(tr.final, tr.x0_hat[-1], atol=1e-6)     # the last step takes no noise
    assert np.abs(tr.final).max() <= 1 + 1e-6


def test_seeded_noise_makes_it_deterministic_and_fresh(quick_model):
    tm = quick_model
    x_T = tm.noise(4, 0)
    a = sample(tm.model, tm.schedule, x_T, SDE, 10, 0.0, gen(1), record=False)
    b = sample(tm.model, tm.schedule, x_T, SDE, 10, 0.0, gen(1), record=False)
    c = sample(tm.model, tm.schedule, x_T, SDE, 10, 0.0, gen(2), record=False)
    ode = sample(tm.model, tm.schedule, x_T, "dpm++2m", 10, record=False)
    assert torch.equal(a, b)
    assert (a - c).abs().max() > 1e-2 and (a - ode).abs().max() > 1e-2   # another seed, or no noise: elsewhere


def test_first_step_is_ddpm_posterior_then_second_order(quick_model):
    """Its first step (no earlier x0_hat) is first order: DDIM with eta = 1 on the same grid and the same
    noise, i.e. DDPM's posterior q(x_prev | x_t, x0_hat); from the second step on the extrapolation differs."""
    tm = quick_model
    x_T = tm.noise(4, 1)
    sde = sample(tm.model, tm.schedule, x_T, SDE, 10, 0.0, gen(3))
    ddim1 = sample(tm.model, tm.schedule, x_T, "ddim", 10, 1.0, gen(3))
    np.testing.assert_allclose(sde.x[1], ddim1.x[1], atol=1e-5)
    assert np.abs(sde.x[2] - ddim1.x[2]).max() > 1e-3


def test_sde_step_keeps_the_marginal_of_noised_data():
    """With the true x0 as the data prediction, a step from x_t = alpha_t x0 + sigma_t eps lands on
    alpha_prev x0 + sigma_prev * (unit Gaussian): the mean and variance of the forward marginal at t_prev."""
    s = NoiseSchedule("linear", 1000)
    x0 = torch.full((200_000,), 0.3, dtype=torch.float64)
    t, t_prev = 600, 400
    x_t = s.add_noise(x0, t, torch.randn(x0.shape, generator=gen(0), dtype=torch.float64))
    x_prev, _ = s.dpm_solver_pp_sde_step(x_t, t, t_prev, x0, None, None,
                                         torch.randn(x0.shape, generator=gen(1), dtype=torch.float64))
    z = (x_prev - s.ab_at(t_prev) ** 0.5 * 0.3) / (1 - s.ab_at(t_prev)) ** 0.5
    assert abs(z.mean().item()) < 0.01 and abs(z.std().item() - 1) < 0.01


def test_sde_bad_combinations_are_one_line_errors(quick_model):
    tm = quick_model
    known = torch.zeros(1, 1, 8, 8)
    for kw, words in ((dict(eta=1.0), "eta must be 0"),
                      (dict(steps=1000, known=known, mask=known, jump=2, resample=2), "RePaint"),
                      (dict(steps=0), "steps must be")):
        args = dict(sampler=SDE, steps=10) | kw
        with pytest.raises(ValueError, match=words) as e:
            next(sample_steps(tm.model, tm.schedule, tm.noise(1, 0), **args))
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="needs noise") as e:
        tm.schedule.dpm_solver_pp_sde_step(tm.noise(1, 0), 500, 400, tm.noise(1, 1), None, None, None)
    assert "\n" not in str(e.value)


def test_sde_inpaints_and_starts_midway(quick_model):
    tm = quick_model
    known = torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8).repeat(2, 1, 1, 1)
    mask = torch.zeros_like(known); mask[..., :4, :] = 1
    tr = sample(tm.model, tm.schedule, tm.noise(2, 0), SDE, 7, 0.0, gen(0), known=known, mask=mask)
    np.testing.assert_allclose(tr.final[..., :4, :], known.numpy()[..., :4, :], atol=1e-6)
    tr = sample(tm.model, tm.schedule, tm.noise(2, 0), SDE, 5, 0.0, gen(0), start=300)
    assert tr.timesteps[0] == 300 and len(tr.timesteps) == 5


def test_sde_takes_a_guided_conditional_model():
    torch.manual_seed(0)
    net = UNet(UNetConfig(base_channels=8, time_dim=16, groups=4, num_classes=10)).eval()
    s = NoiseSchedule("linear", 1000)
    x_T = torch.randn(3, 1, 8, 8, generator=gen(0))
    plain = sample(GuidedEps(net, 3, 0.0), s, x_T, SDE, 6, 0.0, gen(1), record=False)
    guided = sample(GuidedEps(net, 3, 2.0), s, x_T, SDE, 6, 0.0, gen(1), record=False)
    assert plain.shape == guided.shape == x_T.shape and not torch.equal(plain, guided)
    labels = sample(net, s, x_T, SDE, 6, 0.0, gen(1), record=False, model_kwargs=dict(y=torch.tensor([3, 3, 3])))
    torch.testing.assert_close(plain, labels)


def test_sde_on_points():
    from diffusion.models.toy2d.mixture import ExactEps, Spiral

    s = NoiseSchedule("linear", 1000)
    x_T = torch.randn(16, 2, generator=gen(0))
    out = sample(ExactEps(Spiral(), s), s, x_T, SDE, 20, 0.0, gen(1), clip_x0=False, record=False)
    assert out.shape == (16, 2) and out.dtype == torch.float32 and torch.isfinite(out).all()
    x1 = torch.randn(16, 1, generator=gen(0))
    assert sample(lambda x, t: 0.5 * x, s, x1, SDE, 9, 0.0, gen(1), clip_x0=False, record=False).shape == (16, 1)


@pytest.mark.slow
def test_cli_samples_digits_with_the_sde_solver(tmp_path, quick_model, run_main):
    from diffusion.__main__ import main

    out = tmp_path / "s.npz"
    cmd = ["sample", "digits", "--n", "6", "--sampler", SDE, "--steps", "7", "--out", out]
    r = run_main(main, *cmd)
    assert r.returncode == 0, r.stderr
    first = np.load(out)["samples"]
    assert first.shape == (6, 8, 8) and f"{SDE} 7 steps" in r.stdout
    assert run_main(main, *cmd).returncode == 0 and np.array_equal(np.load(out)["samples"], first)  # seeded
    assert run_main(main, *cmd, "--seed", "1").returncode == 0 and not np.array_equal(np.load(out)["samples"], first)
    r = run_main(main, *cmd, "--eta", "0.5")
    assert r.returncode == 2 and "eta must be 0" in r.stderr

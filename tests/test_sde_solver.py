"""The stochastic solvers of the one sampling loop. SDE-DPM-Solver++(2M) ("dpm++2m-sde"): seeded noise, one
step per network call, what it reduces to, its one-line errors, and that it works for every kind of
eps-model (its oracle against diffusers: test_solver_oracles.py; its command line: test_solvers.py). EDM's churn for
Heun ("heun-churn"): without churn it is Heun, and with it it is EDM's Algorithm 2 (the loop of NVlabs/edm's
edm_sampler, written here in its own form) given the same noise."""

import numpy as np
import pytest
import torch

from diffusion.core.guidance import GuidedEps
from diffusion.core.sample import SAMPLERS, SDE_SOLVERS, Churn, sample, sample_steps
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


@pytest.mark.parametrize("sampler", SDE_SOLVERS)
def test_stochastic_solvers_inpaint_and_start_midway(quick_model, sampler):
    tm = quick_model
    known = torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8).repeat(2, 1, 1, 1)
    mask = torch.zeros_like(known); mask[..., :4, :] = 1
    tr = sample(tm.model, tm.schedule, tm.noise(2, 0), sampler, 7, 0.0, gen(0), known=known, mask=mask)
    np.testing.assert_allclose(tr.final[..., :4, :], known.numpy()[..., :4, :], atol=1e-6)
    assert np.abs(tr.final[..., 4:, :] - known.numpy()[..., 4:, :]).max() > 0.1     # the free region is sampled
    tr = sample(tm.model, tm.schedule, tm.noise(2, 0), sampler, 5, 0.0, gen(0), start=300)
    assert len(tr.timesteps) == 5 and np.isfinite(tr.final).all()
    # from t = 300 (sigma ~ 0.6, inside EDM's churn range) the churn first noises up to a later step
    assert tr.timesteps[0] == 300 if sampler == SDE else tr.timesteps[0] > 300


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


# --- EDM's churn ------------------------------------------------------------------------------

def toy_eps(x, t):
    tt = t.to(x.dtype).reshape(-1, *([1] * (x.ndim - 1))) / 1000
    return torch.tanh(1.5 * x * (1 - 0.6 * tt) + torch.sin(3 * tt + x)) * (0.4 + 0.6 * tt)


def edm_sampler(eps_model, s, x_T, nfe, churn, noise_seed):
    """EDM Algorithm 2 as NVlabs/edm's edm_sampler writes it, over sigma with the denoiser
    D(x_bar; sigma) = x_bar - sigma eps(x_bar sqrt(alpha_bar), t): the network at the trained step t of
    each sigma (round_sigma: the nearest trained step), odd nfe = Heun on every interval but the last.
    Noise drawn (from noise_seed) only where gamma raises sigma, as the loop under test draws it."""
    n_steps = nfe // 2 + 1
    ts = s.timesteps(n_steps)
    t_steps = [s.ode_sigma(t) for t in ts] + [0.0]
    step_of = lambda sig: s.step_at_sigma(sig)
    round_sigma = lambda sig: s.ode_sigma(step_of(sig))

    def denoise(x_bar, sig):
        t = step_of(sig)
        scale = s.ab_at(t) ** 0.5
        return x_bar - sig * toy_eps(x_bar * scale, torch.full((len(x_bar),), t, dtype=torch.long))

    gen = torch.Generator().manual_seed(noise_seed)
    x_next = x_T / s.ab_at(ts[0]) ** 0.5
    for i, (t_cur, t_next) in enumerate(zip(t_steps[:-1], t_steps[1:])):
        x_cur = x_next
        gamma = min(churn.s_churn / n_steps, np.sqrt(2) - 1) if churn.s_tmin <= t_cur <= churn.s_tmax else 0
        t_hat = max(round_sigma(t_cur + gamma * t_cur), t_cur)
        x_hat = x_cur
        if t_hat > t_cur:
            x_hat = x_cur + (t_hat ** 2 - t_cur ** 2) ** 0.5 * churn.s_noise * torch.randn(x_cur.shape, generator=gen)
        d_cur = (x_hat - denoise(x_hat, t_hat)) / t_hat
        x_next = x_hat + (t_next - t_hat) * d_cur
        if i < n_steps - 1:
            d_prime = (x_next - denoise(x_next, t_next)) / t_next
            x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime)
    return x_next


@pytest.mark.parametrize("nfe", [5, 11])
@pytest.mark.parametrize("churn", [Churn(), Churn(s_churn=3, s_tmin=0.2, s_tmax=20, s_noise=1.0)])
def test_heun_churn_is_edm_algorithm_2(nfe, churn):
    s = NoiseSchedule("linear", 1000)
    x_T = torch.randn(6, 1, 4, 4, generator=gen(nfe))
    ref = edm_sampler(toy_eps, s, x_T, nfe, churn, noise_seed=9)
    ours = sample(toy_eps, s, x_T, "heun-churn", nfe, 0.0, gen(9), clip_x0=False, record=False, churn=churn)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)
    plain = sample(toy_eps, s, x_T, "heun", nfe, clip_x0=False, record=False)
    assert (plain - ref).abs().max() > 1e-2                       # the churn changed the result: the test sees it


@pytest.mark.parametrize("nfe", [1, 2, 5, 10])
def test_heun_churn_without_churn_is_heun(quick_model, nfe):
    tm = quick_model
    a = sample(tm.model, tm.schedule, tm.noise(3, 0), "heun", nfe)
    b = sample(tm.model, tm.schedule, tm.noise(3, 0), "heun-churn", nfe, 0.0, gen(1), churn=Churn(s_churn=0))
    assert list(a.timesteps) == list(b.timesteps) and b.stages == a.stages
    # float32 in x_bar = x / sqrt(alpha_bar) (~157 at t = T - 1), summed in another order: ~1e-4; noise would be ~1
    np.testing.assert_allclose(a.x, b.x, atol=1e-3)


def test_heun_churn_calls_above_the_grid_where_it_churns(quick_model):
    """With churn every churned interval starts at a higher trained step than Heun's grid (sigma raised by
    1 + gamma, gamma = sqrt(2) - 1 at EDM's s_churn = 40 over 6 intervals); the first (sigma ~ 157 > s_tmax)
    and the last (sigma ~ 0.01 < s_tmin) are not churned; still one Step per call."""
    tm = quick_model
    tr = sample(tm.model, tm.schedule, tm.noise(3, 0), "heun-churn", 11, 0.0, gen(1))
    grid = tm.schedule.timesteps(6)
    starts = [int(t) for t, st in zip(tr.timesteps, tr.stages) if st != "correct"]
    assert len(tr.timesteps) == 11 and starts[0] == grid[0] and starts[-1] == grid[-1]
    for t, g in zip(starts[1:-1], grid[1:-1]):
        assert t > g
        ratio = tm.schedule.ode_sigma(t) / tm.schedule.ode_sigma(g)
        assert abs(ratio - np.sqrt(2)) < 0.02
    again = sample(tm.model, tm.schedule, tm.noise(3, 0), "heun-churn", 11, 0.0, gen(1))
    np.testing.assert_array_equal(tr.final, again.final)                    # seeded


def test_churn_bad_settings_are_one_line_errors(quick_model):
    tm = quick_model
    for make, words in ((lambda: Churn(s_churn=-1), "s_churn >= 0"), (lambda: Churn(s_tmin=2, s_tmax=1), "s_tmin"),
                        (lambda: next(sample_steps(tm.model, tm.schedule, tm.noise(1, 0), "heun", 5, churn=Churn())),
                         "heun-churn sampler"),
                        (lambda: next(sample_steps(tm.model, tm.schedule, tm.noise(1, 0), "heun-churn", 5, eta=0.5)),
                         "eta must be 0")):
        with pytest.raises(ValueError, match=words) as e:
            make()
        assert "\n" not in str(e.value)

"""The 1D mixture: closed-form marginals against simulation, the exact eps, the MLP model and its
trajectories through the shared sampler."""

import numpy as np
import pytest
import torch
from scipy import stats

from diffusion.core.sample import sample
from diffusion.core.schedule import NoiseSchedule
from diffusion.models import get_model
from diffusion.models.toy1d.mixture import (ExactEps, Mixture, exact_eps, get_toy1d_trajectory,
                             marginal, marginal_cdf, marginal_pdf, mode_boundary, mode_weights, sample_marginal,
                             sample_mixture, sample_toy1d, wasserstein1)

MIX = Mixture()
SCHED = NoiseSchedule("linear", 1000)
TS = (0, 49, 199, 499, 999)


@pytest.fixture(scope="module")
def quick():
    return get_model("toy1d", "quick", progress=False)


def test_marginal_parameters_at_the_ends():
    w, mu, s = marginal(MIX, 1.0)
    assert np.allclose(mu, MIX.means) and np.allclose(s, MIX.stds) and np.allclose(w, MIX.weights)
    _, mu, s = marginal(MIX, 0.0)
    assert np.allclose(mu, 0) and np.allclose(s, 1)


def test_marginal_pdf_integrates_to_one():
    x = np.linspace(-12, 12, 20001)
    for t in (-1,) + TS:
        assert abs(np.trapezoid(marginal_pdf(MIX, SCHED, t, x), x) - 1) < 1e-6


@pytest.mark.parametrize("t", TS)
def test_closed_form_marginal_matches_add_noise_samples(t):
    gen = torch.Generator().manual_seed(t)
    x0 = sample_mixture(MIX, 20000, gen)
    x_t = SCHED.add_noise(x0, t, torch.randn(x0.shape, generator=gen))[:, 0].numpy()
    assert wasserstein1(x_t, MIX, SCHED, t) < 0.03
    assert stats.kstest(x_t, lambda x: marginal_cdf(MIX, SCHED, t, x)).pvalue > 1e-3


def test_closed_form_marginal_matches_the_markov_chain():
    """Run q(x_t | x_{t-1}) one step at a time and compare with the closed form at several t."""
    gen = torch.Generator().manual_seed(0)
    x = sample_mixture(MIX, 20000, gen)
    for t in range(SCHED.T):
        x = SCHED.forward_step(x, t, torch.randn(x.shape, generator=gen))
        if t in TS:
            assert wasserstein1(x.numpy(), MIX, SCHED, t) < 0.03, t


def test_distance_detects_the_wrong_marginal():
    """The tolerance above is tight enough to fail: samples at t = 199 do not pass as t = 499."""
    x = sample_marginal(MIX, SCHED, 199, 20000, seed=1)
    assert wasserstein1(x, MIX, SCHED, 199) < 0.03
    assert wasserstein1(x, MIX, SCHED, 499) > 0.1
    assert wasserstein1(x, MIX, SCHED, 499) > 5 * wasserstein1(x, MIX, SCHED, 199)


def test_exact_eps_is_minus_scaled_score():
    x = torch.linspace(-4, 4, 201, dtype=torch.float64)[:, None]
    for t in (10, 300, 900):
        h = 1e-4
        logp = lambda v: np.log(marginal_pdf(MIX, SCHED, t, v))
        score = (logp(x[:, 0].numpy() + h) - logp(x[:, 0].numpy() - h)) / (2 * h)
        expected = -np.sqrt(1 - SCHED.alpha_bar[t].item()) * score
        assert np.allclose(exact_eps(MIX, SCHED, x, t)[:, 0].numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("sampler,steps", [("ddim", 50), ("ddpm", 1000)])
def test_shared_sampler_with_exact_eps_recovers_the_mixture(sampler, steps):
    x_T = torch.randn((4000, 1), generator=torch.Generator().manual_seed(0))
    x = sample(ExactEps(MIX, SCHED), SCHED, x_T, sampler, steps, 0.0, torch.Generator().manual_seed(1),
               record=False, clip_x0=False)
    assert x.shape == (4000, 1)
    assert wasserstein1(x.numpy(), MIX) < 0.06
    assert np.abs(mode_weights(x.numpy(), MIX) - MIX.weights).max() < 0.03


def test_ddim_paths_do_not_cross_and_ddpm_paths_do():
    x_T = torch.randn((300, 1), generator=torch.Generator().manual_seed(0))
    model = ExactEps(MIX, SCHED)
    ddim = sample(model, SCHED, x_T, "ddim", 100, clip_x0=False)
    ddpm = sample(model, SCHED, x_T, "ddpm", 1000, generator=torch.Generator().manual_seed(1), clip_x0=False)
    order = np.argsort(x_T[:, 0].numpy())
    assert (np.diff(ddim.x[:, order, 0], axis=1) > 0).all()            # order kept at every step
    assert (np.diff(ddpm.final[order, 0]) < 0).sum() > 50               # many neighbours swapped


def test_mode_weights_and_boundary():
    b = mode_boundary(MIX)
    assert MIX.means[0] < b < MIX.means[1]
    x = sample_marginal(MIX, SCHED, -1, 20000, seed=2)
    assert np.abs(mode_weights(x, MIX) - MIX.weights).max() < 0.01
    assert np.allclose(mode_weights(np.array([-5.0, -5.0, 5.0, 5.0]), MIX), [0.5, 0.5])


def test_invalid_mixture_rejected():
    with pytest.raises(ValueError):
        marginal(Mixture(weights=(0.5, 0.6)), 1.0)
    with pytest.raises(ValueError):
        marginal(Mixture(stds=(0.3, 0.0)), 1.0)


def test_quick_model_is_cached_and_learns_the_mixture(quick):
    assert quick.history["loss"][-1] < quick.history["loss"][0]
    x = sample_toy1d(quick, 3000, seed=0, sampler="ddim", steps=50, record=False)
    assert x.shape == (3000, 1)
    assert wasserstein1(x.numpy(), MIX) < 0.25          # quick: seconds of training; the bench holds the default
    assert np.abs(mode_weights(x.numpy(), MIX) - MIX.weights).max() < 0.1


def test_trajectory_shapes_and_ddim_determinism(quick):
    tr = get_toy1d_trajectory(quick, n=32, seed=3, sampler="ddim", steps=20)
    assert tr.x.shape == (21, 32, 1) and tr.eps_hat.shape == (20, 32, 1) and tr.x0_hat.shape == (20, 32, 1)
    assert list(tr.timesteps) == SCHED.timesteps(20)
    again = sample_toy1d(quick, 32, seed=3, sampler="ddim", steps=20)
    assert np.array_equal(tr.x, again.x)                 # bitwise: cache and fresh run agree
    ddpm = get_toy1d_trajectory(quick, n=8, seed=3, sampler="ddpm", steps=None)
    assert ddpm.x.shape == (SCHED.T + 1, 8, 1) and ddpm.sampler == "ddpm"
    assert np.array_equal(ddpm.x[0], quick.noise(8, 3).numpy())  # x_T from the seed


def test_state_at_and_marginal_w1_along(quick):
    tr = get_toy1d_trajectory(quick, n=32, seed=3, sampler="ddim", steps=20)
    from diffusion.models.toy1d.mixture import density_grid, marginal_w1_along, state_at
    assert np.array_equal(state_at(tr, 999), tr.x[0][:, 0]) and np.array_equal(state_at(tr, -1), tr.final[:, 0])
    with pytest.raises(ValueError):
        state_at(tr, 998)
    w = marginal_w1_along(tr, MIX, SCHED, [999, -1])
    assert w.shape == (2,) and np.all(w > 0)
    g = density_grid(MIX, SCHED, [999, -1], np.linspace(-3, 3, 7))
    assert g.shape == (2, 7) and np.allclose(g[1], marginal_pdf(MIX, SCHED, -1, np.linspace(-3, 3, 7)))


def test_order_flip_share():
    from diffusion.models.toy1d.mixture import order_flip_share
    x = np.arange(10.0)
    assert order_flip_share(x, 2 * x + 1) == pytest.approx(0.0, abs=1e-12)
    assert order_flip_share(x, -x) == pytest.approx(1.0)
    assert order_flip_share(x, np.r_[x[:8], x[9], x[8]]) == pytest.approx(1 / 45)

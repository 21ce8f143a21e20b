"""The 2D spiral: closed-form score and eps* against independent derivations, DDIM against the
accurately solved probability-flow ODE, the distances, and the quick model's training and sampling."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from diffusion.core.sample import sample
from diffusion.core.schedule import NoiseSchedule
from diffusion.core import engine
from diffusion.models import get_model, get_recipe
from diffusion.models.toy2d.config import TOY2D_PRESETS
from diffusion.models.toy2d.mixture import (ExactEps, Spiral, alpha_bar_at, axis_marginal_pdf, exact_eps, log_density,
                                            marginal, sample_marginal, sample_mixture, score)
from diffusion.models.toy2d.flow import (exact_eps_fn, get_toy2d_trajectory, model_eps_fn, ode_sample, sample_toy2d,
                                  one_thread, segment_crossings, sigma_of)
from diffusion.models.toy2d.measure import (distances_to_mixture, energy_distance, error_by_density, field_error,
                                     fields_on_grid, floor, sliced_wasserstein)

MIX = Spiral()
SCHED = NoiseSchedule("linear", 1000)
TS = (0, 49, 199, 499, 999)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one torch thread is faster, and much faster on a busy machine."""
    with one_thread():
        yield


@pytest.fixture(scope="module")
def quick():
    return get_model("toy2d", TOY2D_PRESETS["quick"], progress=False)      # the run's one cache (conftest.py)


def test_spiral_components_are_separated_and_centred_on_the_spiral():
    w, mu, s = MIX.params()
    assert w.shape == (12,) and mu.shape == (12, 2) and np.isclose(w.sum(), 1)
    d = np.linalg.norm(mu[:, None] - mu[None], axis=-1) + np.eye(12) * 99
    assert d.min() > 5 * MIX.std                                  # visibly separate blobs
    r = np.linalg.norm(mu, axis=1)
    assert np.isclose(r[0], MIX.r_start, atol=1e-3) and np.isclose(r[-1], MIX.r_end, atol=1e-3)
    with pytest.raises(ValueError):
        Spiral(std=0.0).params()


@pytest.mark.parametrize("t", TS)
def test_closed_form_marginal_matches_add_noise_samples(t):
    gen = torch.Generator().manual_seed(t)
    x0 = sample_mixture(MIX, 10000, gen)
    x_t = SCHED.add_noise(x0, t, torch.randn(x0.shape, generator=gen)).numpy()
    exact = sample_marginal(MIX, SCHED, t, 10000, seed=100 + t)
    other = sample_marginal(MIX, SCHED, t + 150 if t + 150 < SCHED.T else 499, 10000, seed=200 + t)
    assert sliced_wasserstein(x_t, exact) < 0.03
    assert sliced_wasserstein(x_t, other) > 2 * sliced_wasserstein(x_t, exact)   # the check can fail
    # the x-coordinate's exact 1D density against the histogram
    edges = np.linspace(-4, 4, 41)
    hist, _ = np.histogram(x_t[:, 0], edges, density=True)
    mid = (edges[1:] + edges[:-1]) / 2
    assert np.abs(hist - axis_marginal_pdf(MIX, alpha_bar_at(SCHED, t), mid)).max() < 0.08


def test_log_density_integrates_to_one():
    u = np.linspace(-6, 6, 301)
    gx, gy = np.meshgrid(u, u)
    pts = np.stack([gx.ravel(), gy.ravel()], 1)
    for ab in (1.0, 0.5, 0.01):
        p = np.exp(log_density(MIX, pts, ab).numpy()).reshape(gx.shape)
        assert abs(np.trapezoid(np.trapezoid(p, u, axis=1), u) - 1) < 1e-4


@pytest.mark.parametrize("t", (0, 30, 300, 900))
def test_closed_form_score_is_the_gradient_of_log_q(t):
    """Central finite differences of log q_t (h = 1e-5) against the closed-form score."""
    ab = alpha_bar_at(SCHED, t)
    x = torch.from_numpy(sample_marginal(MIX, SCHED, t, 500, seed=t) * 1.3).double()   # also between the arms
    h = 1e-5
    fd = torch.stack([(log_density(MIX, x + h * e, ab) - log_density(MIX, x - h * e, ab)) / (2 * h)
                      for e in torch.eye(2, dtype=torch.float64)], 1)
    s = score(MIX, x, ab)
    assert torch.allclose(s, fd, rtol=1e-5, atol=1e-4 * max(1.0, float(s.abs().max())) * 1e-2)


@pytest.mark.parametrize("t", (10, 300, 900))
def test_eps_star_is_minus_scaled_score(t):
    """eps*(x_t, t) (what the sampler and the ScoreField arrows use) = -sqrt(1 - ab_t) grad log q_t, with
    the gradient by finite differences of log q_t — the identity on screen."""
    ab = alpha_bar_at(SCHED, t)
    x = torch.from_numpy(sample_marginal(MIX, SCHED, t, 300, seed=t)).double()
    h = 1e-5
    fd = torch.stack([(log_density(MIX, x + h * e, ab) - log_density(MIX, x - h * e, ab)) / (2 * h)
                      for e in torch.eye(2, dtype=torch.float64)], 1)
    assert torch.allclose(exact_eps(MIX, SCHED, x, t), -np.sqrt(1 - ab) * fd, atol=1e-6)


def test_eps_star_is_the_conditional_mean_of_the_noise():
    """E[eps | x_t] = eps*: the residual eps - eps*(x_t) is uncorrelated with functions of x_t (Monte
    Carlo, 4 standard errors); a wrongly scaled eps* fails the same check."""
    t, n = 300, 200_000
    gen = torch.Generator().manual_seed(0)
    x0 = sample_mixture(MIX, n, gen).double()
    eps = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
    x_t = SCHED.add_noise(x0, t, eps)
    e_star = exact_eps(MIX, SCHED, x_t, t)
    ab = alpha_bar_at(SCHED, t)
    wrong = -np.sqrt(ab) * score(MIX, x_t, ab)                       # sqrt(ab) instead of sqrt(1 - ab)

    def worst_z(pred):
        r = eps - pred
        zs = []
        for g in (torch.ones(n, dtype=torch.float64), x_t[:, 0], x_t[:, 1], e_star[:, 0], e_star[:, 1]):
            for c in range(2):
                v = r[:, c] * g
                zs.append(abs(float(v.mean())) / (float(v.std()) / np.sqrt(n)))
        return max(zs)

    assert worst_z(e_star) < 4
    assert worst_z(wrong) > 20


def test_ddim_step_is_eq_12_with_sigma_eta():
    """DDIM eq. 12 as shown in ProbabilityFlow, written out from alpha_bar alone, against ddim_step."""
    gen = torch.Generator().manual_seed(0)
    x_t = torch.randn((64, 2), generator=gen, dtype=torch.float64)
    eps = torch.randn((64, 2), generator=gen, dtype=torch.float64)
    z = torch.randn((64, 2), generator=gen, dtype=torch.float64)
    for t, t_prev in ((999, 799), (500, 499), (120, 0), (40, -1)):
        for eta in (0.0, 0.5, 1.0):
            a_t = float(SCHED.alpha_bar[t]); a_p = float(SCHED.alpha_bar[t_prev]) if t_prev >= 0 else 1.0
            sig = eta * np.sqrt((1 - a_p) / (1 - a_t)) * np.sqrt(1 - a_t / a_p)
            x0 = (x_t - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
            expected = np.sqrt(a_p) * x0 + np.sqrt(1 - a_p - sig ** 2) * eps + sig * z
            got, _ = SCHED.ddim_step(x_t, t, t_prev, eps, eta, z, clip_x0=False)
            assert torch.allclose(got, expected, atol=1e-10), (t, t_prev, eta)


def test_ddim_converges_to_the_accurately_solved_ode():
    """DDIM eta = 0 is Euler on the probability-flow ODE: with the exact eps*, its endpoints approach
    the RK45 solution (rtol 1e-8) as the steps grow, to within 0.02 at 1000 steps."""
    x_T = torch.randn((100, 2), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ref = ode_sample(exact_eps_fn(MIX), SCHED, x_T, rtol=1e-8, atol=1e-8)[-1]
    err = {}
    for steps in (10, 100, 1000):
        x = sample(ExactEps(MIX, SCHED), SCHED, x_T, "ddim", steps, record=False, clip_x0=False).numpy()
        err[steps] = float(np.linalg.norm(x - ref, axis=1).mean())
    assert err[10] > err[100] > err[1000]
    assert err[1000] < 0.02 and err[10] > 5 * err[1000]
    # and the ODE keeps the marginals: its samples are as close to the data as exact draws
    x_T = torch.randn((1000, 2), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x0 = ode_sample(exact_eps_fn(MIX), SCHED, x_T, rtol=1e-4, atol=1e-4)[-1]
    assert distances_to_mixture(x0, MIX)["sw1"] < 2.5 * floor(MIX, 1000)["sw1"]


def test_ode_states_at_requested_steps():
    x_T = torch.randn((50, 2), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = ode_sample(exact_eps_fn(MIX), SCHED, x_T, [999, 500, -1])
    assert out.shape == (3, 50, 2) and np.allclose(out[0], x_T.numpy(), atol=1e-9)
    with pytest.raises(ValueError):
        ode_sample(exact_eps_fn(MIX), SCHED, x_T, [-1, 999])
    assert np.all(np.diff(sigma_of(SCHED)) > 0)


def test_segment_crossings():
    a = np.array([[[0.0, 0.0], [1.0, 0.0]], [[1.0, 1.0], [0.0, 1.0]]])      # two particles swap in one step
    assert segment_crossings(a) == 1
    b = np.array([[[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 1.0]]])      # move side by side
    assert segment_crossings(b) == 0


def test_ode_paths_do_not_cross_and_ddpm_paths_do():
    x_T = torch.randn((100, 2), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    steps = SCHED.timesteps(200)
    ode = ode_sample(exact_eps_fn(MIX), SCHED, x_T, steps + [-1])
    ddpm = sample(ExactEps(MIX, SCHED), SCHED, x_T, "ddpm", 1000, generator=torch.Generator().manual_seed(1),
                  clip_x0=False)
    assert segment_crossings(ode) == 0
    assert segment_crossings(ddpm.x[np.r_[np.arange(0, 1000, 5), 1000]]) > 20       # every 5th state: the same 200-step grid


def test_distances():
    a = sample_marginal(MIX, SCHED, -1, 2000, seed=1)
    b = sample_marginal(MIX, SCHED, -1, 2000, seed=2)
    assert sliced_wasserstein(a, a) == 0 and abs(energy_distance(a, a)) < 1e-12
    base = sliced_wasserstein(a, b)
    assert sliced_wasserstein(a, b + np.array([0.5, 0.0])) > 5 * base
    assert energy_distance(a, b + 0.5) > 5 * energy_distance(a, b)
    with pytest.raises(ValueError):
        sliced_wasserstein(a, b[:10])


def test_training_is_seeded():
    cfg = replace(TOY2D_PRESETS["quick"], steps=40)
    def train_toy2d(config):
        return engine.train(get_recipe("toy2d"), config, progress=False)

    a, b = train_toy2d(cfg), train_toy2d(cfg)
    assert a["history"]["loss"] == b["history"]["loss"]
    assert all(torch.equal(a["ema"][k], b["ema"][k]) for k in a["ema"])
    c = train_toy2d(replace(cfg, seed=1))
    assert a["history"]["loss"] != c["history"]["loss"]


def test_quick_model_learns_the_spiral(quick):
    assert np.mean(quick.history["loss"][-50:]) < np.mean(quick.history["loss"][:50])
    x = sample_toy2d(quick, 2000, seed=0, sampler="ddim", steps=50, record=False)
    assert x.shape == (2000, 2)
    d = distances_to_mixture(x.numpy(), MIX)["sw1"]
    noise = distances_to_mixture(quick.noise(2000, 5).numpy(), MIX)["sw1"]
    assert d < 0.5 * noise                      # quick: seconds of training; the bench holds the default


def test_trajectory_and_learned_ode(quick):
    tr = get_toy2d_trajectory(quick, n=32, seed=3, sampler="ddim", steps=20)
    assert tr.x.shape == (21, 32, 2) and list(tr.timesteps) == SCHED.timesteps(20)
    again = sample_toy2d(quick, 32, seed=3, sampler="ddim", steps=20)
    assert np.array_equal(tr.x, again.x)
    # the learned field's ODE (fractional t) and DDIM with all 1000 steps end close together
    ode = ode_sample(model_eps_fn(quick.model, quick.schedule), SCHED, quick.noise(16, 3), rtol=1e-4, atol=1e-4)[-1]
    ddim = sample_toy2d(quick, 16, seed=3, sampler="ddim", steps=1000, record=False).numpy()
    ddim20 = sample_toy2d(quick, 16, seed=3, sampler="ddim", steps=20, record=False).numpy()
    assert np.linalg.norm(ode - ddim, axis=1).mean() < 0.05
    assert np.linalg.norm(ode - ddim, axis=1).mean() < np.linalg.norm(ode - ddim20, axis=1).mean()


def test_field_error_and_where(quick):
    fe = field_error(quick, [999, 500, 50], n=500)
    assert fe["mse"].shape == (3,) and np.all(fe["mse"] > 0) and np.all(fe["rel"] > 0)
    f = fields_on_grid(quick, [500, 50], lim=2.5, n=9)
    assert f["eps_hat"].shape == (2, 81, 2) and f["log_q"].shape == (2, 81)
    assert np.allclose(f["eps_star"][1], exact_eps(MIX, SCHED, torch.from_numpy(f["points"]), 50).numpy())
    w = error_by_density(f)
    assert w["high_density"].shape == (2,) and np.all(np.isfinite(w["high_density"]))

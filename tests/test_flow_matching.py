"""Flow matching: the path's formulas, the exact velocity of the 2D mixture (Monte Carlo, the continuity
equation), the trained quick model against it, the link to the diffusion's eps*, and the CLI."""
from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from diffusion.core.path import (FlowPath, eps_from_velocity, flow_scale, flow_time_at, matching_alpha_bar,
                                 velocity_from_eps)
from diffusion.core.sample import sample, sample_steps
from diffusion.core.schedule import NoiseSchedule
from diffusion.models.toy2d.mixture import ExactEps, Spiral, exact_eps_ab, sample_mixture
from diffusion.models.toy2d_fm.velocity import (ExactVelocity, exact_velocity, flow_log_density,
                                                sample_flow_marginal)

MIX = Spiral()


def _wrong_velocity(mix, x, t):
    """A plausible slip: the posterior mean of x_0 taken as the component mean (no shrinkage toward x)."""
    from diffusion.models.toy2d_fm import velocity as vel

    x, t, mu, m, var, s2, logits = vel._components(mix, x, t)
    r = torch.softmax(logits, dim=-1)
    return (r[..., None] * ((t / var)[..., None] * (x[:, None, :] - m) - mu)).sum(1)


# --- the path ------------------------------------------------------------------------------------

def test_flow_path_ends_and_inverses():
    path = FlowPath(1000)
    x0, eps = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    assert path.time(-1) == 0 and path.time(999) == 1
    assert torch.equal(path.add_noise(x0, 999, eps), eps)                 # t = 1: pure noise
    k = torch.tensor([0, 10, 500, 998, 999])
    x_t = path.add_noise(x0, k, eps)
    v = path.velocity(x0, eps)
    assert torch.allclose(path.predict_x0(x_t, k, v), x0) and torch.allclose(path.predict_eps(x_t, k, v), eps)
    assert path.timesteps(4) == [999, 749, 499, 249] and path.timesteps(1000) == list(range(999, -1, -1))
    assert path.timesteps(2, start=499) == [499, 249]
    with pytest.raises(ValueError, match="T must be"):
        FlowPath(0)
    with pytest.raises(ValueError, match="steps must be"):
        path.timesteps(0)


def test_euler_step_is_the_ddim_update_on_the_flow_path():
    """x_s = x_t + (s - t) v equals (1 - s) x0_hat + s eps_hat (DDIM eta = 0 with alpha = 1 - t, sigma = t)."""
    path = FlowPath(1000)
    x, v = torch.randn(7, 2, dtype=torch.float64), torch.randn(7, 2, dtype=torch.float64)
    for k, k_prev in ((999, 899), (499, 249), (99, -1)):
        x_prev, x0_hat, eps_hat = path.euler_step(x, k, k_prev, v)
        s = path.time(k_prev)
        assert torch.allclose(x_prev, (1 - s) * x0_hat + s * eps_hat, atol=1e-12)
        assert torch.allclose(x_prev, x + (s - path.time(k)) * v)


def test_sampling_loop_runs_euler_on_a_flow_path_and_refuses_mixups():
    path = FlowPath(1000)
    v_const = lambda x, k: torch.ones_like(x)                       # dx/dt = 1: x_0 = x_1 - 1 exactly
    x1 = torch.zeros(3, 2)
    steps = list(sample_steps(v_const, path, x1, "euler", 4))
    assert [s.t for s in steps] == path.timesteps(4) and steps[-1].t_prev == -1
    assert torch.allclose(steps[-1].x_prev, x1 - 1)
    assert [s.stage for s in steps] == ["euler"] * 4
    # Heun over t: 5 calls = 2 Heun intervals + 1 Euler interval on t = 1, 2/3, 1/3, 0; exact for v = 1
    heun = list(sample_steps(v_const, path, x1, "heun", 5))
    assert [s.stage for s in heun] == ["predict", "correct", "predict", "correct", "euler"]
    assert [s.t for s in heun] == [999, 666, 666, 332, 332] and torch.allclose(heun[-1].x_prev, x1 - 1)
    tr = sample(v_const, path, x1, "heun", 5)
    assert tr.flow and tr.stages == [s.stage for s in heun]
    with pytest.raises(ValueError, match="unknown sampler 'ddim'"):
        list(sample_steps(v_const, path, x1, "ddim", 4))
    with pytest.raises(ValueError, match="unknown sampler 'euler'"):
        list(sample_steps(v_const, NoiseSchedule(), x1, "euler", 4))
    with pytest.raises(ValueError, match="eta must be 0"):
        list(sample_steps(v_const, path, x1, "euler", 4, eta=0.5))


# --- the exact velocity of the mixture ------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _data_draws() -> torch.Tensor:
    return sample_mixture(MIX, 1_000_000, torch.Generator().manual_seed(1)).double()


@pytest.mark.parametrize("t", [0.15, 0.3, 0.6, 0.9])
def test_exact_velocity_is_the_monte_carlo_posterior_mean(t):
    """u_t(x) = E[eps - x_0 | x_t = x] by self-normalised importance sampling over data draws x_0 (weights
    N(x; (1 - t) x_0, t^2 I)), within 5 standard errors. At small t the estimate resolves the posterior's
    shrinkage toward x: the closed form without it misses by more than 8 standard errors."""
    x0 = _data_draws()
    xs = sample_flow_marginal(MIX, t, 4, seed=3)
    exact, wrong = exact_velocity(MIX, xs, t), _wrong_velocity(MIX, xs, t)
    worst_good, worst_wrong = 0.0, 0.0
    for x, u, bad in zip(xs, exact, wrong):
        eps = (x - (1 - t) * x0) / t
        w = torch.softmax(-0.5 * (eps ** 2).sum(1), 0)
        f = eps - x0
        u_mc = (w[:, None] * f).sum(0)
        se = torch.sqrt((w[:, None] ** 2 * (f - u_mc) ** 2).sum(0))
        worst_good = max(worst_good, float((torch.abs(u_mc - u) / se).max()))
        worst_wrong = max(worst_wrong, float((torch.abs(u_mc - bad) / se).max()))
    assert worst_good < 5, worst_good
    if t <= 0.3:
        assert worst_wrong > 8, worst_wrong


def _continuity_residual(field, t, h=1e-4):
    """(dp/dt + div(p u)) / rms(dp/dt) at draws of p_t, by central differences in t and in x."""
    x = sample_flow_marginal(MIX, t, 300, seed=5)
    p = lambda x, t: torch.exp(flow_log_density(MIX, x, t))
    dp_dt = (p(x, t + h) - p(x, t - h)) / (2 * h)
    div = torch.zeros(len(x), dtype=torch.float64)
    for d in range(2):
        e = torch.zeros(2, dtype=torch.float64); e[d] = h
        flux = lambda y: p(y, t) * field(MIX, y, t)[:, d]
        div += (flux(x + e) - flux(x - e)) / (2 * h)
    return float(torch.sqrt(((dp_dt + div) ** 2).mean() / (dp_dt ** 2).mean()))


@pytest.mark.parametrize("t", [0.1, 0.5, 0.95])
def test_exact_velocity_solves_the_continuity_equation(t):
    """dp_t/dt + div(p_t u_t) = 0: the field moves the path's marginals exactly (residual ~1e-7 of dp/dt);
    the unshrunk slip leaves a residual of 1e-2 and more where t is small."""
    assert _continuity_residual(exact_velocity, t) < 1e-5
    if t <= 0.5:
        assert _continuity_residual(_wrong_velocity, t) > 1e-2


def test_exact_velocity_carries_noise_to_the_data():
    """Euler with the exact field through the shared loop lands on the spiral at 200 steps (sliced W1 to
    exact data draws near the two-sample floor, 0.047 at this size), and not in 1 step (it sends every
    particle to the data's mean)."""
    from diffusion.models.toy2d.measure import distances_to_mixture

    from diffusion.models.toy2d.flow import one_thread

    path = FlowPath(1000)
    x1 = torch.randn((1000, 2), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    model = ExactVelocity(MIX, path)
    with one_thread():
        sw = {s: distances_to_mixture(sample(model, path, x1, "euler", s, record=False).numpy(), MIX)["sw1"]
              for s in (1, 100)}
    assert sw[100] < 0.05 < 0.3 < sw[1], sw


def test_heun_over_t_is_second_order_and_euler_first():
    """With the exact velocity, the error against a 1000-call Heun solve falls with the budget as
    NFE^-1 for Euler and about NFE^-2 for Heun (log-log slopes over 10..80 calls)."""
    from diffusion.models.toy2d.flow import one_thread

    path = FlowPath(1000)
    model = ExactVelocity(MIX, path)
    x1 = torch.randn((200, 2), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    nfes = (10, 20, 40, 80)
    with one_thread():
        ref = sample(model, path, x1, "heun", 1000, record=False)
        slope = {}
        for sampler in ("euler", "heun"):
            err = [float((sample(model, path, x1, sampler, n, record=False) - ref).norm(dim=1).mean()) for n in nfes]
            slope[sampler] = np.polyfit(np.log(nfes), np.log(err), 1)[0]
    assert -1.4 < slope["euler"] < -0.8 and slope["heun"] < -1.5, slope


# --- the link to the diffusion --------------------------------------------------------------------

def test_velocity_and_eps_are_affine_at_matching_snr():
    """u_s(c y) = (eps*(y, ab) - c y) / (1 - s) with s = b / (a + b), c = 1 / (a + b): the exact fields of
    the two models (toy2d's eps* from the score, the flow's u from its posterior) agree to float precision;
    matching equal noise levels s = b instead of equal SNR does not."""
    ab = torch.tensor([0.999, 0.9, 0.5, 0.1, 0.01, 4e-5], dtype=torch.float64)
    y = torch.randn(len(ab), 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 1.3
    s, c = torch.as_tensor(flow_time_at(ab.numpy())), torch.as_tensor(flow_scale(ab.numpy()))
    x = c[:, None] * y
    eps = exact_eps_ab(MIX, y, ab)
    u = exact_velocity(MIX, x, s)
    assert torch.allclose(velocity_from_eps(x, s, eps), u, atol=1e-9, rtol=1e-9)
    assert torch.allclose(eps_from_velocity(x, s, u), eps, atol=1e-9, rtol=1e-9)
    assert np.allclose(matching_alpha_bar(s.numpy()), ab.numpy())
    s_wrong = (1 - ab).sqrt()
    assert not torch.allclose(velocity_from_eps(x, s_wrong, eps), exact_velocity(MIX, x, s_wrong), atol=1e-3)


def test_ddim_and_flow_euler_are_one_ode_family():
    """DDIM (eta = 0) on the diffusion and Euler on the flow, with the exact fields, from matched starts at
    matched SNR times, visit the same states up to the scale c at every step: one ODE, two clocks."""
    sched = NoiseSchedule()
    steps = sched.timesteps(8)
    ab = np.array([sched.alpha_bar[t].item() for t in steps] + [1.0])
    s, c = flow_time_at(ab), flow_scale(ab)
    y = torch.randn(500, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    x = c[0] * y
    for i, (t, t_prev) in enumerate(zip(steps, steps[1:] + [-1])):
        eps = exact_eps_ab(MIX, y, ab[i])
        y, _ = sched.ddim_step(y, t, t_prev, eps, 0.0, None, clip_x0=False)
        x = x + (s[i + 1] - s[i]) * exact_velocity(MIX, x, s[i])          # Euler over t
        assert torch.allclose(x, c[i + 1] * y, atol=1e-9), i
    # the same steps evenly spaced in t instead (the flow's own grid) are another discretisation
    x_grid = c[0] * torch.randn(500, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    grid = np.linspace(s[0], 0, 9)
    for a, b in zip(grid, grid[1:]):
        x_grid = x_grid + (b - a) * exact_velocity(MIX, x_grid, a)
    assert (x_grid - y).abs().max() > 1e-2


# --- the trained model --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quick_fm():
    from diffusion.models import get_model

    return get_model("toy2d-fm", "quick", progress=False)       # the run's one cache (conftest.py)


def _relative_field_error(net, tm, ks=(99, 299, 499, 699, 899, 999), n=2000) -> float:
    errs = []
    for k in ks:
        t = tm.schedule.time(k)
        x = sample_flow_marginal(tm.config.mixture, t, n, seed=k)
        u = exact_velocity(tm.config.mixture, x, t)
        with torch.no_grad():
            v = net(x.float(), torch.full((n,), k)).double()
        errs.append(float(((v - u) ** 2).sum(1).mean() / (u ** 2).sum(1).mean()))
    return float(np.mean(errs))


def test_trained_velocity_field_matches_the_exact_one(quick_fm):
    """The quick toy2d-fm network's E|v - u|^2 / E|u|^2 over t is small; an untrained net's is about 1."""
    from diffusion.models import get_recipe

    trained = _relative_field_error(quick_fm.model, quick_fm)
    untrained = _relative_field_error(get_recipe("toy2d-fm").network(quick_fm.config).eval(), quick_fm)
    assert trained < 0.25 < 0.8 < untrained, (trained, untrained)


def test_flow_twin_trains_on_the_same_draws_as_toy2d():
    """Same data, same network size: toy2d-fm's batches and initial weights are toy2d's."""
    from diffusion.models import get_recipe

    fm, dm = get_recipe("toy2d-fm"), get_recipe("toy2d")
    cf, cd = fm.config("quick"), dm.config("quick")
    a = fm.sample_batch(cf, None, torch.Generator().manual_seed(3))
    b = dm.sample_batch(cd, None, torch.Generator().manual_seed(3))
    assert all(torch.equal(a[k], b[k]) for k in ("x0", "t", "eps"))
    torch.manual_seed(0); na = fm.network(cf)
    torch.manual_seed(0); nb = dm.network(cd)
    assert all(torch.equal(p, q) for p, q in zip(na.parameters(), nb.parameters()))
    assert isinstance(fm.schedule(cf), FlowPath)
    with pytest.raises(ValueError, match="schedule must be 'flow'"):
        fm.schedule(cd)


def test_cli_samples_the_flow_model(quick_fm, tmp_path):
    from diffusion.__main__ import main

    out = tmp_path / "s.npz"
    assert main(["sample", "toy2d-fm", "--preset", "quick", "--n", "8", "--steps", "5", "--out", str(out)]) == 0
    assert np.load(out)["samples"].shape == (8, 2)
    with pytest.raises(SystemExit):
        main(["sample", "toy2d-fm", "--preset", "quick", "--sampler", "ddim", "--out", str(out)])


# --- measured side by side ---------------------------------------------------------------------

def test_straightness_is_one_for_a_line_and_less_for_an_arc():
    from diffusion.studies.flow_compare import straightness

    u = np.linspace(0, 1, 101)[:, None, None]
    line = u * np.array([[3.0, 4.0]])
    arc = np.concatenate([np.cos(u * np.pi / 2), np.sin(u * np.pi / 2)], axis=-1)
    assert np.allclose(straightness(line), 1) and np.allclose(straightness(arc), 2 * np.sqrt(2) / np.pi, atol=1e-4)


def test_flow_euler_at_matching_times_reproduces_ddim_on_the_spiral():
    """The bench's 'one ODE, two clocks' figure: float64 round-off, and far from it with the flow's own grid."""
    from diffusion.models import get_model
    from diffusion.studies.flow_compare import same_ode_check

    check = same_ode_check(get_model("toy2d", "quick", progress=False), nfe=5, n=300)
    assert check["max_abs_diff"] < 1e-9 and check["scale"] > 1


def test_one_reflow_round_straightens_the_paths_and_improves_one_step_samples(quick_fm):
    """toy2d-reflow (quick) against its teacher toy2d-fm (quick): straighter 50-step Euler paths and a lower
    1-step SW1; the untrained reflow network is neither."""
    from diffusion.models import get_model, get_recipe
    from diffusion.models.toy2d.flow import one_thread
    from diffusion.models.toy2d.measure import distances_to_mixture
    from diffusion.studies.flow_compare import straightness

    rf = get_model("toy2d-reflow", "quick", progress=False)
    untrained = get_recipe("toy2d-reflow").network(rf.config).eval()
    x1 = rf.noise(500, 3)

    def measure(net):
        with one_thread():
            path = sample(net, rf.schedule, x1, "euler", 50).x
            one = sample(net, rf.schedule, x1, "euler", 1, record=False).numpy()
        return float(straightness(path).mean()), distances_to_mixture(one, MIX)["sw1"]

    (s_rf, w_rf), (s_fm, w_fm), (s_un, w_un) = measure(rf.model), measure(quick_fm.model), measure(untrained)
    assert s_rf > 0.9 > s_fm and w_rf < 0.5 * w_fm, (s_rf, s_fm, w_rf, w_fm)
    assert w_un > 2 * w_rf

"""FlowMatching's claims and formulas: each claim holds on the quick models and fails on a plausible wrong
input (an untrained network, a wrong time map); the link on screen is the library's map."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from diffusion.core.path import flow_scale, flow_time_at, velocity_from_eps
from diffusion.models import get_model, get_recipe
from diffusion.models.toy2d.flow import one_thread
from diffusion.models.toy2d.measure import distances_to_mixture
from diffusion.models.toy2d.mixture import exact_eps_ab
from diffusion.models.toy2d_fm.velocity import exact_velocity
from diffusion.studies.flow_compare import run, same_ode_check, straightness
from scenes.kit.data import flow_matching as F


@pytest.fixture(scope="module")
def models():
    return {name: get_model(name, "quick", progress=False) for name in ("toy2d", "toy2d-fm", "toy2d-reflow")}


def untrained(tm):
    torch.manual_seed(0)
    return get_recipe(tm.name).network(tm.config).eval()


def test_learned_velocity_claim_holds_and_fails_untrained(models):
    fm = models["toy2d-fm"]
    good = F.velocity_fields(fm.model, fm.config.mixture, fm.schedule)["rel"].mean()
    bad = F.velocity_fields(untrained(fm), fm.config.mixture, fm.schedule)["rel"].mean()
    assert F.field_claim(good).holds and not F.field_claim(bad).holds, (good, bad)


def _sw_ratio(tm, net, nfe, n=1000):
    from diffusion.models.toy2d.measure import floor

    with one_thread():
        x = run(tm, None, n, 0, nfe, record=False) if net is None else _run_net(tm, net, n, nfe)
    return distances_to_mixture(x.numpy(), tm.config.mixture)["sw1"] / floor(tm.config.mixture, n)["sw1"]


def _run_net(tm, net, n, nfe):
    from diffusion.core.sample import sample
    from diffusion.studies.flow_compare import ode_sampler

    return sample(net, tm.schedule, tm.noise(n, 0), ode_sampler(tm.schedule), nfe, record=False, clip_x0=False)


def test_few_step_claim_holds_and_fails_for_an_untrained_flow(models):
    """An untrained flow barely moves its noise: it can beat the quick diffusion at 5 calls (whose samples are
    further from the data than the noise) but not the noise itself, which the claim also asks."""
    from diffusion.models.toy2d.measure import floor

    fm = models["toy2d-fm"]
    noise = distances_to_mixture(fm.noise(1000, 0).numpy(), fm.config.mixture)["sw1"] / floor(fm.config.mixture, 1000)["sw1"]
    d = _sw_ratio(models["toy2d"], None, F.FEW_NFE)
    f = _sw_ratio(fm, None, F.FEW_NFE)
    f_bad = _sw_ratio(fm, untrained(fm), F.FEW_NFE)
    assert F.few_step_claim(dict(flow={F.FEW_NFE: f}, diffusion={F.FEW_NFE: d}), noise).holds, (f, d, noise)
    assert not F.few_step_claim(dict(flow={F.FEW_NFE: f_bad}, diffusion={F.FEW_NFE: d}), noise).holds, (f_bad, d)


def test_reflow_claim_holds_and_fails_for_an_untrained_reflow(models):
    fm, rf = models["toy2d-fm"], models["toy2d-reflow"]

    def figures(tm, net):
        from diffusion.core.sample import sample

        with one_thread():
            xs = sample(net, tm.schedule, tm.noise(300, 0), "euler", 50).x
        return float(straightness(xs).mean()), _sw_ratio(tm, net, 1, n=500)

    """An untrained reflow net barely moves: straight paths, but its one step stays at the noise."""
    from diffusion.models.toy2d.measure import floor

    s_fm, q_fm = figures(fm, fm.model)
    s_rf, q_rf = figures(rf, rf.model)
    s_un, q_un = figures(rf, untrained(rf))
    noise = distances_to_mixture(rf.noise(500, 0).numpy(), rf.config.mixture)["sw1"] / floor(rf.config.mixture, 500)["sw1"]
    assert F.reflow_claim(dict(reflow=s_rf, flow=s_fm), dict(reflow={1: q_rf}, flow={1: q_fm}), noise).holds
    assert not F.reflow_claim(dict(reflow=s_un, flow=s_fm), dict(reflow={1: q_un}, flow={1: q_fm}), noise).holds


def test_same_ode_claim_fails_with_equal_noise_levels_instead_of_equal_snr(models):
    good = same_ode_check(models["toy2d"], nfe=5, n=300)["max_abs_diff"]
    bad = same_ode_check(models["toy2d"], nfe=5, n=300, time_map=lambda ab: np.sqrt(1 - ab))["max_abs_diff"]
    assert F.same_ode_claim(good).holds and not F.same_ode_claim(bad).holds, (good, bad)


def test_link_claim_fails_with_equal_noise_levels_instead_of_equal_snr(models):
    mix = models["toy2d-fm"].config.mixture
    assert F.link_claim(F.link_gap(mix)).holds
    assert not F.link_claim(F.link_gap(mix, time_map=lambda ab: np.sqrt(1 - ab))).holds


def test_link_on_screen_is_the_library_map():
    """s = sigma / (alpha + sigma), x_flow = x_t / (alpha + sigma), u_s(x_flow) = (eps*(x_t, t) - x_flow) / (1 - s),
    written out as on screen, equals the library's flow_time_at, flow_scale and velocity_from_eps, and the
    exact u of the flow path."""
    from diffusion.models.toy2d.mixture import Spiral

    mix = Spiral()
    for ab in (0.95, 0.5, 0.05):
        alpha, sigma = np.sqrt(ab), np.sqrt(1 - ab)
        s, c = sigma / (alpha + sigma), 1 / (alpha + sigma)
        assert np.isclose(s, flow_time_at(ab)) and np.isclose(c, flow_scale(ab))
        x_t = torch.randn((50, 2), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        eps = exact_eps_ab(mix, x_t, torch.tensor(ab, dtype=torch.float64))
        u_screen = (eps - c * x_t) / (1 - s)
        assert torch.allclose(u_screen, velocity_from_eps(c * x_t, s, eps))
        assert torch.allclose(u_screen, exact_velocity(mix, c * x_t, s), atol=1e-9)

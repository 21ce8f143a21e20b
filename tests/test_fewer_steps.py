"""The FewerSteps scene's claims hold on the data it loads, and fail on a plausible wrong input: a
"second-order" solver whose extrapolation is missing (DPM-Solver++ reduced to DDIM), a first-order
curve in the place of DDIM's, and the DPM-Solver++ step that the scene draws is the library's."""
import copy

import numpy as np
import torch

from diffusion.core.schedule import NoiseSchedule
from diffusion.models.toy2d.mixture import Spiral
from diffusion.studies import solvers as S


def _names(claims):
    return {c.name: c for c in claims}


def test_fewer_steps_claims_hold_and_fail_on_a_wrong_solver(quick_model):
    from scenes.kit.data.fewer_steps import claims_of, measure

    m = measure()
    good = _names(claims_of(m))
    assert all(c.holds for c in good.values()), [c for c in good.values() if not c.holds]
    # DPM-Solver++ without its extrapolation is DDIM: its curve is DDIM's, slope ~1, never ahead
    o = copy.deepcopy(m["o"])
    o["error"]["dpm++2m"] = list(o["error"]["ddim"])
    o["slopes"] = S.slopes(o["nfes"], o["error"])
    bad = _names(claims_of(measure(m["p"], o, m["d"])))
    assert not bad["second_order_error_falls_like_one_over_calls_squared"].holds
    assert not bad["second_order_far_ahead_at_most_calls"].holds
    assert "never" in bad["dpm_overtakes_from"].text
    # a second-order curve passed off as DDIM's: the first-order claim fails
    o = copy.deepcopy(m["o"])
    o["error"]["ddim"] = list(o["error"]["heun"])
    o["slopes"] = S.slopes(o["nfes"], o["error"])
    assert not _names(claims_of(measure(m["p"], o, m["d"])))["euler_error_falls_like_one_over_calls"].holds


def test_drawn_extrapolation_is_the_library_step():
    s = NoiseSchedule("linear", 1000)
    p = S.particle_runs(Spiral(), s, n=4, seed=0, nfe=5)
    d = p["dpm++2m"]
    k = 2                                              # D = (1 + 1/2r) x0_k - 1/2r x0_{k-1}, r in lambda
    lam = lambda t: float(s.lam(t))
    r = (lam(d["t"][k]) - lam(d["t"][k - 1])) / (lam(d["t_prev"][k]) - lam(d["t"][k]))
    D = (1 + 0.5 / r) * d["x0_hat"][k] - 0.5 / r * d["x0_hat"][k - 1]
    np.testing.assert_allclose(d["D"][k], D, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(d["D"][0], d["x0_hat"][0])          # first step: first order, D = x0_hat
    # the drawn Heun guess is the Euler step in x / sqrt(alpha_bar) over sigma
    h = p["heun"]
    t0, t1 = int(h["t"][0]), int(h["t_prev"][0])
    xb = h["x_t"][0] / np.sqrt(s.ab_at(t0))
    guess = (xb + (s.ode_sigma(t1) - s.ode_sigma(t0)) * h["eps_hat"][0]) * np.sqrt(s.ab_at(t1))
    np.testing.assert_allclose(h["x_prev"][0], guess, rtol=1e-9, atol=1e-9)
    assert p["ode"].shape == (len(p["ode_t"]), 4, 2) and np.isfinite(p["ode"]).all()

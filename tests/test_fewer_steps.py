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


def test_zoom_inset_is_the_panel_step_enlarged_and_clear_of_its_window():
    """The inset draws the same step as the panel, every dot mapped by one zoom about the window's centre,
    the window holds every point of the step, and the inset sits in a corner that leaves the window free."""
    from types import SimpleNamespace

    from manim import Dot

    from scenes.fewer_steps import FewerSteps, LIM
    from scenes.kit.plane import PlanePanel

    pan = PlanePanel(LIM, 3.0, "DDIM")
    scene = SimpleNamespace(pl={"ddim": pan, "dpm++2m": pan})
    scene.step_marks = lambda *a: FewerSteps.step_marks(scene, *a)
    to_panel = lambda q: pan.c2p(np.asarray(q, dtype=np.float64)[None])[0]
    centres = lambda g: np.array([m.get_center() for m in g if isinstance(m, Dot)])
    for s, pt in (("ddim", dict(x=np.array([1.3, -0.45]), end=np.array([1.05, -0.5]))),
                  ("dpm++2m", dict(a=np.array([-0.5, 0.4]), b=np.array([-0.9, 0.45]), D=np.array([-1.9, 0.5]),
                                   x=np.array([-1.2, 0.6]), end=np.array([-1.9, 0.45])))):
        path = np.linspace(pt["x"] + 0.02, pt["end"] - 0.02, 20)
        (window, _), (frame, ode, marks) = FewerSteps.zoom_inset(scene, s, pt, path)
        zoom = frame.width / window.width
        assert zoom > 1.5
        panel_dots, inset_dots = centres(FewerSteps.step_marks(scene, s, pt, to_panel)), centres(marks)
        np.testing.assert_allclose(inset_dots, frame.get_center() + zoom * (panel_dots - window.get_center()), atol=1e-6)
        lo, hi = window.get_corner([-1, -1, 0]), window.get_corner([1, 1, 0])
        assert ((panel_dots >= lo - 1e-9) & (panel_dots <= hi + 1e-9)).all()
        gap = np.abs(frame.get_center() - window.get_center())[:2] - (frame.width + window.width) / 2
        assert (gap > 0).any()                                       # apart along x or y: no overlap
        assert len(ode.points) > 0                                   # the exact path runs through the window

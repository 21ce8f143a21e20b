"""Claims as data (scenes/kit/claims.py) and the formulas on screen against the library code that made
the frames: DDIM's update (DDIMDeterminism), the clipped x0_hat (ReverseProcess)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from diffusion.core.schedule import NoiseSchedule
from scenes.kit.claims import (ClaimFailed, Spread, apart, bootstrap_diff, choose, claim, fact, require, summary, table,
                           worded)


# --- the framework ------------------------------------------------------------------------------

class _Scene:
    measured = 0.3

    @classmethod
    def claims(cls):
        return [claim("share_below_half", cls.measured, lambda v: v < 0.5, "most are forgotten",
                      perturb={"a model that remembers": lambda: 0.9}),
                worded("share_words", cls.measured, [(lambda v: v >= 0.5, "most"), (lambda v: True, "a minority")],
                       perturb={"swapped labels": lambda: 1 - cls.measured}),
                fact("constant", 2, True, "two is two")]


def test_require_names_the_false_claim():
    assert require(_Scene)["share_words"].text == "a minority"      # words chosen by the measurement

    class Wrong(_Scene):
        measured = 0.7

    with pytest.raises(ClaimFailed, match="share_below_half"):
        require(Wrong)
    with pytest.raises(ValueError, match="no wording"):
        choose(1.0, [(lambda v: v < 0, "negative")])


def test_a_claim_fails_under_its_perturbation_and_a_fact_is_not_evidence():
    rows, ok = table({"S": _Scene})
    assert ok and [r.problem for r in rows] == ["", "", ""]
    by = {r.claim.name: r for r in rows}
    assert all(f.fails for f in by["share_below_half"].falsified) and by["share_words"].shown_falsifiable
    assert by["constant"].falsified is None and not by["constant"].shown_falsifiable
    assert summary(rows) == {"S": (2, 2, 1)}


def test_a_claim_that_survives_its_perturbation_is_rejected():
    class Toothless:
        @classmethod
        def claims(cls):
            return [claim("always", 0.3, lambda v: v < 10, "small", perturb={"a wrong input": lambda: 0.4})]

    rows, ok = table({"T": Toothless})
    assert not ok and rows[0].problem == "survives a wrong input" and summary(rows) == {"T": (1, 0, 0)}

    class Untested:
        @classmethod
        def claims(cls):
            return [claim("never_checked", 0.3, lambda v: v < 0.5, "small")]

    rows, ok = table({"U": Untested})
    assert not ok and rows[0].problem == "no perturbation"


def test_a_worded_claim_needs_two_wordings_and_its_test_is_the_choice():
    with pytest.raises(ValueError, match="single wording"):
        worded("one", 1, [(lambda v: True, "always")])
    c = worded("w", 3, [(lambda v: v > 5, "big"), (lambda v: True, "small")])
    # the catch-all branch is falsified by a value an earlier branch takes
    assert c.text == "small" and c.test(4) and not c.test(6)
    with pytest.raises(TypeError, match="predicate"):
        claim("b", 1, True, "a bool is not a test")


def test_bootstrap_interval_covers_a_real_difference_and_straddles_none():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 40)
    diff, lo, hi = bootstrap_diff(a, a + 1 + rng.normal(0, 0.1, 40), paired=True)
    assert 0.9 < diff < 1.1 and 0 < lo < diff < hi
    diff, lo, hi = bootstrap_diff(a, rng.normal(0, 1, 40))
    assert lo < 0 < hi
    s1, s2 = Spread.of([1.0, 1.1, 0.9]), Spread.of([3.0, 3.1, 2.9])
    assert apart(s1, s2) and not apart(s1, Spread.of([1.05, 0.95, 1.0]))


def test_claims_command_prints_counts_and_rejects_unknown_scenes(run_main):
    from scenes.kit.cli import main

    r = run_main(main, "claims", "ForwardEquation", "MarkovChain")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    out = r.stdout
    assert "cosine_beta_small_share" in out and "fact" in out
    # every empirical MarkovChain claim is shown failing under each of its perturbations
    assert "STILL HOLDS" not in out and "fails (as it must)" in out
    counts = {l.split()[0]: l.split()[1:] for l in out.splitlines() if l.startswith("  ")}
    assert counts["ForwardEquation"] == ["0", "/", "0", "/", "4"]
    e, _, shown, _, facts = counts["MarkovChain"]
    assert int(e) >= 5 and e == shown and int(facts) == 2
    r = run_main(main, "claims", "NoSuchScene")
    assert r.returncode == 2 and "unknown scene 'NoSuchScene'" in r.stderr


# --- DDIM's update as shown in DDIMDeterminism ------------------------------------------------------

@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("t,t_prev", [(999, 979), (500, 250), (20, 0), (19, -1)])
def test_ddim_formula_on_screen_is_ddim_step(t, t_prev, eta, clip):
    from scenes.kit.data.ddim_determinism import ddim_update_on_screen

    s = NoiseSchedule("linear", 1000)
    g = torch.Generator().manual_seed(t)
    x_t = 1.5 * torch.randn(4, 1, 8, 8, generator=g, dtype=torch.float64)    # x0_hat leaves [-1, 1]: clipping acts
    eps = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
    z = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
    ab_t = s.alpha_bar[t].item()
    ab_prev = s.alpha_bar[t_prev].item() if t_prev >= 0 else 1.0
    shown, x0_shown, _ = ddim_update_on_screen(x_t, eps, ab_t, ab_prev, eta, z, clip=clip)
    code, x0_code = s.ddim_step(x_t, t, t_prev, eps, eta, z, clip_x0=clip)
    assert torch.allclose(shown, code, atol=1e-10) and torch.allclose(x0_shown, x0_code, atol=1e-12)


def test_ddim_with_clipping_rederives_eps_from_the_clipped_x0():
    s = NoiseSchedule("linear", 1000)
    t, t_prev = 600, 400
    g = torch.Generator().manual_seed(0)
    x_t = 2.0 * torch.randn(2, 1, 8, 8, generator=g, dtype=torch.float64)
    eps = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
    x_prev, x0 = s.ddim_step(x_t, t, t_prev, eps, 0.0, None, clip_x0=True)
    raw = s.predict_x0(x_t, t, eps)
    assert (raw.abs() > 1).any() and x0.abs().max() <= 1 and torch.equal(x0, raw.clamp(-1, 1))
    eps_c = (x_t - s.alpha_bar[t].sqrt() * x0) / (1 - s.alpha_bar[t]).sqrt()
    ab_p = s.alpha_bar[t_prev]
    assert torch.allclose(x_prev, ab_p.sqrt() * x0 + (1 - ab_p).sqrt() * eps_c, atol=1e-12)
    # with eta = 0 and the re-derived eps, the step stays on the line through x_t and the clipped x0:
    # not the update with the network's own eps
    assert not torch.allclose(x_prev, ab_p.sqrt() * x0 + (1 - ab_p).sqrt() * eps, atol=1e-3)


# --- ReverseProcess: x0_hat = clip(...), and the step q(x_{t-1} | x_t, x0_hat) uses the clipped one ---

def test_reverse_process_x0_formula_is_ddpm_step():
    s = NoiseSchedule("linear", 1000)
    g = torch.Generator().manual_seed(1)
    for t in (999, 500, 29, 0):
        x_t = torch.randn(3, 1, 8, 8, generator=g, dtype=torch.float64)
        eps = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
        z = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
        ab = s.alpha_bar[t]
        shown = ((x_t - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-1, 1)
        x_prev, x0 = s.ddpm_step(x_t, t, eps, z, clip_x0=True)
        assert torch.allclose(x0, shown, atol=1e-12)
        mean, var = s.posterior(shown, x_t, t)
        assert torch.allclose(x_prev, mean if t == 0 else mean + var.sqrt() * z, atol=1e-12)


# --- ImageInpainting: x_{t-1} = mask * q(x_{t-1} | x_0) + (1 - mask) * p_theta(x_{t-1} | x_t) ------------

def test_inpainting_step_on_screen_is_the_sampling_loop():
    from diffusion.core.sample import sample_steps

    s = NoiseSchedule("linear", 50)
    model = lambda x, t: 0.3 * x                                          # any eps-model will do
    x_T = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    known = torch.rand(x_T.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    mask = torch.zeros_like(x_T)
    mask[..., :4, :] = 1
    step = next(sample_steps(model, s, x_T, "ddpm", 50, generator=torch.Generator().manual_seed(2),
                             known=known, mask=mask))
    g = torch.Generator().manual_seed(2)                                  # the same draws, in the loop's order
    noise, z = torch.randn(x_T.shape, generator=g), torch.randn(x_T.shape, generator=g)
    model_part, _ = s.ddpm_step(x_T, 49, model(x_T, 49), noise)          # p_theta(x_{t-1} | x_t)
    known_part = s.add_noise(known, 48, z)                                # q(x_{t-1} | x_0), re-noised
    assert torch.allclose(step.x_prev, mask * known_part + (1 - mask) * model_part, atol=1e-6)


# --- ReverseProcess: the posterior q(x_{t-1} | x_t, x0_hat) on screen is the one ddpm_step samples --------

@pytest.mark.parametrize("t", [999, 500, 30, 1, 0])
def test_reverse_process_posterior_on_screen_is_the_schedules(t):
    from scenes.kit.data.reverse_process import posterior_on_screen

    s = NoiseSchedule("linear", 1000)
    g = torch.Generator().manual_seed(t)
    x0 = torch.rand(3, 1, 8, 8, generator=g, dtype=torch.float64) * 2 - 1
    x_t = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    ab_prev = s.alpha_bar[t - 1].item() if t > 0 else 1.0
    mean, var = posterior_on_screen(x0.numpy(), x_t.numpy(), s.betas[t].item(), s.alpha_bar[t].item(), ab_prev)
    m_code, v_code = s.posterior(x0, x_t, t)
    assert np.allclose(mean, m_code.numpy(), atol=1e-10) and np.allclose(var, v_code.flatten()[0].item(), atol=1e-12)
    # a wrong coefficient (alpha_t in place of its square root) would not pass
    wrong = (np.sqrt(ab_prev) * s.betas[t].item() / (1 - s.alpha_bar[t].item())) * x0.numpy() + \
            ((1 - s.betas[t].item()) * (1 - ab_prev) / (1 - s.alpha_bar[t].item())) * x_t.numpy()
    assert t == 0 or not np.allclose(wrong, m_code.numpy(), atol=1e-6)


# --- ProbabilityFlow: the ODE, DDIM's update with t', and its eta = 0 case as an Euler step -------------

@pytest.mark.parametrize("t,t_prev", [(999, 989), (500, 250), (20, 0)])
def test_probability_flow_update_and_euler_step_on_screen_are_ddim_step(t, t_prev):
    from scenes.kit.data.probability_flow import ddim_pf_on_screen, euler_on_screen

    s = NoiseSchedule("linear", 1000)
    g = torch.Generator().manual_seed(t)
    x_t = torch.randn(50, 2, generator=g, dtype=torch.float64)
    eps, z = torch.randn(x_t.shape, generator=g, dtype=torch.float64), torch.randn(x_t.shape, generator=g, dtype=torch.float64)
    ab_t, ab_p = s.alpha_bar[t].item(), s.alpha_bar[t_prev].item()
    for eta in (0.0, 1.0):
        code, _ = s.ddim_step(x_t, t, t_prev, eps, eta, z, clip_x0=False)
        assert np.allclose(ddim_pf_on_screen(x_t.numpy(), eps.numpy(), ab_t, ab_p, eta, z.numpy()), code.numpy(), atol=1e-10)
    code, _ = s.ddim_step(x_t, t, t_prev, eps, 0.0, None, clip_x0=False)
    assert np.allclose(euler_on_screen(x_t.numpy(), eps.numpy(), ab_t, ab_p), code.numpy(), atol=1e-10)


def test_probability_flow_ode_on_screen_is_what_ode_sample_solves():
    """With eps = A x (a linear field) the ODE on screen has a closed form along sigma; ode_sample must land on it."""
    from scipy.integrate import solve_ivp

    from diffusion.models.toy2d.flow import ode_sample, sigma_of
    from scenes.kit.data.probability_flow import pf_ode_velocity

    s = NoiseSchedule("linear", 1000)
    A = np.array([[0.3, -0.2], [0.1, 0.25]])
    eps_fn = lambda x, sigma: torch.as_tensor(np.asarray(x) @ A.T)
    x_T = torch.randn(5, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sig = sigma_of(s)
    y0 = (x_T.numpy() * np.sqrt(1 + sig[-1] ** 2)).ravel()
    ref = solve_ivp(lambda sg, y: np.asarray(pf_ode_velocity(y.reshape(5, 2), sg, eps_fn)).ravel(), (sig[-1], 0.0), y0,
                    rtol=1e-9, atol=1e-9).y[:, -1].reshape(5, 2)
    got = ode_sample(eps_fn, s, x_T, rtol=1e-9, atol=1e-9)[-1]
    assert np.allclose(got, ref, atol=1e-5)
    # the velocity without the 1/sqrt(1 + sigma^2) (x_bar fed to the network as if it were x) is another ODE
    wrong = solve_ivp(lambda sg, y: (y.reshape(5, 2) @ A.T).ravel(), (sig[-1], 0.0), y0, rtol=1e-9, atol=1e-9).y[:, -1]
    assert not np.allclose(got, wrong.reshape(5, 2), atol=1e-2)

"""Every formula the ForwardEquation and MarkovChain scenes put on screen, evaluated against the library,
and the measured figures the MarkovChain table shows, recomputed independently."""
import math

import numpy as np
import pytest
import torch
from scipy import stats as sps

from diffusion.studies import forward as F
from diffusion.studies.images import load_image
from diffusion.core.schedule import NoiseSchedule


@pytest.fixture(scope="module")
def lin():
    return NoiseSchedule("linear", 1000)


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_alpha_bar_is_the_product_of_alphas(name):
    s = NoiseSchedule(name, 1000)
    alphas = 1 - s.betas.numpy()                      # alpha_t = 1 - beta_t (on screen)
    np.testing.assert_allclose(s.alphas.numpy(), alphas, rtol=0, atol=0)
    for t in (1, 2, 10, 260, 500, 1000):               # ab_t = prod_{s=1}^t alpha_s (paper's t)
        assert s.alpha_bar[t - 1].item() == pytest.approx(math.prod(alphas[:t]), rel=1e-12)
    assert not np.allclose(s.alpha_bar.numpy(), 1 - np.cumsum(s.betas.numpy()))   # not a sum


def test_alpha_bar_T_shown_in_forward_equation(lin):
    # the scene prints ab_T for linear, T = 1000, as 4.04 x 10^-5
    ab_T = math.prod(1 - b for b in np.linspace(1e-4, 0.02, 1000))
    assert f"{lin.alpha_bar[-1].item():.2e}" == f"{ab_T:.2e}" == "4.04e-05"


def test_one_step_kernel_mean_and_variance(lin):
    """q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), measured on forward_step."""
    g = torch.Generator().manual_seed(0)
    k = 999                                           # the largest beta, 0.02
    x_prev = torch.full((400_000,), 0.7, dtype=torch.float64)
    x = lin.forward_step(x_prev, k, torch.randn(x_prev.shape, generator=g, dtype=torch.float64))
    b = lin.betas[k].item()
    assert x.mean().item() == pytest.approx(math.sqrt(1 - b) * 0.7, abs=4 * math.sqrt(b / 4e5))
    assert x.var().item() == pytest.approx(b, rel=0.01)
    # with eps = 0 the step is exactly the mean
    assert lin.forward_step(x_prev[:3], k, torch.zeros(3, dtype=torch.float64))[0].item() == pytest.approx(
        math.sqrt(1 - b) * 0.7, rel=1e-14)


@pytest.mark.parametrize("t", [2, 3, 300, 1000])
def test_two_steps_merge_into_one_gaussian(lin, t):
    """The derivation: sqrt(a_t)(sqrt(a_{t-1}) x + sqrt(1-a_{t-1}) e1) + sqrt(1-a_t) e2
    = sqrt(a_t a_{t-1}) x + sqrt(1 - a_t a_{t-1}) e, in distribution."""
    a_t, a_p = lin.alphas[t - 1].item(), lin.alphas[t - 2].item()
    coef, var = F.two_step_kernel(lin, t)
    assert coef == pytest.approx(math.sqrt(a_t * a_p), rel=1e-15)
    # variances add: a_t (1 - a_{t-1}) + (1 - a_t) = 1 - a_t a_{t-1}
    assert a_t * (1 - a_p) + (1 - a_t) == pytest.approx(var, rel=1e-12)
    # composing the library's one-step kernel twice
    g = torch.Generator().manual_seed(t)
    n, x0 = 400_000, 0.5
    x = torch.full((n,), x0, dtype=torch.float64)
    for k in (t - 2, t - 1):
        x = lin.forward_step(x, k, torch.randn(n, generator=g, dtype=torch.float64))
    x = x.numpy()
    assert x.mean() == pytest.approx(coef * x0, abs=5 * math.sqrt(var / n))
    assert x.var() == pytest.approx(var, rel=0.012)
    assert sps.kstest((x - coef * x0) / math.sqrt(var), "norm").pvalue > 1e-3
    # noise-free: exactly the product coefficient
    z = torch.zeros(1, dtype=torch.float64)
    y = lin.forward_step(lin.forward_step(torch.tensor([x0], dtype=torch.float64), t - 2, z), t - 1, z)
    assert y.item() == pytest.approx(coef * x0, rel=1e-14)


def test_two_step_closed_form_at_t2_is_the_product(lin):
    coef, var = F.two_step_kernel(lin, 2)
    assert coef == pytest.approx(lin.sqrt_alpha_bar[1].item(), rel=1e-14)
    assert var == pytest.approx(1 - lin.alpha_bar[1].item(), rel=1e-12)


def test_closed_form_is_the_formula(lin):
    g = torch.Generator().manual_seed(3)
    x0, eps = np.random.default_rng(0).uniform(-1, 1, (8, 8)), torch.randn(8, 8, generator=g).double().numpy()
    for t in (1, 50, 260, 1000):                      # paper's t: index t - 1
        ab = lin.alpha_bar[t - 1].item()
        np.testing.assert_allclose(F.closed_form(lin, x0, t, eps), math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps,
                                   rtol=1e-12)
    np.testing.assert_array_equal(F.closed_form(lin, x0, 0, eps), x0)


def test_walk_chain_is_repeated_forward_steps(lin):
    x0 = np.linspace(-1, 1, 16).reshape(4, 4)
    chain = F.walk_chain(lin, x0, 5, seed=7)
    assert chain.shape == (6, 4, 4)
    np.testing.assert_array_equal(chain[0], x0)
    g = torch.Generator().manual_seed(7)
    x = torch.as_tensor(x0)
    for k in range(5):
        x = lin.forward_step(x, k, torch.randn(x.shape, generator=g, dtype=torch.float64))
        np.testing.assert_allclose(chain[k + 1], x.numpy(), rtol=1e-15)


@pytest.mark.parametrize("name,expected", [("linear", 260), ("cosine", 497)])
def test_snr_crossing(name, expected):
    s = NoiseSchedule(name, 1000)
    t = F.snr_crossing(s)
    ab = s.alpha_bar.numpy()
    assert t == expected
    # SNR = ab / (1 - ab) crosses 1 there: sqrt(ab) falls below sqrt(1 - ab) between t - 1 and t
    assert math.sqrt(ab[t - 1]) < math.sqrt(1 - ab[t - 1]) and math.sqrt(ab[t - 2]) >= math.sqrt(1 - ab[t - 2])
    assert s.snr(t - 1).item() < 1 <= s.snr(t - 2).item()


def test_forward_equation_strip_marks_the_linear_crossing():
    from scenes.kit.data.forward_equation import STRIP_T

    assert F.snr_crossing(NoiseSchedule("linear", 1000)) in STRIP_T


def test_ks_statistic_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=3000), rng.normal(0.05, 1.0, size=2000)
    assert F.ks_2samp_statistic(a, b) == pytest.approx(sps.ks_2samp(a, b).statistic, rel=1e-12)
    assert F.ks_critical(1000, 1000) == pytest.approx(1.3581 * math.sqrt(2 / 1000))


def test_chain_and_closed_form_agree_in_distribution(lin):
    x0 = np.linspace(-1, 1, 64).reshape(8, 8)
    st = F.chain_vs_closed_form(lin, x0, [1, 100, 1000], n_chains=400, seed=1)
    np.testing.assert_allclose(st["chain_var"], st["theory_var"], rtol=0.12)
    np.testing.assert_allclose(st["jump_var"], st["theory_var"], rtol=0.12)
    np.testing.assert_allclose(st["theory_var"], 1 - lin.alpha_bar[[0, 99, 999]].numpy())
    assert (st["ks"] < 2 * st["ks_crit"]).all()
    # the measurement can tell distributions apart: jumps with the wrong variance are rejected
    chain_t100 = F.walk_chain(lin, np.zeros((40, 40)), 100, seed=2)[100]
    wrong = math.sqrt(1 - lin.alpha_bar[99].item()) * 1.3 * np.random.default_rng(2).normal(size=(40, 40))
    assert F.ks_2samp_statistic(chain_t100, wrong) > F.ks_critical(1600, 1600)


def _independent_recomputation(s, x0, ts, n_chains, seed):
    """The same random streams as the library, but the formulas and statistics written out here."""
    betas = s.betas.numpy()
    abar = np.cumprod(1 - betas)
    g_chain = torch.Generator().manual_seed(seed)
    g_jump = torch.Generator().manual_seed(seed + 1_000_003)
    x = np.broadcast_to(x0, (n_chains, *x0.shape)).copy()
    out = {k: [] for k in ("chain_mean", "jump_mean", "theory_mean", "chain_var", "jump_var", "theory_var", "ks", "ks_wrong")}
    for k in range(max(ts)):
        e = torch.randn(x.shape, generator=g_chain, dtype=torch.float32).double().numpy()
        x = np.sqrt(1 - betas[k]) * x + np.sqrt(betas[k]) * e
        if k + 1 in ts:
            eps = torch.randn(x.shape, generator=g_jump, dtype=torch.float32).double().numpy()
            jump = np.sqrt(abar[k]) * x0 + np.sqrt(1 - abar[k]) * eps
            out["chain_mean"].append(x.mean()); out["jump_mean"].append(jump.mean())
            out["theory_mean"].append(np.sqrt(abar[k]) * x0.mean())
            out["chain_var"].append(x.var(axis=0, ddof=1).mean()); out["jump_var"].append(jump.var(axis=0, ddof=1).mean())
            out["theory_var"].append(1 - abar[k])
            out["ks"].append(sps.ks_2samp(x.ravel(), jump.ravel()).statistic)
            wrong = abar[k] * x0 + (1 - abar[k]) * eps          # square roots dropped
            out["ks_wrong"].append(sps.ks_2samp(x.ravel(), wrong.ravel()).statistic)
    out = {k: np.array(v) for k, v in out.items()}
    out["t"] = np.array(ts)
    return out


def test_markov_chain_table_equals_a_recomputation(monkeypatch):
    from scenes.kit.data import markov_chain as mc

    x0 = mc.scene_image()
    asked = []
    real = F.cached_chain_vs_closed_form
    monkeypatch.setattr(F, "cached_chain_vs_closed_form", lambda *a: asked.append(a) or real(*a))
    shown = mc.measured(x0)                                # what the scene displays (cached)
    # the scene's table is the library's measurement with the scene's settings ...
    (s, image, ts, n_chains, seed), = asked
    assert (s.name, s.T, list(ts), n_chains, seed) == (mc.SCHEDULE, mc.T, list(mc.COMPARE_T), mc.N_CHAINS,
                                                       mc.COMPARE_SEED) and np.array_equal(image, x0)
    # ... and that measurement equals one written out independently from the same random streams
    # (a few chains: the same code path at a twentieth of the cost)
    few = F.chain_vs_closed_form(s, x0, mc.COMPARE_T, 25, mc.COMPARE_SEED)
    again = _independent_recomputation(s, x0, mc.COMPARE_T, 25, mc.COMPARE_SEED)
    for k in ("chain_mean", "jump_mean", "theory_mean", "chain_var", "jump_var", "theory_var", "ks", "ks_wrong"):
        np.testing.assert_allclose(few[k], again[k], rtol=1e-9, atol=1e-12, err_msg=k)
    assert mc.table_rows(few) == mc.table_rows(again)
    # and the measurement says what the narration says: same distribution up to sampling noise
    assert (shown["ks"] < 1.5 * shown["ks_crit"]).all()
    np.testing.assert_allclose(shown["chain_var"], shown["theory_var"], rtol=0.02)
    # while the wrong closed form is rejected wherever any signal is left
    assert (shown["ks_wrong"][:-1] > 3 * shown["ks_crit"][:-1]).all()
    # the cache returns exactly the same figures
    np.testing.assert_array_equal(mc.measured(x0)["ks"], shown["ks"])

"""The schedule math, checked against first principles and against diffusers' schedulers."""
import math

import numpy as np
import pytest
import torch

from diffusion.core.schedule import NoiseSchedule, cosine_beta_schedule, linear_beta_schedule


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_alpha_bar_is_cumulative_product(name):
    s = NoiseSchedule(name, 1000)
    prod, expected = 1.0, []
    for b in s.betas.tolist():
        prod *= 1 - b
        expected.append(prod)
    np.testing.assert_allclose(s.alpha_bar.numpy(), expected, rtol=1e-12)
    # a sum (a common write-up error) is not what we compute
    assert not np.allclose(s.alpha_bar.numpy(), np.cumsum(1 - s.betas.numpy()))
    assert (np.diff(s.alpha_bar.numpy()) < 0).all() and s.alpha_bar[-1] < 1e-3


def test_betas_match_diffusers():
    from diffusers import DDPMScheduler     # imported here: 2 s that collection would pay on every worker
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear")
    np.testing.assert_allclose(linear_beta_schedule(1000), ref.betas.numpy(), rtol=1e-5)
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2")
    np.testing.assert_allclose(cosine_beta_schedule(1000), ref.betas.numpy(), rtol=1e-4, atol=1e-7)


def test_unknown_schedule_and_bad_T():
    with pytest.raises(ValueError, match="unknown beta schedule"):
        NoiseSchedule("quadratic")
    with pytest.raises(ValueError, match="positive integer"):
        NoiseSchedule("linear", 0)


@pytest.mark.parametrize("name,ref_name", [("linear", "linear"), ("cosine", "squaredcos_cap_v2")])
def test_add_noise_matches_formula_and_diffusers(name, ref_name):
    from diffusers import DDPMScheduler
    s = NoiseSchedule(name)
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.rand(8, 1, 8, 8, generator=g) * 2 - 1, torch.randn(8, 1, 8, 8, generator=g)
    t = torch.tensor([0, 1, 10, 100, 400, 700, 900, 999])
    x_t = s.add_noise(x0, t, eps)
    ab = s.alpha_bar[t].float().view(-1, 1, 1, 1)
    torch.testing.assert_close(x_t, ab.sqrt() * x0 + (1 - ab).sqrt() * eps)
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule=ref_name)
    torch.testing.assert_close(x_t, ref.add_noise(x0, eps, t), rtol=1e-4, atol=1e-4)


def test_predict_x0_inverts_add_noise():
    s = NoiseSchedule()
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.rand(4, 1, 8, 8, generator=g), torch.randn(4, 1, 8, 8, generator=g)
    t = torch.tensor([3, 200, 600, 950])
    x_t = s.add_noise(x0.double(), t, eps.double())
    torch.testing.assert_close(s.predict_x0(x_t, t, eps.double()), x0.double())
    torch.testing.assert_close(s.predict_eps(x_t, t, x0.double()), eps.double())


def test_snr_crosses_one_once():
    s = NoiseSchedule()
    snr = s.snr().numpy()
    assert (np.diff(snr) < 0).all()
    cross = int(np.argmax(snr < 1))
    assert s.alpha_bar[cross] < 0.5 <= s.alpha_bar[cross - 1]


@pytest.mark.parametrize("t", [999, 500, 37, 1])
def test_ddpm_step_matches_diffusers(t):
    from diffusers import DDPMScheduler
    s = NoiseSchedule()
    ref = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=True,
                        variance_type="fixed_small")
    g = torch.Generator().manual_seed(t)
    x_t, eps_hat = torch.randn(2, 1, 8, 8, generator=g), torch.randn(2, 1, 8, 8, generator=g)
    noise = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(42))
    ours, _ = s.ddpm_step(x_t.double(), t, eps_hat.double(), noise.double())
    theirs = ref.step(eps_hat, t, x_t, generator=torch.Generator().manual_seed(42)).prev_sample
    torch.testing.assert_close(ours.float(), theirs, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
def test_ddim_step_matches_diffusers(eta):
    from diffusers import DDIMScheduler
    s = NoiseSchedule()
    ref = DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False, set_alpha_to_one=True)
    ref.set_timesteps(50)
    g = torch.Generator().manual_seed(3)
    for t in ref.timesteps.tolist()[:-1]:
        x_t, eps_hat = torch.randn(2, 1, 8, 8, generator=g), torch.randn(2, 1, 8, 8, generator=g)
        noise = torch.randn(2, 1, 8, 8, generator=g)
        ours, x0 = s.ddim_step(x_t.double(), t, t - 20, eps_hat.double(), eta, noise.double(), clip_x0=False)
        out = ref.step(eps_hat, t, x_t, eta=eta, variance_noise=noise)
        torch.testing.assert_close(ours.float(), out.prev_sample, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(x0.float(), out.pred_original_sample, rtol=1e-4, atol=1e-4)


def test_ddim_eta_one_is_ddpm_on_consecutive_steps():
    """sigma_t(eta=1) is the posterior std, and the DDIM update's mean is the posterior mean."""
    s = NoiseSchedule()
    g = torch.Generator().manual_seed(5)
    for t in [998, 500, 10, 1]:
        assert math.isclose(s.ddim_sigma(t, t - 1, 1.0), s.posterior_variance[t].sqrt().item(), rel_tol=1e-9)
        x_t, eps_hat, z = (torch.randn(3, 1, 8, 8, generator=g, dtype=torch.float64) for _ in range(3))
        a, _ = s.ddim_step(x_t, t, t - 1, eps_hat, 1.0, z)
        b, _ = s.ddpm_step(x_t, t, eps_hat, z)
        torch.testing.assert_close(a, b)


def test_timesteps():
    s = NoiseSchedule()
    ts = s.timesteps(50)
    assert len(ts) == 50 and ts[0] == 999 and ts[-1] == 0 and all(a > b for a, b in zip(ts, ts[1:]))
    assert s.timesteps(1000) == list(range(999, -1, -1))
    for bad in (0, -1, 1001, 2.5):
        with pytest.raises(ValueError, match="steps must be"):
            s.timesteps(bad)

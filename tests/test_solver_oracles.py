"""The ODE solvers against outside references.

- DPM-Solver++(2M) against diffusers' DPMSolverMultistepScheduler (its defaults: solver_order 2,
  dpmsolver++, midpoint, lower_order_final, final_sigmas_type "zero") with the same betas, the same
  eps-model and the same timesteps, step by step.
- SDE-DPM-Solver++(2M) against the same scheduler with algorithm_type "sde-dpmsolver++", given the
  same injected noise (its variance_noise), step by step, uniform and Karras steps.
- Order: on the 2D spiral with the exact eps*, the error at the last grid point (t = 0, sigma ~ 0.01)
  against scipy's probability-flow ODE solution falls with the number of network calls at slope ~1 for
  DDIM (Euler) and ~2 for Heun and DPM-Solver++ (the median error over 64 particles, log-log fit over
  100..800 calls; measured -0.93, -1.88 and -1.65; DPM-Solver++ is below 2 because DDIM's timesteps,
  linear in t, shrink its log-SNR steps near the data only like log(T / NFE)).
"""
import numpy as np
import pytest
import torch

from diffusion.core.sample import sample, sample_steps
from diffusion.core.schedule import NoiseSchedule
from spiral_ode import error_at_t0, spiral_reference


def toy_eps(x, t):
    """A smooth deterministic eps-model of (x, t) whose x0_hat changes with t (so the 2nd-order term counts)."""
    tt = t.to(x.dtype).reshape(-1, *([1] * (x.ndim - 1))) / 1000
    return torch.tanh(1.5 * x * (1 - 0.6 * tt) + torch.sin(3 * tt + x)) * (0.4 + 0.6 * tt)


def diffusers_scheduler(schedule, thresholding: bool, algorithm_type: str = "dpmsolver++"):
    from diffusers import DPMSolverMultistepScheduler

    return DPMSolverMultistepScheduler(num_train_timesteps=schedule.T, trained_betas=schedule.betas.numpy(),
                                       solver_order=2, algorithm_type=algorithm_type, solver_type="midpoint",
                                       lower_order_final=True, final_sigmas_type="zero", prediction_type="epsilon",
                                       thresholding=thresholding, sample_max_value=1.0)


@pytest.mark.parametrize("steps", [4, 10, 25])
@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_dpm_solver_matches_diffusers_step_by_step(name, clip, steps):
    s = NoiseSchedule(name, 1000)
    sched = diffusers_scheduler(s, thresholding=clip)   # thresholding with max 1 is clipping x0_hat to [-1, 1]
    ts = s.timesteps(steps)
    sched.set_timesteps(timesteps=ts)
    assert sched.timesteps.tolist() == ts
    x = torch.randn(6, 1, 4, 4, generator=torch.Generator().manual_seed(steps))
    ref = x.clone()
    ours = list(sample_steps(toy_eps, s, x, "dpm++2m", steps, clip_x0=clip))
    assert len(ours) == steps
    for k, (st, t) in enumerate(zip(ours, sched.timesteps)):
        torch.testing.assert_close(st.x_t, ref, rtol=1e-4, atol=1e-4)     # same input to the same model
        ref = sched.step(toy_eps(ref, t.expand(len(ref))), t, ref).prev_sample
        torch.testing.assert_close(st.x_prev, ref, rtol=1e-4, atol=1e-4, msg=f"step {k} of {steps} at t = {int(t)}")


def test_dpm_solver_oracle_sees_a_wrong_extrapolation():
    """The oracle has teeth: the same loop with the x0 extrapolation left out (first order every step,
    i.e. DDIM) leaves diffusers' trajectory by far more than the tolerance."""
    s = NoiseSchedule("linear", 1000)
    sched = diffusers_scheduler(s, thresholding=False)
    sched.set_timesteps(timesteps=s.timesteps(10))
    x = torch.randn(6, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    ref = x.clone()
    for t in sched.timesteps:
        ref = sched.step(toy_eps(ref, t.expand(len(ref))), t, ref).prev_sample
    ddim = sample(toy_eps, s, x, "ddim", 10, clip_x0=False, record=False)
    ours = sample(toy_eps, s, x, "dpm++2m", 10, clip_x0=False, record=False)
    assert (ddim - ref).abs().max() > 100 * (ours - ref).abs().max()


def diffusers_sde_run(s, x, ts, clip, noise_seed, noise_scale=1.0):
    """diffusers' sde-dpmsolver++ from x on the integer steps ts, its noise injected: drawn from a
    generator seeded noise_seed in the order our loop draws it (one draw per step but the last)."""
    sched = diffusers_scheduler(s, thresholding=clip, algorithm_type="sde-dpmsolver++")
    sched.set_timesteps(timesteps=ts)
    assert sched.timesteps.tolist() == ts
    gen, ref, out = torch.Generator().manual_seed(noise_seed), x.clone(), []
    for k, t in enumerate(sched.timesteps):
        z = torch.randn(x.shape, generator=gen) if k < len(ts) - 1 else torch.zeros_like(x)
        ref = sched.step(toy_eps(ref, t.expand(len(ref))), t, ref, variance_noise=noise_scale * z).prev_sample
        out.append(ref)
    return out


@pytest.mark.parametrize("steps", [4, 10, 25])
@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_sde_dpm_solver_matches_diffusers_step_by_step(name, clip, steps):
    s = NoiseSchedule(name, 1000)
    x = torch.randn(6, 1, 4, 4, generator=torch.Generator().manual_seed(steps))
    ref = diffusers_sde_run(s, x, s.timesteps(steps), clip, noise_seed=7)
    ours = list(sample_steps(toy_eps, s, x, "dpm++2m-sde", steps, generator=torch.Generator().manual_seed(7),
                             clip_x0=clip))
    assert len(ours) == steps
    for k, (st, r) in enumerate(zip(ours, ref)):
        torch.testing.assert_close(st.x_prev, r, rtol=1e-4, atol=1e-4, msg=f"step {k} of {steps}")
        if k + 1 < steps:
            torch.testing.assert_close(ours[k + 1].x_t, st.x_prev)       # the next call starts there


@pytest.mark.parametrize("steps", [5, 12])
def test_sde_dpm_solver_on_karras_steps_matches_diffusers(steps):
    s = NoiseSchedule("linear", 1000)
    ts = s.timesteps(steps, spacing="karras")
    x = torch.randn(6, 1, 4, 4, generator=torch.Generator().manual_seed(steps))
    ref = diffusers_sde_run(s, x, ts, True, noise_seed=3)
    ours = sample(toy_eps, s, x, "dpm++2m-sde", steps, generator=torch.Generator().manual_seed(3), spacing="karras")
    assert ours.timesteps.tolist() == ts
    torch.testing.assert_close(torch.from_numpy(ours.x[1:]), torch.stack(ref), rtol=1e-4, atol=1e-4)


def test_sde_dpm_solver_oracle_sees_wrong_noise_and_a_missing_extrapolation():
    """The SDE oracle has teeth: the noise scaled by 0.9, or the loop with the x0 extrapolation left out
    (first order on every step: DDIM with eta = 1 on the same grid and the same noise) each leave
    diffusers' trajectory by far more than the tolerance."""
    s = NoiseSchedule("linear", 1000)
    x = torch.randn(6, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    ref = diffusers_sde_run(s, x, s.timesteps(10), False, noise_seed=5)[-1]
    quieter = diffusers_sde_run(s, x, s.timesteps(10), False, noise_seed=5, noise_scale=0.9)[-1]
    ours = sample(toy_eps, s, x, "dpm++2m-sde", 10, generator=torch.Generator().manual_seed(5), clip_x0=False,
                  record=False)
    first_order = sample(toy_eps, s, x, "ddim", 10, 1.0, torch.Generator().manual_seed(5), clip_x0=False, record=False)
    tol = 1e-4 * (1 + ref.abs().max())         # the step-by-step test's tolerance, at this trajectory's scale
    assert (ours - ref).abs().max() < tol
    assert (quieter - ref).abs().max() > 100 * tol and (first_order - ref).abs().max() > 100 * tol


def test_error_falls_with_the_solver_order_on_the_spiral():
    from diffusion.models.toy2d.flow import one_thread

    s, eps_star, x, ref = spiral_reference()
    nfes = [100, 200, 400, 800]
    slopes = {}
    with one_thread():
        for sampler in ("ddim", "heun", "dpm++2m"):
            err = [error_at_t0(sampler, n, eps_star, s, x, ref) for n in nfes]
            slopes[sampler] = -np.polyfit(np.log(nfes), np.log(err), 1)[0]
    assert 0.75 < slopes["ddim"] < 1.25, slopes
    assert 1.5 < slopes["heun"] < 2.5 and 1.5 < slopes["dpm++2m"] < 2.5, slopes

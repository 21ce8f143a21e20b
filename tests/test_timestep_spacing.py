"""Timestep spacing of the one sampling loop: "uniform" (evenly spaced in t, the default) and "karras"
(Karras et al. 2022, rho = 7 in sigma = sqrt((1 - alpha_bar) / alpha_bar), taken to trained steps).

- The Karras steps are diffusers' (DPMSolverMultistepScheduler with use_karras_sigmas=True) and
  DPM-Solver++(2M) on them matches diffusers step by step on the same integer steps.
- On the 2D spiral with the exact eps*, Karras spacing lowers DPM-Solver++'s error against scipy's
  probability-flow ODE solution at few calls (measured median errors at 5 / 10 / 20 calls: uniform
  0.70 / 0.51 / 0.30, karras 0.33 / 0.21 / 0.039).
"""
import numpy as np
import pytest
import torch

from diffusion.core.sample import SAMPLERS, SPACINGS, Churn, sample, sample_steps
from diffusion.core.schedule import NoiseSchedule
from spiral_ode import error_at_t0, spiral_reference


@pytest.mark.parametrize("name", ["linear", "cosine"])
@pytest.mark.parametrize("steps", [3, 4, 10, 25, 50])
def test_karras_steps_are_diffusers_use_karras_sigmas(name, steps):
    diffusers = pytest.importorskip("diffusers")
    s = NoiseSchedule(name, 1000)
    sched = diffusers.DPMSolverMultistepScheduler(num_train_timesteps=s.T, trained_betas=s.betas.numpy(),
                                                  use_karras_sigmas=True)
    sched.set_timesteps(steps)
    ours, theirs = s.timesteps(steps, spacing="karras"), sched.timesteps.tolist()
    if name == "linear" or steps <= 4:
        assert ours == theirs
    else:
        # the cosine schedule's sigma_max (~ 2e4) puts many Karras sigmas inside the last trained steps:
        # diffusers calls step 999 again and again, ours keeps each call on its own step; below that
        # crowd the two agree
        crowd = next(i for i, t in enumerate(theirs) if t < 960)
        assert len(set(theirs[:crowd])) < crowd and ours[crowd:] == theirs[crowd:]


@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("steps", [5, 12])
def test_dpm_solver_on_karras_steps_matches_diffusers_step_by_step(clip, steps):
    pytest.importorskip("diffusers")
    from tests.test_solver_oracles import diffusers_scheduler, toy_eps

    s = NoiseSchedule("linear", 1000)
    sched = diffusers_scheduler(s, thresholding=clip)
    ts = s.timesteps(steps, spacing="karras")
    sched.set_timesteps(timesteps=ts)                 # the same integer steps, diffusers' sigmas at them
    x = torch.randn(6, 1, 4, 4, generator=torch.Generator().manual_seed(steps))
    ref = x.clone()
    ours = list(sample_steps(toy_eps, s, x, "dpm++2m", steps, clip_x0=clip, spacing="karras"))
    assert [st.t for st in ours] == ts
    for k, (st, t) in enumerate(zip(ours, sched.timesteps)):
        ref = sched.step(toy_eps(ref, t.expand(len(ref))), t, ref).prev_sample
        torch.testing.assert_close(st.x_prev, ref, rtol=1e-4, atol=1e-4, msg=f"step {k} of {steps} at t = {int(t)}")


@pytest.mark.parametrize("start", [999, 300, 40])
def test_karras_steps_are_distinct_descending_and_span_start_to_zero(start):
    s = NoiseSchedule("linear", 1000)
    for steps in (1, 2, 7, 30, start // 2 + 1, start + 1):
        ts = s.timesteps(steps, start, spacing="karras")
        assert len(ts) == steps and ts[0] == start and (steps == 1 or ts[-1] == 0)
        assert all(a > b for a, b in zip(ts, ts[1:])), (steps, ts)
    assert s.timesteps(start + 1, start, spacing="karras") == list(range(start, -1, -1))
    # rho = 7: shorter steps than uniform's near the data, longer ones in the noise
    k, u = s.timesteps(12, spacing="karras"), s.timesteps(12)
    assert k[-2] < u[-2] and k[1] > u[1]


def test_uniform_is_the_default_everywhere(quick_model):
    tm = quick_model
    a = sample(tm.model, tm.schedule, tm.noise(3, 0), "dpm++2m", 6, record=False)
    b = sample(tm.model, tm.schedule, tm.noise(3, 0), "dpm++2m", 6, record=False, spacing="uniform")
    c = sample(tm.model, tm.schedule, tm.noise(3, 0), "dpm++2m", 6, record=False, spacing="karras")
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_every_sampler_calls_the_network_on_the_karras_steps(quick_model, sampler):
    tm = quick_model
    calls = []
    model = lambda x, t: calls.append(int(t[0])) or tm.model(x, t)
    nfe = 7
    kw = dict(churn=Churn(s_churn=0)) if sampler == "heun-churn" else {}    # churn moves the calls off the grid
    tr = sample(model, tm.schedule, tm.noise(2, 0), sampler, nfe, 0.0, torch.Generator().manual_seed(0),
                spacing="karras", **kw)
    assert len(calls) == nfe and list(tr.timesteps) == calls
    steps = tm.schedule.timesteps(4 if sampler.startswith("heun") else nfe, spacing="karras")
    assert sorted(set(calls), reverse=True) == steps
    assert np.isfinite(tr.final).all()


def test_spacing_bad_values_are_one_line_errors(quick_model):
    from diffusion.core.path import FlowPath

    tm = quick_model
    for schedule, spacing, words in ((tm.schedule, "cosine", "unknown spacing 'cosine'; choose one of uniform, karras"),
                                     (FlowPath(1000), "karras", "a flow path takes uniform")):
        with pytest.raises(ValueError, match=words) as e:
            next(sample_steps(tm.model, schedule, tm.noise(1, 0), "ddim" if schedule is tm.schedule else "euler",
                              5, spacing=spacing))
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="unknown spacing"):
        tm.schedule.timesteps(5, spacing="Karras")
    assert SPACINGS == ("uniform", "karras")


def test_cli_spacing(tmp_path, quick_model, run_main):
    from diffusion.__main__ import main

    out = tmp_path / "s.npz"
    cmd = ["sample", "digits", "--preset", "quick", "--n", "3", "--sampler", "dpm++2m", "--steps", "5", "--out", out]
    r = run_main(main, *cmd, "--spacing", "karras")
    assert r.returncode == 0, r.stderr
    assert np.load(out)["samples"].shape == (3, 8, 8) and "karras spacing" in r.stdout
    r = run_main(main, *cmd, "--spacing", "evenly")
    assert r.returncode == 2 and "unknown spacing 'evenly'" in r.stderr and len(r.stderr.strip().splitlines()) <= 3


def test_karras_spacing_lowers_dpm_solver_error_at_few_calls_on_the_spiral():
    from diffusion.models.toy2d.flow import one_thread

    s, eps_star, x, ref = spiral_reference()
    with one_thread():
        for nfe in (5, 10, 20):
            err = {sp: error_at_t0("dpm++2m", nfe, eps_star, s, x, ref, spacing=sp) for sp in SPACINGS}
            assert err["karras"] < 0.6 * err["uniform"], (nfe, err)

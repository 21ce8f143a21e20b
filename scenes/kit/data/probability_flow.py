"""ProbabilityFlow, data: DDPM, DDIM and ODE paths of the same particles of the 2D spiral model, histogram
particles of both samplers, the quality-vs-steps table, every number the narration states, and the claims."""
from __future__ import annotations

import numpy as np

from diffusion.models.toy2d.mixture import sample_marginal
from diffusion.models.toy2d.flow import get_ode_path, get_states_at, get_toy2d_trajectory, segment_crossings
from diffusion.models.toy2d.measure import get_quality_vs_steps, sliced_wasserstein
from scenes.kit.claims import claim, worded
from scenes.kit.models import toy2d_model

# drawn paths (DDPM every step, DDIM eta = 0 with 100 steps) and histogram particles
PATHS = dict(n=160, seed=7)
HIST = dict(n=3000, seed=11, near=(999, 599, 299, 149, 49))


def hist_steps(schedule) -> list[int]:
    """The 0-based steps where the histograms are checked: DDIM-100 steps nearest to HIST["near"], and -1."""
    ts = np.array(schedule.timesteps(100))
    return [int(ts[np.abs(ts - t).argmin()]) for t in HIST["near"]] + [-1]


def paths_and_quality() -> dict:
    """DDPM, DDIM and ODE paths of the same particles, histogram particles, quality vs steps (toy2d model)"""
    tm = toy2d_model()
    ddim_steps = tm.schedule.timesteps(100)
    return dict(
        ddpm=get_toy2d_trajectory(tm, sampler="ddpm", steps=None, **PATHS),
        ddim=get_toy2d_trajectory(tm, sampler="ddim", steps=100, **PATHS),
        ode=get_ode_path(tm, steps_out=ddim_steps + [-1], **PATHS),
        hist_steps=hist_steps(tm.schedule),
        hist_ddpm=get_states_at(tm, HIST["n"], HIST["seed"], "ddpm", tm.schedule.T, hist_steps(tm.schedule)),
        hist_ddim=get_states_at(tm, HIST["n"], HIST["seed"], "ddim", 100, hist_steps(tm.schedule)),
        quality=get_quality_vs_steps(tm))


def ddpm_moments(ddpm) -> np.ndarray:
    """DDPM's state at the same 101 moments as DDIM's 100 steps: every 10th of its 1000 steps."""
    T = ddpm.x.shape[0] - 1
    return ddpm.x[np.r_[np.arange(0, T, T // 100), T]]


def measure() -> dict:
    """Every number the narration states, from the cached paths, histogram particles and quality table."""
    tm = toy2d_model()
    d = paths_and_quality()
    ddpm, ddim, ode = d["ddpm"], d["ddim"], d["ode"]
    out = dict(tm=tm, d=d, n=ddim.x.shape[1], n_moments=ddim.x.shape[0] - 1, cross_ddpm=segment_crossings(ddpm_moments(ddpm)),
               cross_ddim=segment_crossings(ddim.x), cross_ode=segment_crossings(ode),
               ode_gap=float(np.linalg.norm(ddim.final - ode[-1], axis=1).mean()),
               ddpm_ode_gap=float(np.linalg.norm(ddpm.final - ode[-1], axis=1).mean()))
    # marginals: both samplers' particles and a second exact draw, each against an exact draw of q(x_t)
    steps, hp, hi = d["hist_steps"], d["hist_ddpm"], d["hist_ddim"]
    sw = []
    for k, t in enumerate(steps):
        ref = sample_marginal(tm.config.mixture, tm.schedule, t, hp.shape[1], seed=500 + k)
        ref2 = sample_marginal(tm.config.mixture, tm.schedule, t, hp.shape[1], seed=900 + k)
        sw.append((sliced_wasserstein(hp[k], ref), sliced_wasserstein(hi[k], ref), sliced_wasserstein(ref2, ref)))
    out["sw"] = sw
    out["worst_marginal"] = max(max(a, b) / c for a, b, c in sw)
    q = d["quality"]
    fl = q["floor"]["sw1"]
    rows = q["rows"]
    out["floor"] = fl
    out["net"] = {r["steps"]: r["sw1"] / fl for r in rows if r["sampler"] == "ddim" and r["model"] == "network"}
    out["exact"] = {r["steps"]: r["sw1"] / fl for r in rows if r["sampler"] == "ddim" and r["model"] == "exact"}
    out["ddpm_by_steps"] = {r["steps"]: r["sw1"] / fl for r in rows if r["sampler"] == "ddpm" and r["model"] == "network"}
    out["ddpm"] = out["ddpm_by_steps"][max(out["ddpm_by_steps"])]            # DDPM with every step
    # the same number of network calls for both samplers: the fewest DDPM was run with
    out["few"] = min(out["ddpm_by_steps"])
    out["ddim_at"], out["ddpm_at"] = out["net"][out["few"]], out["ddpm_by_steps"][out["few"]]
    steps_q = sorted(out["net"])
    out["s_mid"] = 20 if 20 in out["net"] else steps_q[len(steps_q) // 2]
    out["s_min"], out["s_max"] = steps_q[0], steps_q[-1]
    out["share_steps"] = out["exact"][out["s_min"]] / out["net"][out["s_min"]]
    return out


# On screen, each line checked against the code in tests/test_claims.py: the ODE against ode_sample's
# derivative (diffusion.models.toy2d.flow), DDIM's update against NoiseSchedule.ddim_step, and the
# eta = 0 update against an Euler step of the ODE. t' is the next (earlier) of the respaced steps.
PF_ODE_TEX = (r"\frac{d\bar x}{ds} = \epsilon_\theta\!\left(\frac{\bar x}{\sqrt{1+s^2}},\, t(s)\right),"
              r"\quad \bar x = \frac{x}{\sqrt{\bar\alpha_t}},\quad s = \sqrt{\frac{1-\bar\alpha_t}{\bar\alpha_t}}")
DDIM_PF_TEX = (
    r"x_{t'} = \sqrt{\bar\alpha_{t'}}\,\underbrace{\frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon}"
    r"{\sqrt{\bar\alpha_t}}}_{\hat x_0} + \sqrt{1-\bar\alpha_{t'}-\sigma_t^2}\;\hat\epsilon + \sigma_t\, z",
    r"\sigma_t(\eta) = \eta\,\sqrt{\frac{1-\bar\alpha_{t'}}{1-\bar\alpha_t}}\,\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_{t'}}}")
EULER_TEX = r"\eta = 0:\quad \bar x_{t'} = \bar x_t + (s_{t'} - s_t)\,\hat\epsilon"


def pf_ode_velocity(x_bar, sigma, eps_fn):
    """PF_ODE_TEX as code (its s is `sigma` here, flow.sigma_of): d x_bar / ds = eps(x_bar / sqrt(1 + s^2), s)."""
    return eps_fn(x_bar / np.sqrt(1 + sigma ** 2), sigma)


def ddim_pf_on_screen(x_t, eps, ab_t: float, ab_prev: float, eta: float, z):
    """DDIM_PF_TEX as code (no clipping: the 2D data is not in [-1, 1])."""
    x0 = (x_t - np.sqrt(1 - ab_t) * eps) / np.sqrt(ab_t)
    sigma = eta * np.sqrt((1 - ab_prev) / (1 - ab_t)) * np.sqrt(1 - ab_t / ab_prev)
    return np.sqrt(ab_prev) * x0 + np.sqrt(max(1 - ab_prev - sigma ** 2, 0.0)) * eps + sigma * z


def euler_on_screen(x_t, eps, ab_t: float, ab_prev: float):
    """EULER_TEX as code, returned in x (not x_bar)."""
    s_t, s_p = np.sqrt((1 - ab_t) / ab_t), np.sqrt((1 - ab_prev) / ab_prev)
    return (x_t / np.sqrt(ab_t) + (s_p - s_t) * eps) * np.sqrt(ab_prev)


def untrained_quality(tm, steps: int) -> dict:
    """{network, exact}: SW1 to the mixture (in floors) of DDIM with `steps` steps from an untrained
    network and from the exact eps*, on the quality table's x_T."""
    from diffusion.models.toy2d.measure import quality_vs_steps

    q = paths_and_quality()["quality"]
    rows = quality_vs_steps(tm.untrained(), q["n"], 0, runs=(("ddim", steps),), exact=True)
    return {r["model"]: r["sw1"] / q["floor"]["sw1"] for r in rows}


# On screen, each line checked against the code in tests/test_claims.py: the ODE against ode_sample's
# derivative (diffusion.models.toy2d.flow), DDIM's update against NoiseSchedule.ddim_step, and the
# eta = 0 update against an Euler step of the ODE. t' is the next (earlier) of the respaced steps.


NEEDS = (toy2d_model, paths_and_quality)


def claims():
    m = measure()
    net, s_mid, s_min, s_max = m["net"], m["s_mid"], m["s_min"], m["s_max"]
    d, tm = m["d"], m["tm"]
    ode_end = d["ode"][-1]
    # the scale a landing distance is read against: two unrelated endpoints of the accurately solved ODE
    unrelated = float(np.linalg.norm(ode_end - np.roll(ode_end, 1, 0), axis=1).mean())
    steps_q = sorted(net)

    def swapped_marginals():       # each histogram checked against q at the next checked t
        steps, hp, hi = d["hist_steps"], d["hist_ddpm"], d["hist_ddim"]
        out = []
        for k in range(len(steps) - 1):
            ref = sample_marginal(tm.config.mixture, tm.schedule, steps[k + 1], hp.shape[1], seed=500 + k)
            out.append(max(sliced_wasserstein(hp[k], ref), sliced_wasserstein(hi[k], ref)) / m["sw"][k][2])
        return round(max(out), 3)

    def untrained_share():
        q = untrained_quality(tm, s_min)
        return round(q["exact"] / q["network"], 3)

    fl = m["floor"]
    d50 = (round(m["ddim_at"], 3), round(m["ddpm_at"], 3), 2.0)      # the last: two floors, the spread read as noise
    return [
        claim("ddim_crosses_far_less_than_ddpm", (m["cross_ddpm"], m["cross_ddim"]), lambda v: v[1] * 100 <= v[0],
              "a flow moves neighbours alike: DDIM's moves cross at most a hundredth as often as DDPM's",
              perturb={"DDPM's paths in place of DDIM's": lambda: (m["cross_ddpm"], m["cross_ddpm"])}),
        worded("ddim_crossings", m["cross_ddim"], [
            (lambda c: c == 0, "DDIM never"),
            (lambda c: True, f"DDIM only {m['cross_ddim']} times")],
            perturb={"DDPM's paths in place of DDIM's": lambda: m["cross_ddpm"]}),
        claim("ddim_lands_near_the_ode", round(m["ode_gap"], 4), lambda v: v < 0.05 * unrelated,
              f"DDIM (eta = 0) ends close to the accurately solved ODE: under 5 % of the distance between two "
              f"unrelated ODE endpoints ({unrelated:.2f})",
              perturb={"DDPM's endpoints in place of DDIM's": lambda: round(m["ddpm_ode_gap"], 4)}),
        worded("marginals_within", round(m["worst_marginal"], 3), [
            (lambda r: r <= 3, f"within {m['worst_marginal']:.1f} times the distance of two exact samples"),
            (lambda r: True, f"up to {m['worst_marginal']:.1f} times the distance of two exact samples")],
            # the opposite of what was measured: a wrong t when the marginals match, two exact sets when not
            perturb={"each histogram against q at the next checked t": swapped_marginals}
            if m["worst_marginal"] <= 3 else {"exact draws in place of both samplers": lambda: 1.0}),
        worded("ddim_vs_ddpm_same_steps", d50, [
            (lambda v: v[1] - v[0] > v[2], f"with the same {m['few']} steps, DDPM (respaced, eta = 1) lands "
                                           f"{m['ddpm_at']:.1f} times the floor, DDIM {m['ddim_at']:.1f}: DDIM skips "
                                           f"steps better"),
            (lambda v: v[0] - v[1] > v[2], f"with the same {m['few']} steps, DDIM lands {m['ddim_at']:.1f} times "
                                           f"the floor, DDPM {m['ddpm_at']:.1f}: DDPM does better"),
            (lambda v: True, f"with the same {m['few']} steps DDIM ({m['ddim_at']:.1f}) and DDPM "
                             f"({m['ddpm_at']:.1f}) land about as close")],
            perturb={"the two samplers' rows swapped": lambda: (d50[1], d50[0], d50[2])}
            if abs(d50[0] - d50[1]) > d50[2] else
            {f"DDIM with {s_min} steps in place of DDPM": lambda: (d50[0], round(net[s_min], 3), d50[2])},
            spread="differences within 2 floors (the distance of two exact sample sets, in these units 1) "
                   "are read as the same"),
        claim("few_steps_break", (round(net[s_min], 3), round(net[s_max], 3)), lambda v: v[0] > 3 * v[1],
              f"with {s_min} steps it breaks: more than three times the distance at {s_max} steps",
              perturb={"the step counts' rows swapped": lambda: (round(net[s_max], 3), round(net[s_min], 3))}),
        worded("few_step_error_cause", round(m["share_steps"], 3), [
            (lambda s: s > 0.8, "the error is the step size, not the network"),
            (lambda s: True, f"the steps cause {m['share_steps']:.0%} of it, the network the rest")],
            perturb={"an untrained network": untrained_share}),
    ]

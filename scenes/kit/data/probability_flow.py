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
    out = dict(tm=tm, d=d, n=ddim.x.shape[1], cross_ddpm=segment_crossings(ddpm_moments(ddpm)),
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
    out["ddpm"] = next(r["sw1"] / fl for r in rows if r["sampler"] == "ddpm" and r["model"] == "network")
    steps_q = sorted(out["net"])
    out["s_mid"] = 20 if 20 in out["net"] else steps_q[len(steps_q) // 2]
    out["s_min"], out["s_max"] = steps_q[0], steps_q[-1]
    out["share_steps"] = out["exact"][out["s_min"]] / out["net"][out["s_min"]]
    return out


NEEDS = (toy2d_model, paths_and_quality)


def claims():
    m = measure()
    net, s_mid, s_min, s_max = m["net"], m["s_mid"], m["s_min"], m["s_max"]
    return [
        claim("ddim_crosses_far_less_than_ddpm", (m["cross_ddpm"], m["cross_ddim"]),
              m["cross_ddim"] * 100 <= m["cross_ddpm"],
              "a flow moves neighbours alike: DDIM's moves cross at most a hundredth as often as DDPM's"),
        worded("ddim_crossings", m["cross_ddim"], [
            (lambda c: c == 0, "DDIM never"),
            (lambda c: True, f"DDIM only {m['cross_ddim']} times")]),
        claim("ddim_lands_near_the_ode", (round(m["ode_gap"], 4), round(m["ddpm_ode_gap"], 4)),
              m["ode_gap"] < 0.25 * m["ddpm_ode_gap"],
              "DDIM (eta = 0) ends close to the accurately solved ODE: under a quarter of DDPM's distance to it"),
        worded("marginals_within", round(m["worst_marginal"], 3), [
            (lambda r: r <= 3, f"within {m['worst_marginal']:.1f} times the distance of two exact samples"),
            (lambda r: True, f"up to {m['worst_marginal']:.1f} times the distance of two exact samples")]),
        worded("ddim_mid_vs_ddpm", (round(net[s_mid], 3), round(m["ddpm"], 3)), [
            (lambda v: v[0] <= 2 * v[1], f"DDIM reaches {net[s_mid]:.1f} with {s_mid}"),
            (lambda v: True, f"DDIM with {s_mid} is still at {net[s_mid]:.1f}")]),
        claim("few_steps_break", (round(net[s_min], 3), round(net[s_max], 3)), net[s_min] > 3 * net[s_max],
              f"with {s_min} steps it breaks: more than three times the distance at {s_max} steps"),
        worded("few_step_error_cause", round(m["share_steps"], 3), [
            (lambda s: s > 0.8, "the error is the step size, not the network"),
            (lambda s: True, f"the steps cause {m['share_steps']:.0%} of it, the network the rest")]),
    ]

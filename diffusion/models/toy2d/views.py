"""What the ScoreField and ProbabilityFlow scenes load, cached (the specs live here so that
`prepare()` builds exactly what the scenes read)."""
from __future__ import annotations

import json

import numpy as np
import torch

from ...core.cache import cache_dir, config_key, get_or_build
from ...core.sample import sample_steps
from .flow import get_ode_path, get_toy2d_trajectory, npy_bytes, npy_from_bytes, one_thread
from .measure import field_error, get_fields_on_grid, get_quality_vs_steps

# ScoreField: the arrows at these 0-based steps (T -> 0, denser near 0 where the field changes fast)
FIELD_TS = tuple(int(t) for t in np.unique(np.round(np.geomspace(1, 1000, 36)).astype(int) - 1)[::-1])
FIELD_GRID = dict(lim=2.7, n=15)
ERROR_TS = (999, 799, 599, 399, 299, 199, 149, 99, 69, 49, 29, 19, 9, 4, 0)
# ProbabilityFlow: drawn paths (DDPM every step, DDIM eta = 0 with 100 steps) and histogram particles
PATHS = dict(n=160, seed=7)
HIST = dict(n=3000, seed=11, near=(999, 599, 299, 149, 49))


def hist_steps(schedule) -> list[int]:
    """The 0-based steps where the histograms are checked: DDIM-100 steps nearest to HIST["near"], and -1."""
    ts = np.array(schedule.timesteps(100))
    return [int(ts[np.abs(ts - t).argmin()]) for t in HIST["near"]] + [-1]


def get_field_error(tm, ts=ERROR_TS, n: int = 4000) -> dict:
    """Cached `field_error` (arrays as lists)."""
    spec = dict(model=tm.key, kind="toy2d-field-error", ts=list(ts), n=n)
    path = cache_dir() / "inspect" / f"toy2d-field-error-{config_key(spec)}.json"
    build = lambda: {k: v.tolist() for k, v in field_error(tm, ts, n).items()}
    return {k: np.array(v) for k, v in get_or_build(path, build, lambda d: json.dumps(d).encode(), json.loads).items()}


def score_field_data(tm) -> dict:
    """Arrows (learned and exact eps on the grid at FIELD_TS) and the field error against t."""
    return dict(fields=get_fields_on_grid(tm, FIELD_TS, **FIELD_GRID), error=get_field_error(tm))


def states_at(tm, n: int, seed: int, sampler: str, steps: int, at) -> np.ndarray:
    """The particles (len(at), n, 2) of one shared-sampler run from tm.noise(n, seed) at the 0-based
    steps `at` (-1: the samples; a step is the state x_t *before* the update at t)."""
    gen = torch.Generator().manual_seed(seed + 1)
    want, out = [int(a) for a in at], {}
    with one_thread():
        for st in sample_steps(tm.model, tm.schedule, tm.noise(n, seed), sampler, steps, 0.0, gen, clip_x0=False):
            if st.t in want:
                out[st.t] = st.x_t.numpy().copy()
            if st.t_prev == -1:
                out[-1] = st.x_prev.numpy().copy()
    missing = [a for a in want if a not in out]
    if missing:
        raise ValueError(f"steps {missing} are not on the {sampler} {steps}-step schedule")
    return np.stack([out[a] for a in want])


def get_states_at(tm, n: int, seed: int, sampler: str, steps: int, at) -> np.ndarray:
    spec = dict(model=tm.key, kind="toy2d-states", n=n, seed=seed, sampler=sampler, steps=steps, at=list(at))
    path = cache_dir() / "trajectories" / f"toy2d-states-{config_key(spec)}.npy"
    return get_or_build(path, lambda: states_at(tm, n, seed, sampler, steps, at), npy_bytes, npy_from_bytes)


def flow_data(tm) -> dict:
    """ProbabilityFlow's data: drawn paths (DDPM 1000 steps, DDIM 100 steps, the ODE at DDIM's steps),
    histogram particles of both samplers, and the quality-vs-steps table."""
    ddim_steps = tm.schedule.timesteps(100)
    return dict(
        ddpm=get_toy2d_trajectory(tm, sampler="ddpm", steps=None, **PATHS),
        ddim=get_toy2d_trajectory(tm, sampler="ddim", steps=100, **PATHS),
        ode=get_ode_path(tm, steps_out=ddim_steps + [-1], **PATHS),
        hist_steps=hist_steps(tm.schedule),
        hist_ddpm=get_states_at(tm, HIST["n"], HIST["seed"], "ddpm", tm.schedule.T, hist_steps(tm.schedule)),
        hist_ddim=get_states_at(tm, HIST["n"], HIST["seed"], "ddim", 100, hist_steps(tm.schedule)),
        quality=get_quality_vs_steps(tm))


def prepare(tm) -> None:
    """Build everything both scenes load (python -m diffusion.models.toy2d.views)."""
    score_field_data(tm)
    flow_data(tm)


if __name__ == "__main__":
    from .. import get_model

    prepare(get_model("toy2d"))
    print("toy2d scene data ready")

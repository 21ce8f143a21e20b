"""Moving particles: the shared sampling loop (DDPM, DDIM with eta) and the probability-flow ODE.

DDIM with eta = 0 is Euler's method on the probability-flow ODE written in the variables
x_bar = x / sqrt(ab) and sigma = sqrt((1 - ab) / ab): dividing eq. 12 by sqrt(ab_prev) gives
x_bar_prev = x_bar_t + (sigma_prev - sigma_t) eps(x_t, t), a step of d x_bar / d sigma = eps(x, t).
`ode_sample` solves that ODE accurately (scipy's adaptive RK45), the reference DDIM approaches.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
from scipy.integrate import solve_ivp

from ...core.cache import cached, codec_of, NPY
from ...core.sample import Trajectory, sample, sample_steps
from ...core.schedule import NoiseSchedule
from .mixture import Spiral, exact_eps_ab


@contextlib.contextmanager
def one_thread():
    """torch on one thread for the block: these tensors are tiny (hundreds of 2D points), where a second
    thread only adds synchronisation; on a busy shared machine it made each call 20x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def sigma_of(schedule: NoiseSchedule) -> np.ndarray:
    """sigma_t = sqrt((1 - ab_t) / ab_t) at the 0-based steps t = 0..T-1 (increasing)."""
    ab = schedule.alpha_bar.numpy()
    return np.sqrt((1 - ab) / ab)


def exact_eps_fn(mix: Spiral):
    """eps(x, sigma) from the closed form (t enters only through ab = 1 / (1 + sigma^2))."""
    return lambda x, sigma: exact_eps_ab(mix, x, 1.0 / (1.0 + sigma ** 2))


def model_eps_fn(model: torch.nn.Module, schedule: NoiseSchedule):
    """eps(x, sigma) from a network trained at integer steps: t(sigma) interpolated in log sigma on the
    schedule's table (fractional t), held at t = 0 below sigma_0 (where DDIM's last step uses t = 0 too)."""
    log_table = np.log(sigma_of(schedule))

    def eps(x, sigma):
        t = float(np.interp(np.log(max(sigma, 1e-12)), log_table, np.arange(schedule.T)))
        with torch.inference_mode():
            out = model(torch.as_tensor(x, dtype=torch.float32), torch.full((len(x),), t))
        return out.to(torch.float64)

    return eps


def ode_sample(eps_fn, schedule: NoiseSchedule, x_T: torch.Tensor, steps_out=None, rtol: float = 1e-6,
               atol: float = 1e-6) -> np.ndarray:
    """Solve the probability-flow ODE from x_T at step T-1 down to the data (sigma = 0) with RK45.

    steps_out: 0-based steps (descending, -1 = the end) at which to return x; default only the end.
    Returns (len(steps_out), N, D) float64 (x, not x_bar).
    """
    sig = sigma_of(schedule)
    steps_out = [-1] if steps_out is None else [int(s) for s in steps_out]
    s_eval = np.array([sig[s] if s >= 0 else 0.0 for s in steps_out])
    if np.any(np.diff(s_eval) > 0):
        raise ValueError("steps_out must be descending (from noise to data)")
    n, d = x_T.shape
    s_T = sig[-1]
    y0 = (x_T.double().numpy() * np.sqrt(1 + s_T ** 2)).ravel()              # x_bar at sigma_T

    def f(s, y):
        x = y.reshape(n, d) / np.sqrt(1 + s ** 2)
        return np.asarray(eps_fn(torch.from_numpy(x), s), dtype=np.float64).ravel()

    with one_thread():
        sol = solve_ivp(f, (s_T, 0.0), y0, method="RK45", t_eval=s_eval, rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"probability-flow ODE solve failed: {sol.message}")
    x_bar = sol.y.T.reshape(len(s_eval), n, d)
    return x_bar / np.sqrt(1 + s_eval ** 2)[:, None, None]


def sample_toy2d(tm, n: int = 200, seed: int = 0, sampler: str = "ddpm", steps: int | None = None,
                 eta: float = 0.0, record: bool = True, model: torch.nn.Module | None = None,
                 spacing: str = "uniform"):
    """Particles from x_T = tm.noise(n, seed) through the one shared sampler (clip_x0 off: the data is
    not in [-1, 1]); sampler noise seeded by seed + 1. steps defaults to T for DDPM and 100 for DDIM.
    model: another eps-model with the network's signature (e.g. ExactEps) from the same x_T.
    spacing: of the timesteps, as `sample_steps`."""
    steps = steps or (tm.schedule.T if sampler == "ddpm" else 100)
    gen = torch.Generator().manual_seed(seed + 1)
    with one_thread():
        return sample(model or tm.model, tm.schedule, tm.noise(n, seed), sampler, steps, eta, gen, record=record,
                      clip_x0=False, spacing=spacing)


def get_toy2d_trajectory(tm, n: int = 200, seed: int = 0, sampler: str = "ddpm", steps: int | None = None,
                         eta: float = 0.0) -> Trajectory:
    """A cached `sample_toy2d` trajectory: x has shape (S+1, n, 2)."""
    spec = dict(model=tm.key, kind="toy2d", n=n, seed=seed, sampler=sampler, steps=steps, eta=eta)
    return cached("trajectories", "toy2d", spec, lambda: sample_toy2d(tm, n, seed, sampler, steps, eta),
                  codec_of(Trajectory))


def get_ode_path(tm, n: int = 200, seed: int = 0, steps_out=None, rtol: float = 1e-6) -> np.ndarray:
    """A cached `ode_sample` of the trained model from tm.noise(n, seed): (len(steps_out), n, 2)."""
    steps_out = list(tm.schedule.timesteps(100)) + [-1] if steps_out is None else [int(s) for s in steps_out]
    spec = dict(model=tm.key, kind="toy2d-ode", n=n, seed=seed, steps_out=steps_out, rtol=rtol)

    def build():
        return ode_sample(model_eps_fn(tm.model, tm.schedule), tm.schedule, tm.noise(n, seed), steps_out, rtol, rtol)

    return cached("trajectories", "toy2d-ode", spec, build, NPY)


def segment_crossings(x: np.ndarray) -> int:
    """How often two particles' moves cross within the same step: the number of (pair, step) with the
    segments x_i(k) -> x_i(k+1) and x_j(k) -> x_j(k+1) intersecting. x: (S+1, N, 2). A flow (ODE,
    DDIM eta = 0 with small steps) moves neighbours alike and gives 0; independent noise kicks do not."""
    x = np.asarray(x, dtype=np.float64)
    i, j = np.triu_indices(x.shape[1], k=1)
    total = 0
    for k in range(x.shape[0] - 1):
        p, r = x[k, i], x[k + 1, i] - x[k, i]
        q, s = x[k, j], x[k + 1, j] - x[k, j]
        cross = lambda a, b: a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
        den = cross(r, s)
        ok = np.abs(den) > 1e-15
        qp = q - p
        u = np.where(ok, cross(qp, s) / np.where(ok, den, 1), -1)
        v = np.where(ok, cross(qp, r) / np.where(ok, den, 1), -1)
        total += int((ok & (u >= 0) & (u <= 1) & (v >= 0) & (v <= 1)).sum())
    return total


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
    return cached("trajectories", "toy2d-states", spec, lambda: states_at(tm, n, seed, sampler, steps, at), NPY)

"""A 1D diffusion you can check against the truth: a Gaussian mixture and a small MLP eps-model.

Under the forward process x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps, a mixture sum_k w_k N(mu_k, s_k^2)
stays a mixture: sum_k w_k N(sqrt(ab_t) mu_k, ab_t s_k^2 + 1 - ab_t). So the density at every t, its
score and the ideal eps are known in closed form, and a trained model can be measured against them.
Sampling reuses diffusion.sample (one loop for every shape); points are tensors of shape (N, 1).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
from scipy.special import erf

from ...core.cache import cached, codec_of
from ...core.sample import Trajectory, sample
from ...core.schedule import NoiseSchedule
from ...core.trained import TrainedModel
from .config import Mixture



# --- the mixture and its exact forward marginals ------------------------------------------------

def _params(mix: Mixture):
    w, mu, s = (np.asarray(v, dtype=np.float64) for v in (mix.weights, mix.means, mix.stds))
    if not (len(w) == len(mu) == len(s)) or (w < 0).any() or (s <= 0).any() or abs(w.sum() - 1) > 1e-9:
        raise ValueError(f"invalid mixture {mix}: weights must be >= 0 and sum to 1, stds > 0")
    return w, mu, s


def alpha_bar_at(schedule: NoiseSchedule, t: int) -> float:
    """alpha_bar at 0-based step t; t = -1 is the data (alpha_bar = 1)."""
    if not -1 <= t < schedule.T:
        raise ValueError(f"t must be in -1..{schedule.T - 1}, got {t}")
    return 1.0 if t < 0 else float(schedule.alpha_bar[t])


def marginal(mix: Mixture, alpha_bar: float):
    """q(x_t) for the mixture: (weights, means sqrt(ab) mu_k, stds sqrt(ab s_k^2 + 1 - ab))."""
    w, mu, s = _params(mix)
    return w, math.sqrt(alpha_bar) * mu, np.sqrt(alpha_bar * s ** 2 + 1 - alpha_bar)


def mixture_pdf(x, weights, means, stds) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)[..., None]
    z = (x - means) / stds
    return (weights * np.exp(-0.5 * z ** 2) / (stds * math.sqrt(2 * math.pi))).sum(-1)


def mixture_cdf(x, weights, means, stds) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)[..., None]
    return (weights * 0.5 * (1 + erf((x - means) / (stds * math.sqrt(2))))).sum(-1)


def marginal_pdf(mix: Mixture, schedule: NoiseSchedule, t: int, x) -> np.ndarray:
    """Density of q(x_t) at x (closed form); t = -1 gives the data density."""
    return mixture_pdf(x, *marginal(mix, alpha_bar_at(schedule, t)))


def marginal_cdf(mix: Mixture, schedule: NoiseSchedule, t: int, x) -> np.ndarray:
    return mixture_cdf(x, *marginal(mix, alpha_bar_at(schedule, t)))


def sample_mixture(mix: Mixture, n: int, generator: torch.Generator, alpha_bar: float = 1.0) -> torch.Tensor:
    """n points (n, 1) float32 from the mixture's marginal at alpha_bar (1 = the data itself)."""
    w, mu, s = marginal(mix, alpha_bar)
    k = torch.multinomial(torch.as_tensor(w), n, replacement=True, generator=generator)
    z = torch.randn(n, generator=generator, dtype=torch.float64)
    x = torch.as_tensor(mu)[k] + torch.as_tensor(s)[k] * z
    return x.float()[:, None]


def sample_marginal(mix: Mixture, schedule: NoiseSchedule, t: int, n: int, seed: int = 0) -> np.ndarray:
    """n draws (n,) from the closed-form q(x_t)."""
    gen = torch.Generator().manual_seed(seed)
    return sample_mixture(mix, n, gen, alpha_bar_at(schedule, t))[:, 0].numpy()


def exact_eps(mix: Mixture, schedule: NoiseSchedule, x_t: torch.Tensor, t) -> torch.Tensor:
    """The ideal eps-prediction E[eps | x_t] = -sqrt(1 - ab_t) * score of q(x_t) (closed form)."""
    t = torch.as_tensor(t).expand(x_t.shape[0])
    ab = schedule.alpha_bar[t].to(torch.float64)[:, None]                 # (N, 1)
    w, mu, s = (torch.as_tensor(v) for v in _params(mix))
    m = ab.sqrt() * mu                                                      # (N, K)
    var = ab * s ** 2 + 1 - ab
    x = x_t.to(torch.float64)
    logp = torch.log(w) - 0.5 * (x - m) ** 2 / var - 0.5 * torch.log(var)
    r = torch.softmax(logp, dim=-1)                                         # responsibilities
    score = (r * (m - x) / var).sum(-1, keepdim=True)
    return (-(1 - ab).sqrt() * score).to(x_t.dtype)


class ExactEps(nn.Module):
    """The exact eps of the mixture as a 'model' (for tests and as a reference in benchmarks)."""

    def __init__(self, mix: Mixture, schedule: NoiseSchedule):
        super().__init__()
        self.mix, self.schedule = mix, schedule

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return exact_eps(self.mix, self.schedule, x, t)


def wasserstein1(samples, mix: Mixture, schedule: NoiseSchedule | None = None, t: int = -1) -> float:
    """1-Wasserstein distance between the empirical distribution of `samples` and q(x_t) (exact
    CDF): W1 = integral |F_n(x) - F(x)| dx, on a fine grid covering both."""
    x = np.sort(np.asarray(samples, dtype=np.float64).ravel())
    w, mu, s = marginal(mix, 1.0 if schedule is None else alpha_bar_at(schedule, t))
    lo = min(x[0], (mu - 8 * s).min()); hi = max(x[-1], (mu + 8 * s).max())
    grid = np.linspace(lo, hi, 200001)
    f_n = np.searchsorted(x, grid, side="right") / len(x)
    return float(np.trapezoid(np.abs(f_n - mixture_cdf(grid, w, mu, s)), grid))


def mode_boundary(mix: Mixture) -> float:
    """The point between the two modes where the weighted component densities are equal."""
    w, mu, s = _params(mix)
    if len(w) != 2:
        raise ValueError("mode_boundary needs a two-component mixture")
    grid = np.linspace(min(mu), max(mu), 100001)
    d = [w[k] * np.exp(-0.5 * ((grid - mu[k]) / s[k]) ** 2) / s[k] for k in range(2)]
    return float(grid[np.argmin(np.abs(np.log(d[0]) - np.log(d[1])))])


def mode_weights(samples, mix: Mixture) -> np.ndarray:
    """Share of samples on each side of `mode_boundary`, in the order of the mixture's means."""
    b = mode_boundary(mix)
    left = float((np.asarray(samples).ravel() < b).mean())
    return np.array([left, 1 - left]) if mix.means[0] < mix.means[1] else np.array([1 - left, left])


# --- the eps-model ---------------------------------------------------------------------------

Toy1dModel = TrainedModel          # what get_model("toy1d") returns (samples of shape (1,))


def sample_toy1d(tm: Toy1dModel, n: int = 200, seed: int = 0, sampler: str = "ddpm", steps: int | None = None,
                 eta: float = 0.0, record: bool = True):
    """Particles from x_T = noise(n, seed) via diffusion.sample (clip_x0 off: the data is not in
    [-1, 1]); sampler noise seeded by seed + 1. steps defaults to T for DDPM and 100 for DDIM."""
    steps = steps or (tm.schedule.T if sampler == "ddpm" else 100)
    gen = torch.Generator().manual_seed(seed + 1)
    return sample(tm.model, tm.schedule, tm.noise(n, seed), sampler, steps, eta, gen, record=record, clip_x0=False)


def get_toy1d_trajectory(tm: Toy1dModel, n: int = 200, seed: int = 0, sampler: str = "ddpm",
                         steps: int | None = None, eta: float = 0.0) -> Trajectory:
    """A cached `sample_toy1d` trajectory: x has shape (S+1, n, 1)."""
    spec = dict(model=tm.key, kind="toy1d", n=n, seed=seed, sampler=sampler, steps=steps, eta=eta)
    return cached("trajectories", "toy1d", spec, lambda: sample_toy1d(tm, n, seed, sampler, steps, eta),
                  codec_of(Trajectory))


def state_at(traj: Trajectory, t: int) -> np.ndarray:
    """The particles (n,) of a trajectory at 0-based step t (-1: the final samples)."""
    steps = [int(s) for s in traj.timesteps] + [-1]
    if t not in steps:
        raise ValueError(f"step {t} is not on this trajectory's schedule")
    return traj.x[steps.index(t)][:, 0]


def marginal_w1_along(traj: Trajectory, mix: Mixture, schedule: NoiseSchedule, ts) -> np.ndarray:
    """1-Wasserstein between the trajectory's particles at each 0-based step in ts and q(x_t)."""
    return np.array([wasserstein1(state_at(traj, t), mix, schedule, t) for t in ts])


def density_grid(mix: Mixture, schedule: NoiseSchedule, ts, xs) -> np.ndarray:
    """q(x_t) on a grid: rows follow ts (0-based steps, -1 = data), columns follow xs."""
    return np.stack([marginal_pdf(mix, schedule, int(t), xs) for t in ts])


def order_flip_share(x_start, x_end) -> float:
    """Share of particle pairs whose order on the line differs between x_start and x_end: 0 for a flow
    that never lets paths cross, about 1/2 when the end is independent of the start."""
    from scipy.stats import kendalltau

    tau = kendalltau(np.asarray(x_start).ravel(), np.asarray(x_end).ravel()).statistic
    return float((1 - tau) / 2)

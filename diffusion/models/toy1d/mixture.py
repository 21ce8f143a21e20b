"""A 1D diffusion you can check against the truth: a Gaussian mixture and a small MLP eps-model.

Under the forward process x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps, a mixture sum_k w_k N(mu_k, s_k^2)
stays a mixture: sum_k w_k N(sqrt(ab_t) mu_k, ab_t s_k^2 + 1 - ab_t). So the density at every t, its
score and the ideal eps are known in closed form, and a trained model can be measured against them.
Sampling reuses diffusion.sample (one loop for every shape); points are tensors of shape (N, 1).
"""
from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.special import erf
from tqdm.auto import tqdm

from ...core.cache import cache_dir, cached_training, config_key, get_or_build, model_file
from ...core.sample import Trajectory, sample
from ...core.schedule import NoiseSchedule
from ...core.engine import ema_update
from ..digits.network import timestep_embedding


@dataclass(frozen=True)
class Mixture:
    weights: tuple = (0.35, 0.65)
    means: tuple = (-2.0, 1.5)
    stds: tuple = (0.3, 0.5)


@dataclass(frozen=True)
class Toy1dConfig:
    mixture: Mixture = field(default_factory=Mixture)
    schedule: str = "linear"
    T: int = 1000
    hidden: int = 128
    layers: int = 3                 # hidden layers of the MLP
    time_dim: int = 32
    steps: int = 6000
    batch_size: int = 512
    lr: float = 2e-3
    ema_decay: float = 0.995
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


TOY1D_PRESETS = {
    "quick": Toy1dConfig(hidden=64, layers=2, steps=800, batch_size=256, lr=3e-3, ema_decay=0.98),   # seconds
    "default": Toy1dConfig(),                                                                        # ~1 minute
}


def get_toy1d_preset(name: str | None = None) -> Toy1dConfig:
    """The named preset; with no name, $DIFFUSION_PRESET ('large' uses the default) or "default"."""
    name = name or os.environ.get("DIFFUSION_PRESET", "default")
    if name == "large":
        name = "default"
    if name not in TOY1D_PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(TOY1D_PRESETS)}")
    return TOY1D_PRESETS[name]


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

class MLP1d(nn.Module):
    """eps_hat(x_t, t) for 1D points: an MLP whose hidden layers get a learned shift from the
    sinusoidal time embedding (the 1D analogue of the U-Net's ResBlocks)."""

    def __init__(self, config: Toy1dConfig = Toy1dConfig()):
        super().__init__()
        c = config
        self.time_dim = c.time_dim
        self.time_mlp = nn.Sequential(nn.Linear(c.time_dim, c.hidden), nn.SiLU(), nn.Linear(c.hidden, c.hidden))
        self.inp = nn.Linear(1, c.hidden)
        self.hidden = nn.ModuleList(nn.Linear(c.hidden, c.hidden) for _ in range(c.layers))
        self.time_shift = nn.ModuleList(nn.Linear(c.hidden, c.hidden) for _ in range(c.layers))
        self.out = nn.Linear(c.hidden, 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x: (N, 1) points, t: (N,) integer steps -> eps_hat (N, 1)."""
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        temb = F.silu(self.time_mlp(timestep_embedding(t, self.time_dim)))
        h = self.inp(x)
        for lin, shift in zip(self.hidden, self.time_shift):
            h = lin(F.silu(h + shift(temb)))
        return self.out(F.silu(h))


@torch.enable_grad()
def train_toy1d(config: Toy1dConfig, progress: bool = True) -> dict:
    """Seeded training on fresh mixture draws every step; returns {config, ema, history}."""
    schedule = NoiseSchedule(config.schedule, config.T)
    torch.manual_seed(config.seed)
    model = MLP1d(config)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    warmup = max(1, config.steps // 50)
    lr_at = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / config.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    gen = torch.Generator().manual_seed(config.seed)
    history = {"loss": [], "seconds": []}
    t0 = time.perf_counter()
    bar = tqdm(range(config.steps), disable=not progress, desc="train toy1d", unit="step", dynamic_ncols=True)
    for step in bar:
        x0 = sample_mixture(config.mixture, config.batch_size, gen)
        t = torch.randint(0, config.T, (config.batch_size,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        loss = F.mse_loss(model(schedule.add_noise(x0, t, eps), t), eps)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training diverged: loss is {loss.item()} at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
        ema_update(ema, model, config.ema_decay)
        history["loss"].append(loss.item())
        history["seconds"].append(time.perf_counter() - t0)
        if step % 100 == 0:
            bar.set_postfix(loss=f"{np.mean(history['loss'][-100:]):.4f}")
    bar.close()
    return dict(config=config.to_dict(), ema={k: v.detach().clone() for k, v in ema.state_dict().items()},
                history=history)


@dataclass
class Toy1dModel:
    config: Toy1dConfig
    model: MLP1d                # EMA weights, eval mode
    schedule: NoiseSchedule
    history: dict
    key: str

    def noise(self, n: int, seed: int) -> torch.Tensor:
        """x_T ~ N(0, 1) for n points, shape (n, 1), from a seed."""
        return torch.randn((n, 1), generator=torch.Generator().manual_seed(seed))


def toy1d_path(config: Toy1dConfig):
    return model_file("toy1d", config)


def get_toy1d_model(config: Toy1dConfig | str | None = None, progress: bool = True) -> Toy1dModel:
    """The trained 1D model for a config or preset name (trained on first use, then cached)."""
    if not isinstance(config, Toy1dConfig):
        config = get_toy1d_preset(config)
    return _get_toy1d_model(config, progress)


@lru_cache(maxsize=4)
def _get_toy1d_model(config: Toy1dConfig, progress: bool) -> Toy1dModel:
    result = cached_training("toy1d", config, lambda: train_toy1d(config, progress))
    model = MLP1d(config)
    model.load_state_dict(result["ema"])
    model.eval().requires_grad_(False)
    return Toy1dModel(config, model, NoiseSchedule(config.schedule, config.T), result["history"],
                      config_key(config.to_dict()))


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
    path = cache_dir() / "trajectories" / f"toy1d-{config_key(spec)}.npz"
    return get_or_build(path, lambda: sample_toy1d(tm, n, seed, sampler, steps, eta),
                        Trajectory.to_bytes, Trajectory.from_bytes)


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

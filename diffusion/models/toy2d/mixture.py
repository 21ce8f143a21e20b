"""The 2D data: a spiral of small Gaussians, and its forward marginals in closed form.

Under x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps a mixture sum_k w_k N(mu_k, s_k^2 I) stays a mixture:
q(x_t) = sum_k w_k N(sqrt(ab_t) mu_k, (ab_t s_k^2 + 1 - ab_t) I). So log q_t, the score grad log q_t
and the ideal eps-prediction eps*(x_t, t) = E[eps | x_t] = -sqrt(1 - ab_t) grad log q_t are exact
everywhere, at every (also non-integer) t: they depend on t only through alpha_bar.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn as nn

from ...core.schedule import NoiseSchedule


@dataclass(frozen=True)
class Spiral:
    """`components` equal-weight isotropic Gaussians (std `std`) evenly spaced by arc length along an
    Archimedean spiral whose radius grows linearly from r_start to r_end over `turns` turns."""
    components: int = 12
    turns: float = 1.5
    r_start: float = 0.45
    r_end: float = 2.0
    start_angle: float = 0.6 * math.pi
    std: float = 0.12

    def params(self):
        """(weights (K,), means (K, 2), stds (K,)) as float64 arrays (computed once per spiral)."""
        return tuple(a.copy() for a in _spiral_params(self))   # copies: callers may not alter the cache


@lru_cache(maxsize=16)
def _spiral_params(sp: Spiral):
    if sp.components < 1 or sp.std <= 0 or sp.turns <= 0 or sp.r_start < 0 or sp.r_end <= 0:
        raise ValueError(f"invalid spiral {sp}: need components >= 1, std > 0, turns > 0, radii >= 0")
    u = np.linspace(0.0, 1.0, 20001)
    theta = sp.start_angle + 2 * math.pi * sp.turns * u
    r = sp.r_start + (sp.r_end - sp.r_start) * u
    curve = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    arc = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))]
    means = curve[np.searchsorted(arc, np.linspace(0.0, arc[-1], sp.components)).clip(0, len(u) - 1)]
    k = sp.components
    return np.full(k, 1.0 / k), means, np.full(k, float(sp.std))


def alpha_bar_at(schedule: NoiseSchedule, t) -> float:
    """alpha_bar at 0-based step t; t = -1 is the data (alpha_bar = 1)."""
    if not -1 <= t < schedule.T:
        raise ValueError(f"t must be in -1..{schedule.T - 1}, got {t}")
    return 1.0 if t < 0 else float(schedule.alpha_bar[int(t)])


def marginal(mix: Spiral, alpha_bar: float):
    """q(x_t) for the mixture: (weights, means sqrt(ab) mu_k, per-axis variances ab s_k^2 + 1 - ab)."""
    w, mu, s = mix.params()
    return w, math.sqrt(alpha_bar) * mu, alpha_bar * s ** 2 + 1 - alpha_bar


def _components(mix: Spiral, x, alpha_bar):
    """x (N, 2) float64, component means m (N, K, 2), variances (N, K) and log(w_k N(x; m_k, var_k I))."""
    x = torch.as_tensor(x, dtype=torch.float64)
    ab = torch.as_tensor(alpha_bar, dtype=torch.float64)
    ab = (ab.expand(x.shape[0]) if ab.ndim == 0 else ab)[:, None]              # (N, 1)
    w, mu, s = (torch.as_tensor(v) for v in mix.params())
    m = ab.sqrt()[..., None] * mu                                              # (N, K, 2)
    var = ab * s ** 2 + 1 - ab                                                 # (N, K)
    d2 = ((x[:, None, :] - m) ** 2).sum(-1)
    return x, m, var, torch.log(w) - 0.5 * d2 / var - torch.log(2 * math.pi * var)


def log_density(mix: Spiral, x, alpha_bar) -> torch.Tensor:
    """log q(x) under the marginal at alpha_bar (scalar or (N,)); x (N, 2) -> (N,) float64."""
    return torch.logsumexp(_components(mix, x, alpha_bar)[3], dim=-1)


def score(mix: Spiral, x, alpha_bar) -> torch.Tensor:
    """grad_x log q(x) at alpha_bar, closed form: sum_k r_k(x) (m_k - x) / var_k. (N, 2) float64."""
    x, m, var, logits = _components(mix, x, alpha_bar)
    r = torch.softmax(logits, dim=-1)                                          # responsibilities
    return (r[..., None] * (m - x[:, None, :]) / var[..., None]).sum(1)


def exact_eps_ab(mix: Spiral, x, alpha_bar) -> torch.Tensor:
    """eps*(x, alpha_bar) = -sqrt(1 - alpha_bar) * score: what a perfect eps-model predicts."""
    ab = torch.as_tensor(alpha_bar, dtype=torch.float64)
    return -(1 - ab).sqrt().reshape(-1, 1) * score(mix, x, ab)


def exact_eps(mix: Spiral, schedule: NoiseSchedule, x_t: torch.Tensor, t) -> torch.Tensor:
    """eps*(x_t, t) at 0-based integer steps t (int or (N,)), in x_t's dtype."""
    t = torch.as_tensor(t).expand(x_t.shape[0])
    return exact_eps_ab(mix, x_t, schedule.alpha_bar[t]).to(x_t.dtype)


class ExactEps(nn.Module):
    """The exact eps* as a 'model' with the network's signature, for the shared sampler."""

    def __init__(self, mix: Spiral, schedule: NoiseSchedule):
        super().__init__()
        self.mix, self.schedule = mix, schedule

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return exact_eps(self.mix, self.schedule, x, t)


def sample_mixture(mix: Spiral, n: int, generator: torch.Generator, alpha_bar: float = 1.0) -> torch.Tensor:
    """n points (n, 2) float32 from the marginal at alpha_bar (1 = the data itself)."""
    w, mu, var = marginal(mix, alpha_bar)
    k = torch.multinomial(torch.as_tensor(w), n, replacement=True, generator=generator)
    z = torch.randn((n, 2), generator=generator, dtype=torch.float64)
    return (torch.as_tensor(mu)[k] + torch.as_tensor(var).sqrt()[k, None] * z).float()


def sample_marginal(mix: Spiral, schedule: NoiseSchedule, t: int, n: int, seed: int = 0) -> np.ndarray:
    """n draws (n, 2) from the closed-form q(x_t) (t = -1: the data)."""
    return sample_mixture(mix, n, torch.Generator().manual_seed(seed), alpha_bar_at(schedule, t)).numpy()


def axis_marginal_pdf(mix: Spiral, alpha_bar: float, u, axis: int = 0) -> np.ndarray:
    """Density of one coordinate (axis 0: x, 1: y) of q(x_t) at u: a 1D mixture, exact."""
    w, mu, var = marginal(mix, alpha_bar)
    u = np.asarray(u, dtype=np.float64)[..., None]
    return (w * np.exp(-0.5 * (u - mu[:, axis]) ** 2 / var) / np.sqrt(2 * math.pi * var)).sum(-1)


@torch.inference_mode()
def tweedie_eps_mc(mix: Spiral, x, alpha_bar: float, n: int = 100_000, seed: int = 0, chunk: int = 64) -> dict:
    """E[eps | x_t = x] by Monte Carlo, with no score and no closed form of q_t: draw x_0 from the data,
    weight each draw by q(x_t = x | x_0) = N(sqrt(ab) x_0, (1 - ab) I) (self-normalised), and average the
    noise each draw implies, eps = (x - sqrt(ab) x_0) / sqrt(1 - ab). Tweedie's formula says this is
    eps* = -sqrt(1 - ab) grad log q_t. Returns {eps (N, 2), se (N, 2): the estimator's standard error
    (delta method), ess (N,): effective number of draws}."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    x0 = sample_mixture(mix, n, torch.Generator().manual_seed(seed)).double()        # (n, 2)
    a, s = math.sqrt(alpha_bar), math.sqrt(1 - alpha_bar)
    eps, se, ess = [], [], []
    for xs in x.split(chunk):
        e = (xs[:, None, :] - a * x0[None]) / s                                       # (c, n, 2)
        w = torch.softmax(-0.5 * (e ** 2).sum(-1), dim=1)                             # (c, n)
        m = (w[..., None] * e).sum(1)
        eps.append(m)
        se.append(((w ** 2)[..., None] * (e - m[:, None]) ** 2).sum(1).sqrt())
        ess.append(1 / (w ** 2).sum(1))
    return dict(eps=torch.cat(eps).numpy(), se=torch.cat(se).numpy(), ess=torch.cat(ess).numpy())

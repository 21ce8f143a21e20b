"""The exact marginal velocity of the flow path for the spiral of Gaussians.

Under x_t = (1 - t) x_0 + t eps a mixture sum_k w_k N(mu_k, s_k^2 I) stays a mixture:
p_t = sum_k w_k N((1 - t) mu_k, ((1 - t)^2 s_k^2 + t^2) I). Given x_t = x and component k, (x_0, eps) are
jointly Gaussian, so with m_k = (1 - t) mu_k, V_k = (1 - t)^2 s_k^2 + t^2 and r_k(x) the responsibilities,
    E[x_0 | x, k] = mu_k + (1 - t) s_k^2 / V_k (x - m_k),   E[eps | x, k] = t / V_k (x - m_k),
    u_t(x) = E[eps - x_0 | x_t = x] = sum_k r_k(x) ((t - (1 - t) s_k^2) / V_k (x - m_k) - mu_k),
the velocity a perfect flow-matching network predicts, everywhere and at every t in [0, 1]. Its ODE
dx/dt = u_t carries p_1 = N(0, I) to the data (the continuity equation; tests check it numerically).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ...core.path import FlowPath
from ..toy2d.mixture import Spiral


def _times(t, n: int) -> torch.Tensor:
    t = torch.as_tensor(t, dtype=torch.float64)
    return (t.expand(n) if t.ndim == 0 else t)[:, None]                         # (N, 1)


def _components(mix: Spiral, x, t):
    """x (N, 2) float64, t (N, 1), means mu (K, 2), variances V (N, K), stds^2 (K,), log w_k N(x; m_k, V_k I)."""
    x = torch.as_tensor(x, dtype=torch.float64)
    t = _times(t, x.shape[0])
    w, mu, s = (torch.as_tensor(v) for v in mix.params())
    m = (1 - t)[..., None] * mu                                               # (N, K, 2)
    var = (1 - t) ** 2 * s ** 2 + t ** 2                                       # (N, K)
    d2 = ((x[:, None, :] - m) ** 2).sum(-1)
    return x, t, mu, m, var, s ** 2, torch.log(w) - 0.5 * d2 / var - torch.log(2 * math.pi * var)


def flow_log_density(mix: Spiral, x, t) -> torch.Tensor:
    """log p_t(x) of the flow path's marginal at time t (scalar or (N,)); x (N, 2) -> (N,) float64."""
    return torch.logsumexp(_components(mix, x, t)[-1], dim=-1)


def exact_velocity(mix: Spiral, x, t) -> torch.Tensor:
    """u_t(x) = E[eps - x_0 | x_t = x] in closed form, (N, 2) float64."""
    x, t, mu, m, var, s2, logits = _components(mix, x, t)
    r = torch.softmax(logits, dim=-1)                                          # (N, K)
    gain = (t - (1 - t) * s2) / var                                            # (N, K)
    per = gain[..., None] * (x[:, None, :] - m) - mu                           # (N, K, 2)
    return (r[..., None] * per).sum(1)


class ExactVelocity(nn.Module):
    """The exact u_t as a 'model' with the network's signature (x, step k; t = (k + 1) / T), for the shared
    sampling loop and for comparisons on the grid."""

    def __init__(self, mix: Spiral, path: FlowPath):
        super().__init__()
        self.mix, self.path = mix, path

    def forward(self, x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return exact_velocity(self.mix, x, self.path.time(torch.as_tensor(k))).to(x.dtype)


def sample_flow_marginal(mix: Spiral, t: float, n: int, seed: int = 0) -> torch.Tensor:
    """n draws (n, 2) float64 of x_t = (1 - t) x_0 + t eps with x_0 from the data (seeded)."""
    from ..toy2d.mixture import sample_mixture

    g = torch.Generator().manual_seed(seed)
    x0 = sample_mixture(mix, n, g).double()
    return (1 - t) * x0 + t * torch.randn((n, 2), generator=g, dtype=torch.float64)

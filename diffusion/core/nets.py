"""The time conditioning every model shares: one sinusoidal timestep embedding, and one time-conditioned
MLP for points (the 1D and 2D toys; the point-cloud analogue of the U-Net's ResBlocks)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .keys import key_dict

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Transformer-style sinusoidal embedding of steps t, shape (N,) -> (N, dim): sin and cos of
    t * max_period^(-k / half) for k < half = dim // 2. t may be fractional (the graphs pass t / T * 1000)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class TimeMLP(nn.Module):
    """eps_hat(x_t, t) for points in R^dim: an MLP whose hidden layers get a learned shift from the
    sinusoidal time embedding. t may be fractional (the probability-flow ODE asks between the integer
    steps it was trained on)."""

    def __init__(self, dim: int = 2, hidden: int = 128, layers: int = 4, time_dim: int = 32):
        super().__init__()
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(dim, hidden)
        self.hidden = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.time_shift = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.out = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """x: (N, dim) points, t: (N,) or scalar steps -> eps_hat (N, dim)."""
        t = torch.as_tensor(t, device=x.device)
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        temb = F.silu(self.time_mlp(timestep_embedding(t, self.time_dim)))
        h = self.inp(x)
        for lin, shift in zip(self.hidden, self.time_shift):
            h = lin(F.silu(h + shift(temb)))
        return self.out(F.silu(h))


@dataclass(frozen=True)
class TimeMLPConfig:
    """What a point model (toy1d, toy2d) trains with: the schedule, the TimeMLP and the training run. Each
    model's config adds the distribution it learns and its own defaults."""
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
        return key_dict(self)

    def network(self, dim: int) -> TimeMLP:
        return TimeMLP(dim, self.hidden, self.layers, self.time_dim)

"""The 2D eps-model: config with presets, data sampler, network and loss — described once, so a shared
training engine can take it as is (`train.py` holds the loop until that engine exists)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...core.schedule import NoiseSchedule
from ...core.nets import TimeMLP
from .mixture import Spiral, sample_mixture


@dataclass(frozen=True)
class Toy2dConfig:
    mixture: Spiral = field(default_factory=Spiral)
    schedule: str = "linear"
    T: int = 1000
    hidden: int = 128
    layers: int = 3                  # hidden layers of the MLP
    time_dim: int = 32
    steps: int = 8000
    batch_size: int = 256
    lr: float = 2e-3
    ema_decay: float = 0.995
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


TOY2D_PRESETS = {
    "quick": Toy2dConfig(hidden=64, layers=2, steps=600, batch_size=256, lr=3e-3, ema_decay=0.98),   # seconds
    "default": Toy2dConfig(),                                                                        # ~1-2 min
    "large": Toy2dConfig(hidden=256, layers=4, steps=30000, batch_size=1024, lr=1e-3, ema_decay=0.999),
}


def build_network(config: Toy2dConfig) -> TimeMLP:
    return TimeMLP(2, config.hidden, config.layers, config.time_dim)


def sample_data(config: Toy2dConfig, n: int, generator: torch.Generator) -> torch.Tensor:
    """A fresh batch (n, 2) of exact draws from the spiral: the data set is infinite."""
    return sample_mixture(config.mixture, n, generator)


def loss_fn(model: nn.Module, schedule: NoiseSchedule, x0: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The eps-MSE of Ho et al. 2020 at uniformly drawn t."""
    t = torch.randint(0, schedule.T, (x0.shape[0],), generator=generator)
    eps = torch.randn(x0.shape, generator=generator)
    return F.mse_loss(model(schedule.add_noise(x0, t, eps), t), eps)

"""A trained model as the scenes see it: EMA network (eval, CPU), schedule, loss history, snapshots,
and the recipe that made it (so core never looks up the model registry above it)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import torch

from .schedule import NoiseSchedule


@dataclass
class TrainedModel:
    name: str                   # registered model name (diffusion.models.MODELS)
    config: object              # the model's config dataclass
    model: torch.nn.Module      # EMA weights, eval mode, on the CPU
    schedule: NoiseSchedule
    history: dict               # per step: loss, seconds (and step)
    snapshots: dict             # step -> EMA state dict saved during training
    key: str                    # cache key of the config
    extras: dict = field(default_factory=dict)   # what the recipe stores beside the weights
    recipe: object = field(default=None, repr=False)   # the diffusion.core.recipe.Recipe that trained it

    @property
    def shape(self) -> tuple:
        """Shape of one sample (C, H, W) for images, (1,) for 1D points, (n, n) for graphs."""
        return tuple(self.recipe.sample_shape(self.config))

    image_shape = shape

    def model_at(self, step: int) -> torch.nn.Module:
        """The EMA model as it was at a training snapshot step."""
        m = self.recipe.network(self.config)
        m.load_state_dict(self.snapshots[step])
        return m.eval().requires_grad_(False)

    def untrained(self, seed: int = 0) -> "TrainedModel":
        """The same network freshly initialised from `seed` (no training): what a claim about the trained
        model must fail on. Its key is the model's own plus a suffix, so what is cached for it stays apart."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = self.recipe.network(self.config)
        return replace(self, model=net.eval().requires_grad_(False), snapshots={}, key=f"{self.key}-untrained{seed}")

    def noise(self, n: int, seed: int) -> torch.Tensor:
        """x_T ~ N(0, I) for n samples, from a seed (drawn on the CPU: the same numbers on any device)."""
        return torch.randn((n, *self.shape), generator=torch.Generator().manual_seed(seed))

    def on(self, device) -> torch.nn.Module:
        """The EMA network on `device` (a copy unless it is already there)."""
        device = torch.device(device)
        p = next(self.model.parameters(), None)
        if p is None or p.device == device:
            return self.model
        return copy.deepcopy(self.model).to(device)

"""Trained models and trajectories from the cache: trained on first use, loaded instantly after."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .cache import cache_dir, cached_training, config_key, get_or_build, model_file
from ..models.digits.config import get_preset
from .sample import Trajectory, sample
from .schedule import NoiseSchedule
from .engine import TrainConfig, train
from ..models.digits.network import UNet


@dataclass
class TrainedModel:
    config: TrainConfig
    model: UNet                 # EMA weights, eval mode, on the CPU
    schedule: NoiseSchedule
    history: dict               # loss per step, seconds
    snapshots: dict             # step -> EMA state dict saved during training
    key: str

    @property
    def image_shape(self) -> tuple:
        return (self.config.unet.in_channels, self.config.image_size, self.config.image_size)

    def model_at(self, step: int) -> UNet:
        """The EMA model as it was at a training snapshot step."""
        m = UNet(self.config.unet)
        m.load_state_dict(self.snapshots[step])
        return m.eval()

    def noise(self, n: int, seed: int) -> torch.Tensor:
        """x_T ~ N(0, I) for n samples, from a seed."""
        return torch.randn((n, *self.image_shape), generator=torch.Generator().manual_seed(seed))


def model_path(config: TrainConfig):
    return model_file(config.dataset, config)


def get_model(config: TrainConfig | str | None = None, progress: bool = True) -> TrainedModel:
    """The trained model for a config or preset name (default: $DIFFUSION_PRESET or 'default')."""
    if not isinstance(config, TrainConfig):
        config = get_preset(config)
    return _get_model(config, progress)


@lru_cache(maxsize=8)
def _get_model(config: TrainConfig, progress: bool) -> TrainedModel:
    state_path = model_path(config).with_suffix(".state")
    result = cached_training(config.dataset, config, lambda: train(config, state_path=state_path, progress=progress))
    for leftover in (state_path, state_path.with_suffix(".state.sha256")):
        leftover.unlink(missing_ok=True)            # the finished model supersedes the resumable state
    model = UNet(config.unet)
    model.load_state_dict(result["ema"])
    model.eval().requires_grad_(False)
    return TrainedModel(config, model, NoiseSchedule(config.schedule, config.T), result["history"],
                        result["snapshots"], config_key(config.to_dict()))


def get_trajectory(tm: TrainedModel, n: int = 16, seed: int = 0, sampler: str = "ddim", steps: int = 50,
                   eta: float = 0.0) -> Trajectory:
    """A cached trajectory of n samples from x_T = noise(n, seed); sampler noise seeded by seed + 1."""
    spec = dict(model=tm.key, n=n, seed=seed, sampler=sampler, steps=steps, eta=eta)
    path = cache_dir() / "trajectories" / f"{config_key(spec)}.npz"

    def build():
        gen = torch.Generator().manual_seed(seed + 1)
        return sample(tm.model, tm.schedule, tm.noise(n, seed), sampler, steps, eta, gen)

    return get_or_build(path, build, Trajectory.to_bytes, Trajectory.from_bytes)


def to_numpy_images(x) -> np.ndarray:
    """[N x 1 x H x W] tensor/array -> (N, H, W) float array clipped to [-1, 1]."""
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return np.clip(x[:, 0], -1, 1)

"""Trained models and trajectories from the cache: trained on first use, loaded instantly after.

The one loader for every model: `load_model(recipe, preset_or_config, **overrides)`; by name through the
model registry, `diffusion.models.get_model(name, ...)` (core never imports the registry above it).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from . import engine
from .cache import cache_dir, cached, cached_training, codec_of, config_key, model_file, note_access
from .sample import Trajectory, sample
from .trained import TrainedModel


def model_path(name: str, config):
    """Where the trained model lives: cache/models/<name>-<config key>.pt"""
    return model_file(name, config)


def load_model(recipe, config, progress: bool = True, **overrides) -> TrainedModel:
    """The trained model of `recipe` for a Preset (or its name) or a config, with optional setting
    overrides (steps=9000): loaded from the cache or trained once."""
    config = recipe.config(config, **overrides)
    note_access(model_path(recipe.name, config))    # also when the copy in memory below serves it
    # the cache directory is part of the key: a changed $DIFFUSION_CACHE loads from (or trains into) it
    return _load_model(recipe, config, str(cache_dir()), progress)


@lru_cache(maxsize=16)
def _load_model(recipe, config, cache: str, progress: bool) -> TrainedModel:
    name = recipe.name
    state_path = model_path(name, config).with_suffix(".state")
    result = cached_training(name, config, lambda: engine.train(recipe, config, state_path=state_path,
                                                                 progress=progress))
    for leftover in (state_path, state_path.with_suffix(".state.sha256")):
        leftover.unlink(missing_ok=True)            # the finished model supersedes the resumable state
    model = recipe.network(config)
    model.load_state_dict(result["ema"])
    model.eval().requires_grad_(False)
    return recipe.trained_type(name, config, model, recipe.schedule(config), result["history"],
                               result.get("snapshots", {}), config_key(config.to_dict()),
                               {k: result[k] for k in recipe.extra_keys}, recipe)


def clear_memory_cache() -> None:
    """Forget the models loaded in this process (the files stay)."""
    _load_model.cache_clear()


def get_trajectory(tm: TrainedModel, n: int = 16, seed: int = 0, sampler: str = "ddim", steps: int = 50,
                   eta: float = 0.0) -> Trajectory:
    """A cached trajectory of n samples from x_T = noise(n, seed); sampler noise seeded by seed + 1."""
    spec = dict(model=tm.key, n=n, seed=seed, sampler=sampler, steps=steps, eta=eta)

    def build():
        gen = torch.Generator().manual_seed(seed + 1)
        return sample(tm.model, tm.schedule, tm.noise(n, seed), sampler, steps, eta, gen)

    return cached("trajectories", "", spec, build, codec_of(Trajectory))


def to_numpy_images(x) -> np.ndarray:
    """[N x 1 x H x W] tensor/array -> (N, H, W) float array clipped to [-1, 1]."""
    x = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    return np.clip(x[:, 0], -1, 1)

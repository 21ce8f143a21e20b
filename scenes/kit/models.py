"""What scenes load from the library: the trained model and cached trajectories (never trained here
in a hot path — the first call trains and caches once, `make models` does it ahead of time)."""
from __future__ import annotations

import sys
from functools import lru_cache

from diffusion.core.loader import get_trajectory
from diffusion.core.trained import TrainedModel
from diffusion.models import get_model


@lru_cache(maxsize=1)
def digits_model() -> TrainedModel:
    """the digits U-Net of the active preset ($DIFFUSION_PRESET, default 'default')"""
    return get_model("digits", progress=sys.stderr.isatty())     # a bar when it trains in a terminal


def digits_trajectory(n: int = 16, seed: int = 0, sampler: str = "ddpm", steps: int = 1000, eta: float = 0.0):
    return get_trajectory(digits_model(), n=n, seed=seed, sampler=sampler, steps=steps, eta=eta)

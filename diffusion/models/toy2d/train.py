"""Training and loading of the 2D model go through the shared engine (diffusion/core, recipe.py);
these two names stay for the scenes, the bench and the tests."""
from __future__ import annotations

from ...core import engine
from .model import Toy2dConfig
from .recipe import RECIPE


def train_toy2d(config: Toy2dConfig, progress: bool = True) -> dict:
    """One seeded engine run (no cache): {config, ema, history, snapshots}."""
    return engine.train(RECIPE, config, progress=progress)


def get_toy2d_model(config: Toy2dConfig | str | None = None, progress: bool = True):
    """The trained 2D model for a config or preset name (None: $DIFFUSION_PRESET or default), from the
    cache or trained once: diffusion.models.get_model("toy2d", ...)."""
    from .. import get_model

    return get_model("toy2d", config, progress)

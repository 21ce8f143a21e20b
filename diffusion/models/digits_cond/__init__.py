"""The class-conditional digits model ("digits-cond"): the digits U-Net plus a label embedding, trained
by the shared engine with the null label on a share of the examples, so it also serves as its own
unconditional model (recipe.py)."""
from __future__ import annotations

from .recipe import LABEL_DROP, NUM_CLASSES, OVERRIDES, RECIPE  # noqa: F401

NAME = RECIPE.name


def cond_config(preset: str | None = None):
    """The conditional twin of a digits preset (same seed and data; see OVERRIDES)."""
    return RECIPE.config(preset)


def get_cond_model(preset: str | None = None, progress: bool = True):
    """The trained conditional model (trained once, then loaded from the cache)."""
    from ...core.loader import get_model

    return get_model(NAME, preset, progress)

"""Every model the library trains, by name.

Registering a model: a package diffusion/models/<name>/ (data, network, config with quick/default/large
presets, recipe.py defining RECIPE, a `diffusion.core.recipe.Recipe`) and one line in MODELS below.
Then `get_model(name, preset)`, `python -m diffusion train|sample <name>` and `make models` know it.
"""
from __future__ import annotations

from importlib import import_module

from ..core.loader import load_model

MODELS = {
    "digits": "diffusion.models.digits.recipe",     # 8x8 scikit-learn digits, U-Net eps-model
    "graphs": "diffusion.models.graphs.recipe",     # two-community graphs, discrete edge diffusion
    "toy1d": "diffusion.models.toy1d.recipe",       # 1D two-bump Gaussian mixture, MLP eps-model
    "toy2d": "diffusion.models.toy2d.recipe",       # 2D spiral of 12 Gaussians (exact score), MLP eps-model
    "digits-cond": "diffusion.models.digits_cond.recipe",   # class-conditional digits, classifier-free guidance
    "toy2d-fm": "diffusion.models.toy2d_fm.recipe", # toy2d's spiral and MLP trained by flow matching
    "digits-fm": "diffusion.models.digits_fm.recipe",   # digits' data and U-Net trained by flow matching
    "toy2d-reflow": "diffusion.models.toy2d_reflow.recipe",  # toy2d-fm rectified once (its own noise-sample pairs)
}


def names() -> tuple:
    return tuple(MODELS)


def check_name(name: str) -> str:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    return name


def get_recipe(name: str):
    return import_module(MODELS[check_name(name)]).RECIPE


def get_config(name: str, preset, **overrides):
    """The config of model `name` for a Preset (or its name), with overrides."""
    return get_recipe(name).config(preset, **overrides)


def get_model(name: str, config, progress: bool = True, **overrides):
    """The trained model `name` (diffusion.core.loader.load_model): loaded from the cache or trained once."""
    return load_model(get_recipe(name), config, progress, **overrides)

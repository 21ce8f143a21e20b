"""What scenes load from the library: the trained models and cached trajectories (never trained here
in a hot path — the first call trains and caches once, `make models` does it ahead of time). No Manim.

Every model is loaded for the scenes' preset (scenes/kit/preset.py)."""
from __future__ import annotations

import sys
from functools import lru_cache

import numpy as np

from diffusion.core.loader import get_trajectory
from diffusion.core.presets import Preset
from diffusion.core.trained import TrainedModel
from diffusion.models import get_model
from diffusion.models.graphs.data import make_graphs
from diffusion.models.graphs.discrete import TrainedGraphModel, get_graph_trajectory

from .preset import scene_preset


def digits_model() -> TrainedModel:
    """the digits U-Net of the scenes' preset"""
    return _digits_model(scene_preset())


@lru_cache(maxsize=1)
def _digits_model(preset: Preset) -> TrainedModel:
    return get_model("digits", preset, progress=sys.stderr.isatty())     # a bar when it trains in a terminal


def digits_trajectory(n: int = 16, seed: int = 0, sampler: str = "ddpm", steps: int = 1000, eta: float = 0.0):
    return get_trajectory(digits_model(), n=n, seed=seed, sampler=sampler, steps=steps, eta=eta)


COND_NODES = (0, 1, 2, 3, 8, 9)         # held fixed: four nodes of one block, two of the other
COND_INDEX = 0                           # which test-split graph gives the fixed subgraph


def graph_model() -> TrainedGraphModel:
    """the graph denoiser of the scenes' preset"""
    return _graph_model(scene_preset())


@lru_cache(maxsize=1)
def _graph_model(preset: Preset) -> TrainedGraphModel:
    return get_model("graphs", preset, progress=sys.stderr.isatty())


def condition_graph() -> np.ndarray:
    return make_graphs(graph_model().config.family, COND_INDEX + 1, "test")[COND_INDEX]


def conditional_trajectory(n: int = 4, seed: int = 0):
    """graphs sampled with the fixed subgraph held (graph denoiser)"""
    return get_graph_trajectory(graph_model(), n, seed, condition_graph(), COND_NODES)


def unconditional_trajectory(n: int = 4, seed: int = 0):
    return get_graph_trajectory(graph_model(), n, seed)


def toy2d_model():
    """the 2D spiral MLP eps-model of the scenes' preset"""
    return get_model("toy2d", scene_preset(), progress=False)

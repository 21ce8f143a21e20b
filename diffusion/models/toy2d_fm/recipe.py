"""toy2d-fm for the engine: toy2d's recipe (fresh spiral draws, the same MLP, the same draws per step) with
the flow path and the velocity MSE."""
from __future__ import annotations

from ...core.flow_recipe import FlowMatching, flow_presets
from ..toy2d.config import TOY2D_PRESETS
from ..toy2d.recipe import Toy2d


class Toy2dFlow(FlowMatching, Toy2d):
    """2D spiral of 12 Gaussians, the toy2d MLP trained by flow matching (velocity eps - x0), Euler sampler"""
    name = "toy2d-fm"
    presets = flow_presets("toy2d-fm", TOY2D_PRESETS)


RECIPE = Toy2dFlow()

"""digits-fm for the engine: the digits recipe (data, U-Net, batch draws, budget) with the flow path and
the velocity MSE; samples are clamped to [-1, 1] only at the end (to_numpy)."""
from __future__ import annotations

from ...core.flow_recipe import FlowMatching, flow_presets
from ..digits.config import PRESETS
from ..digits.recipe import Digits


class DigitsFlow(FlowMatching, Digits):
    """8x8 scikit-learn digits, the digits U-Net trained by flow matching (velocity eps - x0), Euler sampler"""
    name = "digits-fm"
    presets = flow_presets("digits-fm", PRESETS)

    def network(self, config):
        if config.prediction != "eps" or config.min_snr_gamma:
            raise ValueError("digits-fm predicts the velocity: leave prediction and min_snr_gamma at their defaults")
        return super().network(config)


RECIPE = DigitsFlow()

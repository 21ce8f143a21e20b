"""The class-conditional digits model ("digits-cond"): the digits preset plus a label embedding, trained
with the null label on a share of the examples so it also serves as its own unconditional model."""
from __future__ import annotations

import os
from dataclasses import replace

from ...core.engine import TrainConfig
from ...core.loader import TrainedModel, get_model
from ..digits.config import get_preset
from ..digits.network import UNetConfig

NAME = "digits-cond"
NUM_CLASSES = 10
LABEL_DROP = 0.1          # Ho & Salimans train with p_uncond 0.1-0.2; 0.1 keeps most steps conditional


# where the conditional model differs from the digits preset of the same name: the default is a
# smaller network on a shorter run (2400 steps of a 16-channel U-Net, about half the digits model's
# compute), so the model, the guidance sweep and the scene fit a shared 2-core machine
OVERRIDES = {
    "default": dict(unet=UNetConfig(base_channels=16, channel_mults=(1, 2), time_dim=64, groups=8),
                    steps=2400, snapshots=(100, 300, 1000, 2400)),
}


def cond_config(preset: str | None = None) -> TrainConfig:
    """The conditional twin of a digits preset (same seed and data; see OVERRIDES)."""
    name = preset or os.environ.get("DIFFUSION_PRESET", "default")
    base = replace(get_preset(name), **OVERRIDES.get(name, {}))
    return replace(base, unet=replace(base.unet, num_classes=NUM_CLASSES), label_drop=LABEL_DROP)


def get_cond_model(preset: str | None = None, progress: bool = True) -> TrainedModel:
    """The trained conditional model (trained once, then loaded from the cache)."""
    return get_model(cond_config(preset), progress)

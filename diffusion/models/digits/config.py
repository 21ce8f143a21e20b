"""Named training configurations: quick (tests), default (renders), large (GPU or patience)."""
from __future__ import annotations

import os
from dataclasses import replace

from ...core.engine import TrainConfig
from .network import UNetConfig

PRESETS = {
    # trains in seconds; samples are blobs, good enough to test the plumbing
    "quick": TrainConfig(unet=UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4),
                         steps=150, batch_size=64, lr=3e-3, ema_decay=0.99, snapshots=(50, 100)),
    # what renders use: about 4 minutes on 2 CPU cores (see README)
    "default": TrainConfig(),
    # one flag away for people with time or a GPU
    "large": TrainConfig(image_size=16, unet=UNetConfig(base_channels=64, channel_mults=(1, 2, 2), time_dim=128),
                         steps=30000, batch_size=128, lr=1e-3, ema_decay=0.9995,
                         snapshots=(500, 2000, 8000, 30000)),
}


def get_preset(name: str | None = None) -> TrainConfig:
    """The named preset; with no name, $DIFFUSION_PRESET or "default"."""
    name = name or os.environ.get("DIFFUSION_PRESET", "default")
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]


def with_dataset(config: TrainConfig, dataset: str) -> TrainConfig:
    return replace(config, dataset=dataset)

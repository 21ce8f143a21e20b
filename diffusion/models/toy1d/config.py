"""The 1D model's config (the mixture it learns, the MLP, training) and its presets: quick, default, large (= default)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ...core.nets import TimeMLPConfig
from ...core.presets import check_table


@dataclass(frozen=True)
class Mixture:
    weights: tuple = (0.35, 0.65)
    means: tuple = (-2.0, 1.5)
    stds: tuple = (0.3, 0.5)


@dataclass(frozen=True)
class Toy1dConfig(TimeMLPConfig):
    mixture: Mixture = field(default_factory=Mixture)


TOY1D_PRESETS = check_table("toy1d", {
    "quick": Toy1dConfig(hidden=64, layers=2, steps=800, batch_size=256, lr=3e-3, ema_decay=0.98),   # seconds
    "default": Toy1dConfig(),                                                                        # ~1 minute
    # the same as default (same cache key): the default already reaches the W1 bound of bench/toy1d.py
    "large": Toy1dConfig(),
})

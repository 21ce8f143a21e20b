"""The 2D model's config (the spiral it learns, the MLP, training) and its presets: quick, default, large."""
from __future__ import annotations

from dataclasses import dataclass, field

from ...core.nets import TimeMLPConfig
from ...core.presets import check_table
from .mixture import Spiral


@dataclass(frozen=True)
class Toy2dConfig(TimeMLPConfig):
    mixture: Spiral = field(default_factory=Spiral)
    steps: int = 8000
    batch_size: int = 256


TOY2D_PRESETS = check_table("toy2d", {
    "quick": Toy2dConfig(hidden=64, layers=2, steps=600, batch_size=256, lr=3e-3, ema_decay=0.98),   # seconds
    "default": Toy2dConfig(),                                                                        # ~1-2 min
    "large": Toy2dConfig(hidden=256, layers=4, steps=30000, batch_size=1024, lr=1e-3, ema_decay=0.999),
})

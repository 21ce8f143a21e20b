"""The 2D model's config (the spiral it learns, the MLP, training) and its presets: quick, default, large."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ...core.presets import check_table
from .mixture import Spiral


@dataclass(frozen=True)
class Toy2dConfig:
    mixture: Spiral = field(default_factory=Spiral)
    schedule: str = "linear"
    T: int = 1000
    hidden: int = 128
    layers: int = 3                  # hidden layers of the MLP
    time_dim: int = 32
    steps: int = 8000
    batch_size: int = 256
    lr: float = 2e-3
    ema_decay: float = 0.995
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


TOY2D_PRESETS = check_table("toy2d", {
    "quick": Toy2dConfig(hidden=64, layers=2, steps=600, batch_size=256, lr=3e-3, ema_decay=0.98),   # seconds
    "default": Toy2dConfig(),                                                                        # ~1-2 min
    "large": Toy2dConfig(hidden=256, layers=4, steps=30000, batch_size=1024, lr=1e-3, ema_decay=0.999),
})

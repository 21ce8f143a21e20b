"""The digits model's config and its presets: quick (tests), default (renders), large (GPU or patience)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ...core.presets import check_table
from ...core.schedule import check_t_focus
from ...core.keys import added, key_dict
from .network import UNetConfig


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "digits"
    image_size: int = 8                                # native size of the digits
    schedule: str = "linear"
    T: int = 1000
    unet: UNetConfig = field(default_factory=UNetConfig)
    steps: int = 4800
    batch_size: int = 128
    lr: float = 2e-3
    ema_decay: float = 0.999
    seed: int = 0
    snapshots: tuple = (100, 300, 1000, 2500, 4800)   # steps whose EMA weights are kept (training montage)
    checkpoint_every: int = 500                        # resumable state is saved this often
    label_drop: float = added(0.0)                     # conditional U-Net: share of examples trained with the null label
    ema_warmup: bool = added(False)                    # EMA decay min(ema_decay, (1 + n) / (10 + n)) at update n
    min_snr_gamma: float = added(0.0)                  # > 0: eps loss weighted by min(SNR, gamma) / SNR (Hang et al. 2023)
    prediction: str = added("eps")                     # what the U-Net outputs and the MSE compares: eps, x0 or v
    # (lo, hi, share): a share of each batch draws t from [lo T, hi T) instead of [0, T) (as graphs do);
    # () = uniform t. It moves training effort, and so loss weight, to those steps.
    t_focus: tuple = added(())

    def __post_init__(self):
        check_t_focus(self.t_focus, self.T)

    def to_dict(self) -> dict:
        return key_dict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d["unet"] = UNetConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["unet"].items()})
        d["snapshots"] = tuple(d["snapshots"])
        d["t_focus"] = tuple(d.get("t_focus", ()))
        return cls(**d)


PRESETS = check_table("digits", {
    # trains in seconds; samples are blobs, good enough to test the plumbing
    "quick": TrainConfig(unet=UNetConfig(base_channels=8, channel_mults=(1, 2), time_dim=16, groups=4),
                         steps=150, batch_size=64, lr=3e-3, ema_decay=0.99, snapshots=(50, 100)),
    # what renders use; its training time on 2 CPU cores (bound 300 s) is in bench/reports/digits.md
    "default": TrainConfig(),
    # one flag away for people with a GPU: on one H100 a step is launch-bound (about the same time at
    # batch 128 and 512), so the 3.8 M training samples come in 7500 steps of 512 (bench/engine.py)
    "large": TrainConfig(image_size=16, unet=UNetConfig(base_channels=64, channel_mults=(1, 2, 2), time_dim=128),
                         steps=7500, batch_size=512, lr=1e-3, ema_decay=0.999,
                         snapshots=(500, 2000, 4000, 7500)),
})

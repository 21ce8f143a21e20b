"""Inpainting with the image model: part of a real held-out digit is known, the model fills the rest.

Conditioning is RePaint-style (Lugmayr et al. 2022, without resampling): after every reverse step
the known region is replaced by the real image noised to the new step with fresh noise, so the
model always sees a consistent x_t and the known pixels end exactly at their true values.
The sampling loop itself is `diffusion.sample.sample_steps` (its `known` / `mask` arguments).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..core.cache import cache_dir, config_key, get_or_build
from ..models.digits.data import load_dataset
from ..core.trained import TrainedModel
from ..core.sample import Trajectory, sample

MASKS = ("top", "left", "bottom", "right")


@dataclass(frozen=True)
class InpaintSpec:
    image_index: int = 0           # index into the held-out split
    keep: str = "top"              # which half is known
    n: int = 6                     # completions, each from its own noise
    seed: int = 0
    sampler: str = "ddpm"
    steps: int = 1000

    def to_dict(self) -> dict:
        return asdict(self)


def half_mask(size: int, keep: str) -> torch.Tensor:
    """(1, size, size) float mask, 1 on the known half."""
    if keep not in MASKS:
        raise ValueError(f"unknown mask {keep!r}; choose one of {', '.join(MASKS)}")
    m = torch.zeros(1, size, size)
    h = size // 2
    {"top": lambda: m[:, :h].fill_(1), "bottom": lambda: m[:, h:].fill_(1),
     "left": lambda: m[:, :, :h].fill_(1), "right": lambda: m[:, :, h:].fill_(1)}[keep]()
    return m


def known_image(tm: TrainedModel, index: int) -> torch.Tensor:
    """A held-out digit (1, H, W) in [-1, 1] (never seen in training)."""
    x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "heldout")
    return x[index]


def inpaint(tm: TrainedModel, spec: InpaintSpec) -> Trajectory:
    """Sample spec.n completions of the held-out image with its `keep` half known; seeded."""
    image = known_image(tm, spec.image_index)
    mask = half_mask(tm.config.image_size, spec.keep)
    n = spec.n
    known = image[None].expand(n, *image.shape).contiguous()
    masks = mask[None].expand(n, *image.shape).contiguous()
    gen = torch.Generator().manual_seed(spec.seed + 1)
    return sample(tm.model, tm.schedule, tm.noise(n, spec.seed), spec.sampler, spec.steps, 0.0, gen,
                  known=known, mask=masks)


def get_inpainting(tm: TrainedModel, spec: InpaintSpec = InpaintSpec()) -> Trajectory:
    """The cached `inpaint` run (scenes load it instead of sampling inside construct())."""
    path = cache_dir() / "trajectories" / f"inpaint-{config_key(dict(model=tm.key, **spec.to_dict()))}.npz"
    return get_or_build(path, lambda: inpaint(tm, spec), Trajectory.to_bytes, Trajectory.from_bytes)


def known_region_error(traj: Trajectory, tm: TrainedModel, spec: InpaintSpec) -> float:
    """Largest |sample - true image| on the known half of the final samples (0 up to float error)."""
    image = known_image(tm, spec.image_index).numpy()
    mask = half_mask(tm.config.image_size, spec.keep).numpy().astype(bool)
    return float(np.abs(traj.final[:, mask] - image[mask]).max())

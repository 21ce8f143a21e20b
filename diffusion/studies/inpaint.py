"""Inpainting with the image model: part of a real held-out digit is known, the model fills the rest.

Conditioning is by replacement (Lugmayr et al. 2022): after every reverse step the known region is
replaced by the real image noised to the new step with fresh noise, so the known pixels end exactly
at their true values. The model itself is unconditional: it sees the known half only through x_t,
and replacement alone does not make the two halves agree. RePaint's resampling (`jump`, `resample`)
noises the state back and denoises again to harmonise them; `seam_study` measures both ways.
The sampling loop itself is `diffusion.core.sample.sample_steps` (its `known` / `mask` / `jump` /
`resample` arguments).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.keys import added, key_dict

import numpy as np
import torch

from ..core.cache import cached, codec_of, TORCH
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
    jump: int = added(1, refines="resample")  # RePaint: noise back this many steps ...
    resample: int = added(1)       # ... so each step is denoised this many times (1: replacement only)

    def to_dict(self) -> dict:
        return key_dict(self)


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
                  known=known, mask=masks, jump=spec.jump, resample=spec.resample)


def get_inpainting(tm: TrainedModel, spec: InpaintSpec = InpaintSpec()) -> Trajectory:
    """The cached `inpaint` run (scenes load it instead of sampling inside construct())."""
    return cached("trajectories", "inpaint", dict(model=tm.key, **spec.to_dict()), lambda: inpaint(tm, spec),
                  codec_of(Trajectory))


def known_region_error(traj: Trajectory, tm: TrainedModel, spec: InpaintSpec) -> float:
    """Largest |sample - true image| on the known half of the final samples (0 up to float error)."""
    image = known_image(tm, spec.image_index).numpy()
    mask = half_mask(tm.config.image_size, spec.keep).numpy().astype(bool)
    return float(np.abs(traj.final[:, mask] - image[mask]).max())


# --- the seam: does the filled half agree with the known one? --------------------------------

@dataclass(frozen=True)
class SeamStudy:
    n_images: int = 8              # held-out digits (the first ones of the split)
    per_image: int = 4             # completions of each
    keep: str = "top"
    seed: int = 0
    jump: int = 10                 # RePaint's setting for its resampled runs
    resample: int = 5

    def to_dict(self) -> dict:
        return key_dict(self)


def boundary_jump(x: np.ndarray, keep: str) -> np.ndarray:
    """Mean |difference| across the known/free boundary per image: between the last known row (or
    column) and the first free one. x: (N, H, W)."""
    h = x.shape[-1] // 2
    a, b = {"top": (x[:, h - 1], x[:, h]), "bottom": (x[:, h], x[:, h - 1]),
            "left": (x[:, :, h - 1], x[:, :, h]), "right": (x[:, :, h], x[:, :, h - 1])}[keep]
    return np.abs(a - b).mean(-1)


def run_seam_study(tm: TrainedModel, study: SeamStudy) -> dict:
    """Completions of the same held-out digits with replacement only and with RePaint resampling:
    the jump across the boundary (against the real digits' own) and the error on the hidden half."""
    x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "heldout")
    real = x[:study.n_images]                                              # (M, 1, H, W)
    k = study.per_image
    known = real.repeat_interleave(k, 0)
    mask = half_mask(tm.config.image_size, study.keep)[None].expand_as(known).contiguous()
    free = (1 - half_mask(tm.config.image_size, study.keep)).numpy().astype(bool)[0]
    out = dict(real_jump=float(boundary_jump(real[:, 0].numpy(), study.keep).mean()))
    for name, (jump, resample) in (("replace", (1, 1)), ("repaint", (study.jump, study.resample))):
        gen = torch.Generator().manual_seed(study.seed + 1)
        x0 = sample(tm.model, tm.schedule, tm.noise(len(known), study.seed), "ddpm", tm.schedule.T, 0.0, gen,
                    record=False, known=known, mask=mask, jump=jump, resample=resample)
        x0 = x0.clamp(-1, 1)[:, 0].numpy()
        hidden = known[:, 0].numpy()[:, free]
        out[f"{name}_jump"] = float(boundary_jump(x0, study.keep).mean())
        out[f"{name}_hidden_rms"] = float(np.sqrt(((x0[:, free] - hidden) ** 2).mean()))
        out[f"{name}_samples"] = x0.astype(np.float32)
    return out


def get_seam_study(tm: TrainedModel, study: SeamStudy = SeamStudy()) -> dict:
    """The cached `run_seam_study` (scenes load it)."""
    return cached("inpaint", "seam", dict(model=tm.key, **study.to_dict()), lambda: run_seam_study(tm, study), TORCH)


def seam_per_digit(tm: TrainedModel, result: dict, study: SeamStudy = SeamStudy(), replace=None, repaint=None) -> dict:
    """Per held-out digit (its completions averaged): |boundary jump - the real digit's own| and the RMS
    error on the hidden half, for both runs of a `run_seam_study` result, so a comparison of the two can
    carry its spread over digits. `replace` / `repaint` override the runs' samples (N, H, W): a
    perturbation (e.g. the real digits in place of a run) is measured the same way."""
    x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "heldout")
    real = x[:study.n_images, 0].numpy()                                    # (M, H, W)
    free = (1 - half_mask(tm.config.image_size, study.keep)).numpy().astype(bool)[0]
    real_jump = boundary_jump(real, study.keep)                             # (M,)
    out = dict(real_jump=real_jump, real=real)
    runs = dict(replace=result["replace_samples"] if replace is None else replace,
                repaint=result["repaint_samples"] if repaint is None else repaint)
    for name, x0 in runs.items():
        x0 = np.asarray(x0).reshape(study.n_images, study.per_image, *real.shape[1:])
        jump = boundary_jump(x0.reshape(-1, *real.shape[1:]), study.keep).reshape(study.n_images, study.per_image)
        out[f"{name}_jump_off"] = np.abs(jump.mean(1) - real_jump)
        err = (x0[:, :, free] - real[:, None, free]) ** 2                    # (M, k, n_free)
        out[f"{name}_hidden_rms"] = np.sqrt(err.mean((1, 2)))
    return out

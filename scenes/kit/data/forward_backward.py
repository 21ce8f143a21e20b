"""ForwardBackward, data: held-out digits noised to 0.2T..0.8T and denoised back by the digits U-Net,
classified (diffusion.studies.experiments.run_forward_backward); the share that keeps its class and
the claims the narration makes about it."""
from __future__ import annotations

import numpy as np

from diffusion.studies.experiments import default_config, get_experiment
from scenes.kit.claims import worded
from scenes.kit.models import digits_model
from scenes.kit.preset import scene_preset


def sampler_name(cfg, T: int) -> str:
    """What run_forward_backward really runs: 'ddpm' with fewer steps than t is the respaced DDIM
    update with eta = 1 (diffusion.core.sample); with every step it is the exact DDPM posterior."""
    full = cfg.fb_steps >= T
    if cfg.fb_sampler == "ddpm" and full:
        return "DDPM, every step"
    eta = 1.0 if cfg.fb_sampler == "ddpm" else 0.0
    return f"DDIM with η = {eta:g}, {cfg.fb_steps} steps per T, respaced"


def share_words(s: float) -> str:
    """A share in words, chosen by its value."""
    if s >= 0.75:
        return f"most outputs ({s:.0%}) keep their class"
    if s > 0.5:
        return f"a majority ({s:.0%}) keep their class"
    if s >= 0.2:
        return f"only {s:.0%} keep their class"
    return f"only {s:.0%} keep their class, near the 1 in 10 of a guess"


def forward_backward() -> dict:
    """real digits noised to 0.2T..0.8T and denoised back, classified (digits U-Net)"""
    return get_experiment("forward_backward", digits_model(), default_config(scene_preset()))


def typical_digit(r: dict) -> int:
    """The digit whose kept-shares are closest to the average ones: a typical digit, not a picked one."""
    share, per_digit = r["share_kept"], r["share_kept_per_digit"]
    return int(np.argmin(((per_digit - share[:, None]) ** 2).sum(0)))


NEEDS = (digits_model, forward_backward)


def claims():
    r = forward_backward()
    shares = tuple(round(float(s), 3) for s in r["share_kept"])
    # swapped labels: each digit's class read as the next one, on the same classifier verdicts
    swapped = tuple(round(float(s), 3) for s in
                    (r["labels"] == ((r["labels_true"] + 1) % 10)[None, :, None]).mean((1, 2)))
    return [worded("share_kept_falls", shares, [
        (lambda v: bool(np.all(np.diff(v) < 0)), "With more noise, less of the digit survives"),
        (lambda v: v[-1] < v[0], "With more noise, less of the digit survives, though not at every step"),
        (lambda v: True, "More noise does not make the digit less likely to survive")],
        perturb={"swapped labels (each digit read as the next class)": lambda: swapped})]

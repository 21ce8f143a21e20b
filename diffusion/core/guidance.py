"""Classifier-free guidance (Ho & Salimans 2022): one conditional network, two predictions, one mix.

    eps_tilde(x_t, t, c) = (1 + w) * eps(x_t, t, c) - w * eps(x_t, t, ∅)

w = 0 is the plain conditional model; w > 0 pushes each step away from the unconditional prediction
(towards what makes the sample "more c"); w = -1 is the unconditional model. `GuidedEps` wraps a
conditional U-Net as a model of (x, t), so every sampler of the one sampling loop
(`diffusion.core.sample.sample_steps`) can use guidance without knowing about it.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .sample import sample


def guided_eps(eps_cond: torch.Tensor, eps_null: torch.Tensor, w) -> torch.Tensor:
    """(1 + w) * eps_cond - w * eps_null; w a number or (N,) per sample."""
    w = torch.as_tensor(w, dtype=eps_cond.dtype, device=eps_cond.device)
    if w.ndim == 1:
        w = w.view(-1, *([1] * (eps_cond.ndim - 1)))
    return (1 + w) * eps_cond - w * eps_null


class GuidedEps(nn.Module):
    """A conditional U-Net with fixed labels and guidance scale, called like an unconditional one.

    labels: one int or (N,) classes (the null label is allowed: then both branches agree);
    w: one number or (N,) per-sample scales (one batch can hold a whole sweep of w).
    """

    def __init__(self, model: nn.Module, labels, w=0.0):
        super().__init__()
        model.null_label                                  # raises for an unconditional model
        self.model, self.labels, self.w = model, labels, w

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        eps_cond = self.model(x, t, self.labels)
        w = torch.as_tensor(self.w)
        if not w.any():                                  # w = 0: the plain conditional model, one pass
            return eps_cond
        return guided_eps(eps_cond, self.model(x, t, self.model.null_label), w)


def check_guidance(labels, w, num_classes: int) -> None:
    """One-line errors for bad CLI/scene input."""
    lab = torch.as_tensor(labels)
    if lab.dtype.is_floating_point or lab.min() < 0 or lab.max() >= num_classes:
        raise ValueError(f"label must be an integer class in 0..{num_classes - 1}, got {labels}")
    w = torch.as_tensor(w, dtype=torch.float64)
    if not torch.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"guidance w must be a finite number >= 0, got {w.tolist()}")


def guided_sample(model: nn.Module, schedule, x_T: torch.Tensor, labels, w=0.0, sampler: str = "ddim",
                  steps: int = 50, eta: float = 0.0, generator: torch.Generator | None = None,
                  record: bool = False, **kw):
    """The shared sampling loop run on the guided eps-model (a Trajectory with record=True, else x_0)."""
    return sample(GuidedEps(model, labels, w), schedule, x_T, sampler, steps, eta, generator, record=record, **kw)

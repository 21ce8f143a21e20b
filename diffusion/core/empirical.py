"""The exact denoiser of a finite training set: the noise prediction that minimises the training loss.

For examples x_1..x_N drawn uniformly and x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, Bayes
gives the posterior over which example made x_t, and with it the best possible predictions:

    p(i | x_t)   ∝  exp(-|x_t - sqrt(alpha_bar_t) x_i|^2 / (2 (1 - alpha_bar_t)))
    x0_hat       =  sum_i p(i | x_t) x_i
    eps_hat      =  (x_t - sqrt(alpha_bar_t) x0_hat) / sqrt(1 - alpha_bar_t)

A network with unlimited capacity trained to convergence on these examples would output exactly this,
so it is a memoriser: sampled to the end, it returns copies of the training examples. The digits bench
samples with it under the bench's own sampler to show what that sampler makes of a perfect score of the
training half (bench/digits.py, "exact score of the train half"); it is not a model anyone trains.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .schedule import NoiseSchedule


class EmpiricalEps(nn.Module):
    """Called like a trained eps-network: (x_t (B, ...), t (B,) 0-based steps) -> eps_hat (B, ...)."""

    def __init__(self, data: torch.Tensor, schedule: NoiseSchedule):
        super().__init__()
        if len(data) == 0:
            raise ValueError("the empirical denoiser needs at least one training example")
        flat = data.reshape(len(data), -1).double()
        self.register_buffer("examples", flat, persistent=False)
        self.register_buffer("sq_norms", (flat ** 2).sum(-1), persistent=False)
        self.schedule = schedule

    def x0_posterior(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """(B, N): p(example i | x_t) for each row of x_t at its own step t."""
        x = x_t.reshape(len(x_t), -1).double()
        ab = self.schedule.alpha_bar.to(x.device)[t.long()][:, None]               # (B, 1), float64
        # |x - sqrt(ab) x_i|^2 expanded, so one matrix product does all B x N distances
        d2 = (x ** 2).sum(-1, keepdim=True) - 2 * ab.sqrt() * (x @ self.examples.T) + ab * self.sq_norms
        return torch.softmax(-d2 / (2 * (1 - ab)), dim=-1)

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """E[x_0 | x_t] (float64, shaped like x_t): the posterior mean of the examples."""
        return (self.x0_posterior(x_t, t) @ self.examples).reshape(x_t.shape)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        x = x_t.double()                             # the posterior and the noise in float64, returned as x_t's
        return self.schedule.predict_eps(x, t.long(), self.predict_x0(x, t)).to(x_t.dtype)

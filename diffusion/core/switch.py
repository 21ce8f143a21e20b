"""One denoiser for the noisy steps and another for the rest: where in the chain a learned denoiser loses."""
from __future__ import annotations

import torch.nn as nn


class SwitchAt(nn.Module):
    """Calls `high` for steps t >= tau and `low` below; every row of a batch is at the same step."""

    def __init__(self, high: nn.Module, low: nn.Module, tau: int):
        super().__init__()
        self.high, self.low, self.tau = high, low, tau

    def forward(self, x, t, *args):
        if len(set(t.tolist())) != 1:
            raise ValueError("SwitchAt needs one step per batch")
        return (self.high if int(t[0]) >= self.tau else self.low)(x, t, *args)

"""A trained eps-network prepared for sampling on a CPU: the same function, evaluated faster.

Sampling calls the network tens to thousands of times on one big batch. On this project's small
U-Net (8x8 images, 24-48 channels) a call on 1000 images works on activations of tens of MB, far
more than a core's cache; cutting the batch into chunks keeps each chunk's activations in cache.
Every layer works per image (GroupNorm included), so the chunks give the same numbers bit for bit.
Channels-last tensors (optional) let oneDNN's convolutions skip layout reorders, at the price of
float rounding. bench/solvers.py measures each against the plain network in the same run.
"""
from __future__ import annotations

import copy

import torch
import torch.nn as nn

CHUNK = 128                 # images per network call inside one sampler call (bench/solvers.py)


class FastEps(nn.Module):
    """Called like the network it wraps: (x, t, **kw) -> eps_hat, on chunks of `chunk` rows, with the
    weights (and inputs) in channels-last layout for 4D images. Per-row keyword inputs (labels) are cut
    into the same chunks."""

    def __init__(self, net: nn.Module, chunk: int = CHUNK, channels_last: bool = False):
        super().__init__()
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        self.net = copy.deepcopy(net).eval().requires_grad_(False)
        self.channels_last, self.chunk = channels_last, chunk
        if channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor, t: torch.Tensor, **kw) -> torch.Tensor:
        n = x.shape[0]
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        cut = lambda v, i: v[i:i + self.chunk] if torch.is_tensor(v) and v.ndim and len(v) == n else v
        out = [self.net(x[i:i + self.chunk], cut(t, i), **{k: cut(v, i) for k, v in kw.items()})
               for i in range(0, n, self.chunk)]
        return torch.cat(out).contiguous()


def fast_eps_model(net: nn.Module, sample_shape=None, chunk: int = CHUNK) -> nn.Module:
    """`net` wrapped for fast CPU sampling (FastEps) when its samples are images (C, H, W) and it is on
    the CPU; otherwise `net` itself (points and graphs are small; a GPU has its own memory system)."""
    p = next(net.parameters(), None) if isinstance(net, nn.Module) else None    # any callable may be an eps-model
    if p is None or p.device.type != "cpu" or (sample_shape is not None and len(sample_shape) != 3):
        return net
    return FastEps(net, chunk)

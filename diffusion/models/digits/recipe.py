"""The digits model for the engine: scikit-learn's digits, a small U-Net, the eps-prediction MSE."""
from __future__ import annotations

import torch

from ...core.recipe import Recipe
from .config import PRESETS, TrainConfig
from .data import load_dataset
from .network import UNet


class Digits(Recipe):
    name = "digits"
    config_type = TrainConfig
    presets = PRESETS

    def network(self, config):
        return UNet(config.unet)

    def data(self, config, device):
        x, _ = load_dataset(config.dataset, config.image_size, "train")
        return x.to(device)

    def sample_batch(self, config, x, gen):
        # draw order (index, t, eps) is part of the cache's promise: the same config gives the same bits
        B, dev = config.batch_size, gen.device
        idx = torch.randint(0, len(x), (B,), generator=gen, device=dev)
        t = torch.randint(0, config.T, (B,), generator=gen, device=dev)
        eps = torch.randn((B, *x.shape[1:]), generator=gen, device=dev)
        return dict(x0=x[idx], t=t, eps=eps)

    def sample_shape(self, config):
        return (config.unet.in_channels, config.image_size, config.image_size)

    def to_numpy(self, x):
        return x[:, 0].clamp(-1, 1).numpy()          # (N, H, W) in [-1, 1]


RECIPE = Digits()

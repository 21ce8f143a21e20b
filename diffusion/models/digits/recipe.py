"""The digits model for the engine: scikit-learn's digits, a small U-Net, the eps-prediction MSE
(optionally min-SNR weighted)."""
from __future__ import annotations

import torch

from ...core.recipe import Recipe
from .config import PRESETS, TrainConfig
from .data import load_dataset
from .network import UNet


def min_snr_weight(schedule, t, gamma: float) -> torch.Tensor:
    """min(SNR_t, gamma) / SNR_t: the min-SNR-gamma weight of the eps loss (Hang et al. 2023, eq. 8)."""
    snr = schedule.snr().to(t.device)[t]
    return snr.clamp(max=gamma) / snr


class Digits(Recipe):
    name = "digits"
    config_type = TrainConfig
    presets = PRESETS
    keep_index = False          # the conditional twin reads the labels of the drawn examples

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
        batch = dict(x0=x[idx], t=t, eps=eps, **({"idx": idx} if self.keep_index else {}))
        if config.min_snr_gamma:
            batch["min_snr_gamma"] = config.min_snr_gamma
        return batch

    def loss(self, net, batch, schedule):
        """The eps-prediction MSE; with config.min_snr_gamma > 0 (sample_batch passes it in the batch: the
        loss sees no config) each example's squared error is weighted by min(SNR_t, gamma) / SNR_t, which
        turns down the nearly clean steps, whose eps is hard to see and matters little for the sample."""
        gamma = batch.get("min_snr_gamma", 0.0)
        if not gamma:
            return super().loss(net, batch, schedule)
        x_t = schedule.add_noise(batch["x0"], batch["t"], batch["eps"])
        err = (net(x_t, batch["t"], **batch.get("cond", {})) - batch["eps"]).pow(2).flatten(1).mean(1)
        return (min_snr_weight(schedule, batch["t"], gamma).to(err) * err).mean()

    def sample_shape(self, config):
        return (config.unet.in_channels, config.image_size, config.image_size)

    def to_numpy(self, x):
        return x[:, 0].clamp(-1, 1).numpy()          # (N, H, W) in [-1, 1]


RECIPE = Digits()

"""The digits model for the engine: scikit-learn's digits, a small U-Net, the eps-prediction MSE
(optionally min-SNR weighted), or the MSE of an x0- or v-prediction seen from outside as an eps-model."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...core.recipe import Recipe
from ...core.schedule import sample_train_t
from .config import PRESETS, TrainConfig
from .data import load_dataset
from .network import UNet


def min_snr_weight(schedule, t, gamma: float) -> torch.Tensor:
    """min(SNR_t, gamma) / SNR_t: the min-SNR-gamma weight of the eps loss (Hang et al. 2023, eq. 8)."""
    snr = schedule.snr().to(t.device)[t]
    return snr.clamp(max=gamma) / snr


PREDICTIONS = ("eps", "x0", "v")


class EpsFromPrediction(nn.Module):
    """A U-Net trained to predict x0 or v (v = sqrt(ab) eps - sqrt(1 - ab) x0, Salimans & Ho 2022),
    called like an eps-model: forward(x_t, t) returns the eps that its prediction implies, so every
    sampler and scene uses it unchanged; `raw` is the U-Net's own output (what the loss compares)."""

    def __init__(self, net: nn.Module, schedule, prediction: str):
        super().__init__()
        if prediction not in ("x0", "v"):
            raise ValueError(f"prediction must be x0 or v here, got {prediction!r}")
        self.net, self.prediction = net, prediction
        self.register_buffer("a", schedule.sqrt_alpha_bar.float(), persistent=False)
        self.register_buffer("s", schedule.sqrt_one_minus_alpha_bar.float(), persistent=False)

    def coefficients(self, t, x):
        shape = (-1,) + (1,) * (x.ndim - 1)
        t = t.expand(x.shape[0]) if t.ndim == 0 else t
        return self.a[t].reshape(shape).to(x), self.s[t].reshape(shape).to(x)

    def raw(self, x, t, **kw):
        return self.net(x, t, **kw)

    def forward(self, x, t, **kw):
        out = self.net(x, t, **kw)
        a, s = self.coefficients(t, x)
        if self.prediction == "x0":
            return (x - a * out) / s          # x_t = a x0 + s eps
        return a * out + s * x                # eps = a v + s x_t

    def target(self, x0, t, eps):
        """What the U-Net is trained to output for x_t = a x0 + s eps."""
        if self.prediction == "x0":
            return x0
        a, s = self.coefficients(t, x0)
        return a * eps - s * x0

    def describe(self, image_size: int) -> dict:
        """The U-Net's description, its module names as get_submodule finds them from here."""
        d = self.net.describe(image_size)
        d["blocks"] = [dict(b, module=f"net.{b['module']}") for b in d["blocks"]]
        d["prediction"] = self.prediction
        return d


class Digits(Recipe):
    name = "digits"
    config_type = TrainConfig
    presets = PRESETS
    keep_index = False          # the conditional twin reads the labels of the drawn examples

    def network(self, config):
        if getattr(config, "prediction", "eps") not in PREDICTIONS:
            raise ValueError(f"prediction must be one of {', '.join(PREDICTIONS)}, got {config.prediction!r}")
        if getattr(config, "prediction", "eps") == "eps":
            return UNet(config.unet)
        if config.min_snr_gamma:
            raise ValueError("min_snr_gamma weights the eps loss: it needs prediction='eps'")
        return EpsFromPrediction(UNet(config.unet), self.schedule(config), config.prediction)

    def data(self, config, device):
        x, _ = load_dataset(config.dataset, config.image_size, "train")
        return x.to(device)

    def sample_batch(self, config, x, gen):
        # draw order (index, t, eps) is part of the cache's promise: the same config gives the same bits
        B, dev = config.batch_size, gen.device
        idx = torch.randint(0, len(x), (B,), generator=gen, device=dev)
        t = sample_train_t(B, config.T, gen, config.t_focus)
        eps = torch.randn((B, *x.shape[1:]), generator=gen, device=dev)
        batch = dict(x0=x[idx], t=t, eps=eps, **({"idx": idx} if self.keep_index else {}))
        if config.min_snr_gamma:
            batch["min_snr_gamma"] = config.min_snr_gamma
        return batch

    def loss(self, net, batch, schedule):
        """The eps-prediction MSE; with config.min_snr_gamma > 0 (sample_batch passes it in the batch: the
        loss sees no config) each example's squared error is weighted by min(SNR_t, gamma) / SNR_t, which
        turns down the nearly clean steps, whose eps is hard to see and matters little for the sample."""
        if isinstance(net, EpsFromPrediction):          # x0 or v: the MSE of the U-Net's own output
            x_t = schedule.add_noise(batch["x0"], batch["t"], batch["eps"])
            out = net.raw(x_t, batch["t"], **batch.get("cond", {}))
            return F.mse_loss(out, net.target(batch["x0"], batch["t"], batch["eps"]))
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

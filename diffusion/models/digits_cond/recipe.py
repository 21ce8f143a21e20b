"""The class-conditional digits model for the engine: the digits recipe plus labels, with the null
label shown instead of the class on a share (`label_drop`) of the examples, and guided sampling."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ...core.presets import check_table
from ..digits.config import PRESETS as DIGITS_PRESETS
from ..digits.data import load_dataset
from ..digits.network import UNetConfig
from ..digits.recipe import Digits

NUM_CLASSES = 10
LABEL_DROP = 0.1          # Ho & Salimans train with p_uncond 0.1-0.2; 0.1 keeps most steps conditional

# where the conditional model differs from the digits preset of the same name: the default is a
# smaller network on a shorter run (2400 steps of a 16-channel U-Net, about half the digits model's
# compute), so the model, the guidance sweep and the scene fit a shared 2-core machine
OVERRIDES = {
    "default": dict(unet=UNetConfig(base_channels=16, channel_mults=(1, 2), time_dim=64, groups=8),
                    steps=2400, snapshots=(100, 300, 1000, 2400)),
}


def _cond(name, config):
    config = replace(config, **OVERRIDES.get(name, {}))
    return replace(config, unet=replace(config.unet, num_classes=NUM_CLASSES), label_drop=LABEL_DROP)


class DigitsCond(Digits):
    """class-conditional 8x8 digits (label embedding + null label), classifier-free guidance"""
    name = "digits-cond"
    presets = check_table("digits-cond", {k: _cond(k, c) for k, c in DIGITS_PRESETS.items()})
    guided = True                     # `python -m diffusion sample` takes --label and --guidance
    keep_index = True

    def data(self, config, device):
        x, y = load_dataset(config.dataset, config.image_size, "train")
        return x.to(device), y.to(device)

    def sample_batch(self, config, data, gen):
        x, y = data
        batch = super().sample_batch(config, x, gen)            # index, t, eps: the digits draw order
        idx = batch.pop("idx")
        # classifier-free guidance needs eps(x, t, ∅) from the same network: a random share of the
        # examples is shown with the null label instead of its class (drawn after the digits' draws)
        drop = torch.rand(config.batch_size, generator=gen, device=gen.device) < config.label_drop
        batch["cond"] = dict(y=torch.where(drop, torch.full_like(y[idx], NUM_CLASSES), y[idx]))
        return batch

    def sample(self, tm, n, seed=0, sampler="ddim", steps=50, eta=0.0, batch=1000, device="cpu",
               model_kwargs=None, label=None, guidance=0.0, spacing="uniform") -> np.ndarray:
        """Guided samples of class `label`: eps = (1 + guidance) eps(x, t, label) - guidance eps(x, t, ∅)."""
        from ...core.guidance import GuidedEps
        from ...core.sample import sample

        net = GuidedEps(tm.on(device), label, guidance)
        gen = torch.Generator().manual_seed(seed + 1)
        x_T = tm.noise(n, seed).to(device)
        out = [sample(net, tm.schedule, x_T[i:i + batch], sampler, steps, eta, gen, record=False,
                      clip_x0=self.clip_x0, spacing=spacing).cpu() for i in range(0, n, batch)]
        return self.to_numpy(torch.cat(out))


RECIPE = DigitsCond()

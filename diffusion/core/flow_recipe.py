"""Flow matching as a recipe for the one training engine: a model's diffusion twin with its data, network
and batch draws unchanged, the path x_t = (1 - t) x_0 + t eps (FlowPath) and the velocity MSE
E |v_theta(x_t, t) - (eps - x_0)|^2 (Lipman et al. 2023, conditional flow matching with sigma_min = 0)."""
from __future__ import annotations

from dataclasses import replace

import torch.nn.functional as F

from .path import FlowPath
from .presets import check_table
from .sample import FLOW_SAMPLERS


def flow_presets(name: str, presets: dict) -> dict:
    """The twin's presets with the path named: the same network, data and training budget."""
    return check_table(name, {k: replace(c, schedule=FlowPath.name) for k, c in presets.items()})


class FlowMatching:
    """Mixin placed before a diffusion Recipe: `class Toy2dFlow(FlowMatching, Toy2d)`."""
    default_sampler = "euler"
    clip_x0 = False                 # Euler on the flow has no x0_hat clipping

    def schedule(self, config) -> FlowPath:
        if config.schedule != FlowPath.name:
            raise ValueError(f"{self.name} trains on the flow path: schedule must be {FlowPath.name!r}, "
                             f"got {config.schedule!r}")
        return FlowPath(config.T)

    def samplers(self) -> tuple:
        return FLOW_SAMPLERS

    def loss(self, net, batch: dict, path: FlowPath):
        """The velocity MSE at the batch's steps (the diffusion twin's draws: x0, t, eps)."""
        x_t = path.add_noise(batch["x0"], batch["t"], batch["eps"])
        return F.mse_loss(net(x_t, batch["t"], **batch.get("cond", {})), path.velocity(batch["x0"], batch["eps"]))

"""The 1D model for the engine: fresh draws from the two-bump mixture every step, the MLP eps-model
(diffusion/models/toy1d/mixture.py), the eps-prediction MSE."""
from __future__ import annotations

import torch

from ...core.recipe import Recipe
from ...core.schedule import sample_train_t
from .config import TOY1D_PRESETS, Toy1dConfig
from .mixture import sample_mixture


class Toy1d(Recipe):
    name = "toy1d"
    config_type = Toy1dConfig
    presets = TOY1D_PRESETS
    device = "cpu"           # a 128-wide MLP: a GPU would wait on kernel launches
    log_every = 100
    clip_x0 = False          # the data is not in [-1, 1]

    def network(self, config):
        return config.network(1)

    def sample_batch(self, config, data, gen):
        x0 = sample_mixture(config.mixture, config.batch_size, gen)
        t = sample_train_t(config.batch_size, config.T, gen)
        eps = torch.randn(x0.shape, generator=gen)
        return dict(x0=x0, t=t, eps=eps)

    def sample_shape(self, config):
        return (1,)

    def to_numpy(self, x):
        return x[:, 0].numpy()                # (N,) points


RECIPE = Toy1d()

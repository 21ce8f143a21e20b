"""The 2D model for the shared engine (diffusion/core/recipe.py): fresh draws from the spiral every
step (the data set is infinite), the time-conditioned MLP eps-model, the eps-prediction MSE."""
from __future__ import annotations

import torch

from ...core.recipe import Recipe
from ...core.schedule import sample_train_t
from .config import TOY2D_PRESETS, Toy2dConfig
from .mixture import sample_mixture


class Toy2d(Recipe):
    name = "toy2d"
    config_type = Toy2dConfig
    presets = TOY2D_PRESETS
    device = "cpu"           # a 128-wide MLP on 2D points: a GPU would wait on kernel launches
    threads = 1              # tiny tensors: a second thread only synchronises
    log_every = 100
    clip_x0 = False          # the data is not in [-1, 1]

    def network(self, config):
        return config.network(2)

    def sample_batch(self, config, data, gen):
        # the order of draws: x0, then t, then eps
        x0 = sample_mixture(config.mixture, config.batch_size, gen)
        t = sample_train_t(config.batch_size, config.T, gen)
        eps = torch.randn(x0.shape, generator=gen)
        return dict(x0=x0, t=t, eps=eps)

    def sample_shape(self, config):
        return (2,)


RECIPE = Toy2d()

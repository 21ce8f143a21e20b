"""toy2d-reflow for the engine: the data is PAIRS couplings (x_1, x_0) made by the teacher toy2d-fm of the
same preset (x_0 = Euler over TEACHER_STEPS steps of its ODE from x_1); each batch draws pairs by index
and the step t, and the loss is the velocity MSE on x_t = (1 - t) x_0 + t x_1 against x_1 - x_0."""
from __future__ import annotations

import torch

from ...core.flow_recipe import flow_presets
from ...core.schedule import sample_train_t
from ..toy2d.config import TOY2D_PRESETS
from ..toy2d_fm.recipe import Toy2dFlow

PAIRS = 50_000                # at most; a short run (the quick preset) draws each pair about 8 times
TEACHER_STEPS = 100
PAIR_SEED = 12_345            # the x_1 of the pairs (a seed of its own: not the training draws' seed)


def pair_count(config) -> int:
    return min(PAIRS, config.steps * config.batch_size // 8)


def teacher_pairs(config, n: int | None = None, steps: int = TEACHER_STEPS, seed: int = PAIR_SEED) -> tuple:
    """(x_1, x_0) float32 (n, 2) each (n: pair_count): noise and the teacher's Euler sample from it (the
    teacher is trained or loaded from the cache)."""
    n = n or pair_count(config)
    from .. import get_model
    from ...core.sample import sample
    from ..toy2d.flow import one_thread

    teacher = get_model("toy2d-fm", config, progress=False)
    x1 = torch.randn((n, 2), generator=torch.Generator().manual_seed(seed))
    with one_thread():
        x0 = sample(teacher.model, teacher.schedule, x1, "euler", steps, record=False)
    return x1, x0.float()


class Toy2dReflow(Toy2dFlow):
    """2D spiral, one reflow round of toy2d-fm: the same MLP on the teacher's (noise, sample) pairs"""
    name = "toy2d-reflow"
    presets = flow_presets("toy2d-reflow", TOY2D_PRESETS)
    exact_field = False       # the marginal velocity of the teacher's coupling has no closed form

    def data(self, config, device):
        x1, x0 = teacher_pairs(config)
        return x1.to(device), x0.to(device)

    def sample_batch(self, config, data, gen):
        x1, x0 = data
        idx = torch.randint(0, len(x0), (config.batch_size,), generator=gen)
        t = sample_train_t(config.batch_size, config.T, gen)
        return dict(x0=x0[idx], t=t, eps=x1[idx])


RECIPE = Toy2dReflow()

"""Training of the 2D model (the toy1d loop: seeded, EMA, warm-up + cosine LR). Kept apart so that it
is the only file to drop when the shared training engine takes the model's parts from model.py."""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from tqdm.auto import tqdm

from ...core.cache import cached_training, config_key
from ...core.schedule import NoiseSchedule
from ...core.engine import ema_update
from .flow import one_thread
from .model import Toy2dConfig, TimeMLP, build_network, get_toy2d_preset, loss_fn, sample_data


@torch.enable_grad()
def train_toy2d(config: Toy2dConfig, progress: bool = True) -> dict:
    """Seeded training on fresh mixture draws every step; returns {config, ema, history}. Pinned to
    one torch thread: faster for this small MLP on a shared machine, and bitwise reproducible."""
    with one_thread():
        return _train(config, progress)


def _train(config: Toy2dConfig, progress: bool) -> dict:
    schedule = NoiseSchedule(config.schedule, config.T)
    torch.manual_seed(config.seed)
    model = build_network(config)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    warmup = max(1, config.steps // 50)
    lr_at = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / config.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    gen = torch.Generator().manual_seed(config.seed)
    history = {"loss": [], "seconds": []}
    t0 = time.perf_counter()
    bar = tqdm(range(config.steps), disable=not progress, desc="train toy2d", unit="step", dynamic_ncols=True)
    for step in bar:
        loss = loss_fn(model, schedule, sample_data(config, config.batch_size, gen), gen)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training diverged: loss is {loss.item()} at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
        ema_update(ema, model, config.ema_decay)
        history["loss"].append(loss.item())
        history["seconds"].append(time.perf_counter() - t0)
        if step % 100 == 0:
            bar.set_postfix(loss=f"{np.mean(history['loss'][-100:]):.4f}")
    bar.close()
    return dict(config=config.to_dict(), ema={k: v.detach().clone() for k, v in ema.state_dict().items()},
                history=history)


@dataclass
class Toy2dModel:
    config: Toy2dConfig
    model: TimeMLP              # EMA weights, eval mode
    schedule: NoiseSchedule
    history: dict
    key: str

    def noise(self, n: int, seed: int) -> torch.Tensor:
        """x_T ~ N(0, I) for n points, shape (n, 2), from a seed."""
        return torch.randn((n, 2), generator=torch.Generator().manual_seed(seed))


def get_toy2d_model(config: Toy2dConfig | str | None = None, progress: bool = True) -> Toy2dModel:
    """The trained 2D model for a config or preset name (trained on first use, then cached)."""
    if not isinstance(config, Toy2dConfig):
        config = get_toy2d_preset(config)
    return _get_toy2d_model(config, progress)


@lru_cache(maxsize=4)
def _get_toy2d_model(config: Toy2dConfig, progress: bool) -> Toy2dModel:
    result = cached_training("toy2d", config, lambda: train_toy2d(config, progress))
    model = build_network(config)
    model.load_state_dict(result["ema"])
    model.eval().requires_grad_(False)
    return Toy2dModel(config, model, NoiseSchedule(config.schedule, config.T), result["history"],
                      config_key(config.to_dict()))

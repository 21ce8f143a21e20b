"""What a model must say so that the one engine can train it and the one loader can serve it.

A model subclasses `Recipe` (its package's recipe.py, `RECIPE = MyRecipe()`) and is listed in
`diffusion.models.MODELS`. The engine calls, in this order: data() once, then per step
sample_batch(gen) (every random draw of the step, from the engine's generator, in a fixed order) and
loss(net, batch, schedule). Conditioning inputs (class labels, masks) travel in batch["cond"], a dict
of keyword arguments for the network.
"""
from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import torch
import torch.nn.functional as F

from .presets import Preset, as_preset
from .schedule import NoiseSchedule
from .trained import TrainedModel


class Recipe:
    name: str = ""
    config_type: type = object
    presets: dict = {}                 # quick / default / large -> config
    threads: int | None = None         # pin torch to this many threads while training (None: leave it)
    device: str | None = None          # None: CUDA when present; "cpu" for nets too small to gain from a GPU
    log_every: int = 50                # progress-bar loss average
    trained_type: type = TrainedModel
    default_sampler: str = "ddim"      # what `python -m diffusion sample` uses without --sampler
    clip_x0: bool = True               # samplers clip x0_hat to [-1, 1] (data in [-1, 1])
    extra_keys: tuple = ()             # result entries beside the weights that the loaded model keeps

    # --- configs ---------------------------------------------------------------------------
    def config(self, preset: Preset | str, **overrides):
        """A config from a Preset (or its name) or a config, with overrides."""
        config = preset if isinstance(preset, self.config_type) else self.presets[as_preset(preset).name]
        return self.override(config, **overrides) if overrides else config

    def override(self, config, **overrides):
        """replace() with a check of the names; a changed `steps` keeps the snapshots before it plus the end.

        A dotted name sets one field of a nested config: unet.base_channels=32, denoiser.hidden=16."""
        names = {f.name for f in fields(config)}
        nested = {}
        for name in [k for k in overrides if "." in k]:
            outer, inner = name.split(".", 1)
            nested.setdefault(outer, {})[inner] = overrides.pop(name)
        bad = sorted((set(overrides) | set(nested)) - names)
        if bad:
            raise ValueError(f"{self.name} has no setting {', '.join(bad)}; settings: {', '.join(sorted(names))}")
        for outer, inner in nested.items():
            sub = overrides.get(outer, getattr(config, outer))
            sub_names = {f.name for f in fields(sub)}
            bad = sorted(set(inner) - sub_names)
            if bad:
                raise ValueError(f"{self.name}.{outer} has no setting {', '.join(bad)}; "
                                 f"settings: {', '.join(sorted(sub_names))}")
            overrides[outer] = replace(sub, **inner)
        if "steps" in overrides and "snapshots" in names and "snapshots" not in overrides:
            steps = overrides["steps"]
            overrides["snapshots"] = tuple(s for s in config.snapshots if s < steps) + (steps,)
        return replace(config, **overrides)

    # --- training ----------------------------------------------------------------------------
    def schedule(self, config) -> NoiseSchedule:
        return NoiseSchedule(config.schedule, config.T)

    def network(self, config) -> torch.nn.Module:
        raise NotImplementedError

    def data(self, config, device):
        """Built once per run, before the seed is set (so it must not draw from torch's global RNG)."""
        return None

    def sample_batch(self, config, data, gen: torch.Generator) -> dict:
        raise NotImplementedError

    def loss(self, net, batch: dict, schedule: NoiseSchedule) -> torch.Tensor:
        """Default: the eps-prediction MSE of DDPM on x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps."""
        x_t = schedule.add_noise(batch["x0"], batch["t"], batch["eps"])
        return F.mse_loss(net(x_t, batch["t"], **batch.get("cond", {})), batch["eps"])

    def extras(self, config, data) -> dict:
        """Stored with the weights (e.g. the graphs' edge density); listed in extra_keys."""
        return {}

    # --- sampling (the command line) -----------------------------------------------------------
    def sample_shape(self, config) -> tuple:
        raise NotImplementedError

    def samplers(self) -> tuple:
        from .sample import SAMPLERS

        return SAMPLERS

    def sample(self, tm: TrainedModel, n: int, seed: int = 0, sampler: str = "ddim", steps: int = 50,
               eta: float = 0.0, batch: int = 1000, device="cpu", model_kwargs: dict | None = None,
               spacing: str = "uniform") -> np.ndarray:
        """n final samples as a numpy array: x_T = tm.noise(n, seed), sampler noise seeded by seed + 1,
        run on `device` in batches of `batch` network inputs; spacing of the timesteps as `sample_steps`."""
        from .inference import fast_eps_model
        from .sample import sample

        net = fast_eps_model(tm.on(device), self.sample_shape(tm.config))   # chunked: same bits, faster
        gen = torch.Generator().manual_seed(seed + 1)
        x_T = tm.noise(n, seed).to(device)
        def part(v, i):        # per-sample conditioning (labels) is cut into the same batches
            v = v.to(device) if torch.is_tensor(v) else v
            return v[i:i + batch] if torch.is_tensor(v) and v.ndim and len(v) == n else v

        out = [sample(net, tm.schedule, x_T[i:i + batch], sampler, steps, eta, gen, record=False, clip_x0=self.clip_x0,
                      spacing=spacing, model_kwargs={k: part(v, i) for k, v in (model_kwargs or {}).items()}).cpu()
               for i in range(0, n, batch)]
        return self.to_numpy(torch.cat(out))

    def to_numpy(self, x: torch.Tensor) -> np.ndarray:
        return x.numpy().astype(np.float32)

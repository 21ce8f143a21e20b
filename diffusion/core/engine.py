"""The one training loop for every model: AdamW, warm-up + cosine LR, EMA weights (optionally with a
warm-up of the decay), loss history,
snapshots, a stop that names the step where the loss stopped being finite, atomic checkpoints and
resume after a kill (bit-identical to an uninterrupted run on the same machine).

What is trained comes from a `Recipe` (diffusion/core/recipe.py): its data, network, batch draw and loss.
"""
from __future__ import annotations

import contextlib
import copy
import math
import os
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .cache import read_artifact, torch_bytes, torch_from_bytes, write_artifact

# cuBLAS is deterministic only with a fixed workspace, read once when CUDA starts: set it before then
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- ema + (1 - decay) (model - ema), all parameters in one fused call (same bits as a loop)."""
    torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)


def ema_decay_at(config, step: int) -> float:
    """The EMA decay at 0-based update `step`: config.ema_decay, or with `config.ema_warmup` (a field
    only some configs have; absent means off) min(ema_decay, (1 + step) / (10 + step)), so the first
    updates follow the fast-moving weights instead of averaging in the random initialisation."""
    if getattr(config, "ema_warmup", False):
        return min(config.ema_decay, (1 + step) / (10 + step))
    return config.ema_decay


def warmup_cosine(step: int, steps: int) -> float:
    """LR factor: linear warm-up over the first 2% of steps, then a cosine decay to zero."""
    warmup = max(1, steps // 50)
    return min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / steps))


@contextlib.contextmanager
def deterministic(device: torch.device):
    """On CUDA: deterministic kernels only (an op without one raises instead of varying), for the
    duration of a training run. The CPU needs nothing: its kernels are deterministic already."""
    if device.type != "cuda":
        yield
        return
    fill = torch.utils.deterministic
    before = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark,
              fill.fill_uninitialized_memory)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    fill.fill_uninitialized_memory = False     # every buffer we read is written first; filling costs a launch each
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0])
        torch.backends.cudnn.benchmark = before[1]
        fill.fill_uninitialized_memory = before[2]


def train(recipe, config, state_path: Path | None = None, device=None, progress: bool = True,
          checkpoint_every: int | None = None, raw_snapshots: bool = False) -> dict:
    """Train `recipe`'s network on `config`; returns {config, ema, history, snapshots, **recipe.extras}.

    With `state_path`, resumable state is written there atomically every `config.checkpoint_every`
    steps (`checkpoint_every` overrides it; 500 where the config has none) and picked up again if the
    run was killed. With `raw_snapshots`, the optimiser's own weights are kept at the snapshot steps too
    (`raw_snapshots` in the result; the run and every other output are the same bits).
    """
    device = torch.device(device or recipe.device or default_device())
    threads = torch.get_num_threads()
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    try:
        with torch.enable_grad(), deterministic(device):
            return _train(recipe, config, state_path, device, progress, checkpoint_every, raw_snapshots)
    finally:
        torch.set_num_threads(threads)


def _train(recipe, config, state_path, device, progress, checkpoint_every, keep_raw=False) -> dict:
    schedule = recipe.schedule(config).to(device)
    data = recipe.data(config, device)

    torch.manual_seed(config.seed)
    model = recipe.network(config).to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    fast = {"fused": True} if device.type == "cuda" else {}          # CPU keeps the default (same bits)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0, **fast)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_cosine(s, config.steps))
    gen = torch.Generator(device).manual_seed(config.seed)      # all training randomness, in draw order
    history = {"step": [], "loss": [], "seconds": []}
    snapshots = {}
    raw = {}                                          # the optimiser's weights at the snapshot steps (keep_raw)
    start = 0
    snapshot_steps = set(getattr(config, "snapshots", ()))
    checkpoint_every = checkpoint_every or getattr(config, "checkpoint_every", 500)

    if state_path is not None and (blob := read_artifact(state_path)) is not None:
        st = torch_from_bytes(blob)
        if st["config"] == config.to_dict():
            model.load_state_dict(st["model"]); ema.load_state_dict(st["ema"])
            opt.load_state_dict(st["opt"]); sched.load_state_dict(st["sched"])
            gen.set_state(st["gen"]); history = st["history"]; snapshots = st["snapshots"]
            start = st["step"]

    # the loss is read back every step on the CPU (cheap; the NaN check then precedes the update) and
    # every 100 steps on a GPU (a read is a sync: per step it would leave the GPU idle between launches)
    sync_every = 1 if device.type == "cpu" else 100
    pending = []                                     # (0-based step, loss tensor) not yet in history

    def flush():
        values = [pending[0][1].item()] if len(pending) == 1 else torch.stack([l for _, l in pending]).tolist()
        for (s, _), v in zip(pending, values):
            if not math.isfinite(v):
                raise FloatingPointError(f"training {recipe.name} diverged: loss is {v} at step {s}")
        history["loss"].extend(values)
        pending.clear()

    t0 = time.perf_counter() - (history["seconds"][-1] if history["seconds"] else 0.0)
    bar = tqdm(range(start, config.steps), initial=start, total=config.steps, disable=not progress,
               desc=f"train {recipe.name}", unit="step", dynamic_ncols=True)
    for step in bar:
        batch = recipe.sample_batch(config, data, gen)
        loss = recipe.loss(model, batch, schedule)
        pending.append((step, loss.detach()))
        if len(pending) >= sync_every:
            flush()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
        ema_update(ema, model, ema_decay_at(config, step))

        history["step"].append(step + 1)
        history["seconds"].append(time.perf_counter() - t0)
        if (step + 1) in snapshot_steps:
            snapshots[step + 1] = {k: v.detach().cpu().clone() for k, v in ema.state_dict().items()}
            if keep_raw:
                raw[step + 1] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        if step % recipe.log_every == 0 and not pending:
            recent = history["loss"][-recipe.log_every:]
            bar.set_postfix(loss=f"{sum(recent) / len(recent):.4f}")
        if state_path is not None and (step + 1) % checkpoint_every == 0 and step + 1 < config.steps:
            if pending:
                flush()
            write_artifact(state_path, torch_bytes(dict(
                config=config.to_dict(), step=step + 1, model=model.state_dict(), ema=ema.state_dict(),
                opt=opt.state_dict(), sched=sched.state_dict(), gen=gen.get_state(),
                history=history, snapshots=snapshots)))
    if pending:
        flush()
    bar.close()
    out = dict(config=config.to_dict(), ema={k: v.detach().cpu() for k, v in ema.state_dict().items()},
               history=history, snapshots=snapshots, **recipe.extras(config, data))
    if keep_raw:
        out["raw_snapshots"] = raw
    return out

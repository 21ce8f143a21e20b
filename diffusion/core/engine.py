"""One training loop: eps-prediction MSE, AdamW, EMA weights, seeded, resumable, atomic checkpoints."""
from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .cache import read_artifact, torch_bytes, torch_from_bytes, write_artifact
from ..models.digits.data import load_dataset
from .schedule import NoiseSchedule
from ..models.digits.network import UNet, UNetConfig


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "digits"
    image_size: int = 8                                # native size of the digits
    schedule: str = "linear"
    T: int = 1000
    unet: UNetConfig = field(default_factory=UNetConfig)
    steps: int = 4800
    batch_size: int = 128
    lr: float = 2e-3
    ema_decay: float = 0.999
    seed: int = 0
    snapshots: tuple = (100, 300, 1000, 2500, 4800)   # steps whose EMA weights are kept (training montage)
    checkpoint_every: int = 500                        # resumable state is saved this often

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d["unet"] = UNetConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["unet"].items()})
        d["snapshots"] = tuple(d["snapshots"])
        return cls(**d)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1 - decay)


def train(config: TrainConfig, state_path: Path | None = None, device=None, progress: bool = True) -> dict:
    """Train an eps-model and return {config, ema, history, snapshots}.

    With `state_path`, resumable state is written there atomically every `checkpoint_every` steps
    and picked up again if the run was killed; the result is identical to an uninterrupted run.
    """
    device = torch.device(device) if device else default_device()
    schedule = NoiseSchedule(config.schedule, config.T)
    x_data, _ = load_dataset(config.dataset, config.image_size, "train")
    x_data = x_data.to(device)

    torch.manual_seed(config.seed)
    model = UNet(config.unet).to(device)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    # cosine decay with a short warm-up
    warmup = max(1, config.steps // 50)
    lr_at = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / config.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    gen = torch.Generator().manual_seed(config.seed)   # all training randomness: batches, t, eps
    history = {"step": [], "loss": [], "seconds": []}
    snapshots = {}
    start = 0

    if state_path is not None and (data := read_artifact(state_path)) is not None:
        st = torch_from_bytes(data)
        if st["config"] == config.to_dict():
            model.load_state_dict(st["model"]); ema.load_state_dict(st["ema"])
            opt.load_state_dict(st["opt"]); sched.load_state_dict(st["sched"])
            gen.set_state(st["gen"]); history = st["history"]; snapshots = st["snapshots"]
            start = st["step"]

    t0 = time.perf_counter() - (history["seconds"][-1] if history["seconds"] else 0.0)
    bar = tqdm(range(start, config.steps), initial=start, total=config.steps, disable=not progress,
               desc=f"train {config.dataset}", unit="step", dynamic_ncols=True)
    for step in bar:
        idx = torch.randint(0, len(x_data), (config.batch_size,), generator=gen)
        t = torch.randint(0, config.T, (config.batch_size,), generator=gen)
        eps = torch.randn((config.batch_size, *x_data.shape[1:]), generator=gen)
        x0, t, eps = x_data[idx.to(device)], t.to(device), eps.to(device)
        x_t = schedule.add_noise(x0, t, eps)
        loss = F.mse_loss(model(x_t, t), eps)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training diverged: loss is {loss.item()} at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
        ema_update(ema, model, config.ema_decay)

        history["step"].append(step + 1)
        history["loss"].append(loss.item())
        history["seconds"].append(time.perf_counter() - t0)
        if (step + 1) in config.snapshots:
            snapshots[step + 1] = {k: v.detach().cpu().clone() for k, v in ema.state_dict().items()}
        if step % 50 == 0:
            bar.set_postfix(loss=f"{sum(history['loss'][-50:]) / len(history['loss'][-50:]):.4f}")
        if state_path is not None and (step + 1) % config.checkpoint_every == 0 and step + 1 < config.steps:
            write_artifact(state_path, torch_bytes(dict(
                config=config.to_dict(), step=step + 1, model=model.state_dict(), ema=ema.state_dict(),
                opt=opt.state_dict(), sched=sched.state_dict(), gen=gen.get_state(),
                history=history, snapshots=snapshots)))
    bar.close()
    return dict(config=config.to_dict(),
                ema={k: v.detach().cpu() for k, v in ema.state_dict().items()},
                history=history, snapshots=snapshots)

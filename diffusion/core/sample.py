"""Sampling: one loop for DDPM and DDIM (and Euler on a flow-matching path) that yields every step, and a
Trajectory that keeps them.

`sample_steps` is a generator (like improved-diffusion's p_sample_loop_progressive): a scene can
animate it step by step; `sample` runs it to the end and collects a `Trajectory`.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, fields

import numpy as np
import torch

from .path import FlowPath
from .schedule import NoiseSchedule

SAMPLERS = ("ddpm", "ddim")
FLOW_SAMPLERS = ("euler",)          # for a velocity model on a FlowPath


@dataclass
class Step:
    t: int                  # 0-based step of x_t
    t_prev: int             # step the update goes to (-1: the clean sample)
    x_t: torch.Tensor
    eps_hat: torch.Tensor
    x0_hat: torch.Tensor
    x_prev: torch.Tensor


@dataclass
class Trajectory:
    """Everything a sampler did. S steps over N samples of shape (C, H, W) (or (D,) for 1D).

    timesteps: (S,) 0-based steps, descending; x: (S+1, N, ...) with x[0] = x_T and x[k+1] the state
    after step k (x[-1] is the final sample); eps_hat and x0_hat: (S, N, ...) at each step.
    """
    timesteps: np.ndarray
    x: np.ndarray
    eps_hat: np.ndarray
    x0_hat: np.ndarray
    sampler: str
    eta: float

    @property
    def final(self) -> np.ndarray:
        return self.x[-1]

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **{f.name: np.asarray(getattr(self, f.name)) for f in fields(self)})
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Trajectory":
        z = np.load(io.BytesIO(data))
        return cls(timesteps=z["timesteps"], x=z["x"], eps_hat=z["eps_hat"], x0_hat=z["x0_hat"],
                   sampler=str(z["sampler"]), eta=float(z["eta"]))


def repaint_schedule(T: int, jump: int = 1, resample: int = 1) -> list[int]:
    """The 0-based states RePaint visits (Lugmayr et al. 2022, the jump schedule of their code): from
    T - 1 down to -1 (x_0), and every `jump` steps back up `jump` steps, resample - 1 times, so each step
    is denoised `resample` times. resample = 1 is plain descent."""
    if not (isinstance(jump, int) and isinstance(resample, int) and jump >= 1 and resample >= 1):
        raise ValueError(f"jump and resample must be integers >= 1, got {jump!r}, {resample!r}")
    jumps = {j: resample - 1 for j in range(0, T - jump, jump)}
    t, ts = T, [T]
    while t >= 1:
        t -= 1
        ts.append(t)
        if jumps.get(t, 0) > 0:
            jumps[t] -= 1
            for _ in range(jump):
                t += 1
                ts.append(t)
    return [u - 1 for u in ts]                       # RePaint's state t is our 0-based step t - 1


def check_sampler(sampler: str, steps: int, T: int, flow: bool | None = None) -> None:
    """flow: True for a velocity model on a FlowPath (Euler), False for an eps-model (DDPM, DDIM),
    None for either."""
    known = {None: SAMPLERS + FLOW_SAMPLERS, False: SAMPLERS, True: FLOW_SAMPLERS}[flow]
    if sampler not in known:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {', '.join(known)}")
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= T:
        raise ValueError(f"steps must be an integer in 1..{T}, got {steps!r}")


def _randn(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else like.device
    return torch.randn(like.shape, generator=generator, device=device).to(like)


@torch.inference_mode()
def sample_steps(model, schedule: NoiseSchedule, x_T: torch.Tensor, sampler: str = "ddim", steps: int = 50,
                 eta: float = 0.0, generator: torch.Generator | None = None, clip_x0: bool = True,
                 known: torch.Tensor | None = None, mask: torch.Tensor | None = None, start: int | None = None,
                 model_kwargs: dict | None = None, jump: int = 1, resample: int = 1):
    """Yield a `Step` per network call, from x_T down to the sample.

    sampler "ddpm": ancestral sampling with the posterior q(x_{t-1}|x_t, x0_hat); with steps < T the
    steps are respaced (DDIM update with eta = 1, which equals DDPM on consecutive steps).
    sampler "ddim": the DDIM update with the given eta (0 = deterministic).
    known/mask (optional, same shape as x_T): RePaint-style conditioning — after every step the
    region where mask == 1 is replaced by `known` noised to the new step with fresh noise.
    start (optional): x_T is taken to be x at this 0-based step instead of T - 1 (denoise a partly
    noised input); works for any tensor shape (images [N x C x H x W], 1D points [N x 1], ...).
    model_kwargs (optional): extra keyword inputs of the network at every step (class labels, ...);
    `model` may equally be any callable (x, t, **kw) -> eps_hat, e.g. a classifier-free-guidance mix.
    The loop runs on x_T's device; noise comes from `generator` (on its own device, then moved).
    With a FlowPath as `schedule`, `model` predicts the velocity v = eps - x_0 and sampler "euler" takes
    Euler's step over t (FlowPath.euler_step); each Step then holds the eps_hat and x0_hat that v implies
    (v = eps_hat - x0_hat). Euler on the flow is the DDIM update on that path: (1 - s) x0_hat + s eps_hat.
    jump/resample (with known/mask, DDPM over every step): RePaint's resampling — every `jump` steps
    the state is noised back `jump` steps with q(x_t | x_{t-1}) and denoised again, `resample` times
    in all, so the free region is harmonised with the known one. A Step is yielded per denoising.
    """
    model_kwargs = model_kwargs or {}
    flow = isinstance(schedule, FlowPath)
    check_sampler(sampler, steps, schedule.T, flow)
    if flow and (eta or known is not None):
        raise ValueError("the flow's Euler sampler is deterministic and unconditioned: no eta, known or mask")
    if sampler == "ddpm":
        eta = 1.0
    if resample > 1 or jump > 1:
        if known is None or sampler != "ddpm" or steps != schedule.T or start is not None:
            raise ValueError("jump/resample (RePaint) need known/mask and the DDPM sampler over every step")
        moves = repaint_schedule(schedule.T, jump, resample)
    else:
        ts = schedule.timesteps(steps, start)
        moves = ts + [-1]
    x = x_T
    n = x.shape[0]
    for t, t_prev in zip(moves, moves[1:]):
        if t_prev > t:                               # RePaint: noise back up, one step at a time
            for u in range(t + 1, t_prev + 1):
                x = schedule.forward_step(x, u, _randn(x, generator))
            continue
        out = model(x, torch.full((n,), t, dtype=torch.long, device=x.device), **model_kwargs)
        if flow:
            x_prev, x0_hat, eps_hat = schedule.euler_step(x, t, t_prev, out)
            yield Step(t, t_prev, x, eps_hat, x0_hat, x_prev)
            x = x_prev
            continue
        eps_hat = out
        needs_noise = t_prev >= 0 and eta > 0
        noise = _randn(x, generator) if needs_noise else None
        if sampler == "ddpm" and steps == moves[0] + 1:  # every step: the exact DDPM posterior
            x_prev, x0_hat = schedule.ddpm_step(x, t, eps_hat, noise, clip_x0)
        else:
            x_prev, x0_hat = schedule.ddim_step(x, t, t_prev, eps_hat, eta, noise, clip_x0)
        if known is not None:
            if t_prev >= 0:
                z = _randn(x, generator)
                known_prev = schedule.add_noise(known, t_prev, z)
            else:
                known_prev = known
            x_prev = mask * known_prev + (1 - mask) * x_prev
        yield Step(t, t_prev, x, eps_hat, x0_hat, x_prev)
        x = x_prev


def sample(model, schedule: NoiseSchedule, x_T: torch.Tensor, sampler: str = "ddim", steps: int = 50,
           eta: float = 0.0, generator: torch.Generator | None = None, record: bool = True, **kw):
    """Run `sample_steps` to the end. record=True returns a Trajectory; False returns only x_0."""
    xs, eps, x0s, ts = [x_T.cpu().numpy()], [], [], []
    last = x_T
    for st in sample_steps(model, schedule, x_T, sampler, steps, eta, generator, **kw):
        last = st.x_prev
        if record:
            ts.append(st.t)
            xs.append(st.x_prev.cpu().numpy()); eps.append(st.eps_hat.cpu().numpy()); x0s.append(st.x0_hat.cpu().numpy())
    if not record:
        return last
    return Trajectory(np.array(ts), np.stack(xs).astype(np.float32), np.stack(eps).astype(np.float32),
                      np.stack(x0s).astype(np.float32), sampler, 1.0 if sampler == "ddpm" else float(eta))

"""Sampling: one loop for DDPM, DDIM, two ODE solvers and one SDE solver (and Euler or Heun over t on a
flow-matching path) that yields every network call, and a Trajectory that keeps them.

`sample_steps` is a generator (like improved-diffusion's p_sample_loop_progressive): a scene can
animate it step by step; `sample` runs it to the end and collects a `Trajectory`.

`steps` always counts network calls (NFE). How each sampler spends them:
- ddpm, ddim: one call per step, on `NoiseSchedule.timesteps(steps)`, the last step landing on x0_hat.
- dpm++2m (DPM-Solver++(2M), Lu et al. 2022): one call per step on the same timesteps as DDIM; the
  first step is first order (DDIM), the next ones extrapolate from the last two x0_hat, and the last
  step (to the data) is first order again (diffusers' default, final_sigmas_type="zero").
- dpm++2m-sde (SDE-DPM-Solver++(2M), Lu et al. 2022; diffusers' "sde-dpmsolver++"): the same calls, the
  same extrapolated x0_hat, solved along the reverse SDE instead of the ODE: each step forgets part of
  x_t and adds fresh noise from `generator` (its first step is DDPM's posterior on the same grid).
- heun-churn (EDM's stochastic sampler, Karras et al. 2022, Algorithm 2, `Churn`): Heun's calls and
  timesteps, but before each interval whose sigma lies in [s_tmin, s_tmax] the state is noised up from
  sigma to sigma_hat = sigma (1 + gamma), gamma = min(s_churn / intervals, sqrt(2) - 1), with fresh
  noise from `generator` (times s_noise), and the interval starts there: sigma_hat taken to the
  nearest trained step, where the network is called.
- heun (EDM, Karras et al. 2022): two calls per interval (Euler guess, then the slope there) in
  d x_bar / d sigma = eps; the last interval, to sigma = 0, is one Euler call. So an odd budget
  steps//2 + 1 intervals with Heun on all but the last; an even one ends on two Euler intervals
  (`diffusion.core.ode.heun_plan`). Its timesteps are `NoiseSchedule.timesteps(steps//2 + 1)`.
- spacing: the timesteps above are evenly spaced in t ("uniform", the default) or Karras et al.'s
  rho = 7 spacing in sigma ("karras": short steps near the data), for every eps-model sampler.
- on a FlowPath (a velocity model, flow matching): euler, one call per step of dx/dt = v over t on
  `FlowPath.timesteps(steps)`; heun, the same Heun steps over t, on every interval (the velocity is
  defined at t = 0 too), so ceil(steps/2) intervals, an odd budget ending on one Euler interval.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, fields

import numpy as np
import torch

from .ode import call_stages, heun_plan, ode_steps
from .path import FlowPath
from .schedule import SPACINGS, NoiseSchedule, check_spacing  # noqa: F401 (SPACINGS: the choices, here too)

SOLVERS = ("dpm++2m", "heun")                # deterministic ODE solvers
SDE_SOLVERS = ("dpm++2m-sde", "heun-churn")  # stochastic solvers: fresh noise every step
SAMPLERS = ("ddpm", "ddim") + SOLVERS + SDE_SOLVERS
FLOW_SAMPLERS = ("euler", "heun")            # for a velocity model on a FlowPath


@dataclass(frozen=True)
class Churn:
    """EDM's churn (Karras et al. 2022, Algorithm 2), in sigma = sqrt((1 - alpha_bar) / alpha_bar): each
    interval starting at a sigma in [s_tmin, s_tmax] first adds noise to raise it by the factor
    1 + min(s_churn / intervals, sqrt(2) - 1); s_noise scales that noise. The defaults are EDM's
    ImageNet-64 settings (their Table 5: 40, 0.05, 50, 1.003)."""
    s_churn: float = 40.0
    s_tmin: float = 0.05
    s_tmax: float = 50.0
    s_noise: float = 1.003

    def __post_init__(self):
        if not (self.s_churn >= 0 and 0 <= self.s_tmin <= self.s_tmax and self.s_noise > 0):
            raise ValueError(f"churn needs s_churn >= 0, 0 <= s_tmin <= s_tmax and s_noise > 0, got {self}")

    def gamma(self, sigma: float, intervals: int) -> float:
        return min(self.s_churn / intervals, math.sqrt(2) - 1) if self.s_tmin <= sigma <= self.s_tmax else 0.0


@dataclass
class Step:
    t: int                  # 0-based step of x_t
    t_prev: int             # step the update goes to (-1: the clean sample)
    x_t: torch.Tensor
    eps_hat: torch.Tensor
    x0_hat: torch.Tensor
    x_prev: torch.Tensor
    # "step" (DDPM, DDIM, DPM-Solver++: x_prev is the state at t_prev), or Heun's stages (ode.STAGES):
    # "euler"; "predict" (x_prev is the Euler guess at t_prev); "correct" (the call at the guess, x_t,
    # whose slope averaged with the last one gives x_prev, the state at t_prev = t)
    stage: str = "step"


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
    flow: bool = False          # made on a FlowPath (x0_hat and eps_hat are then what the velocity implied)

    @property
    def final(self) -> np.ndarray:
        return self.x[-1]

    @property
    def stages(self) -> list[str]:
        """Each call's `Step.stage` (Heun: predict/correct/euler; flow Euler: euler; the others: step)."""
        n = len(self.timesteps)
        if self.sampler in ("heun", "heun-churn"):
            return call_stages(n, last_euler=not self.flow)
        return ["euler" if self.flow else "step"] * n

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **{f.name: np.asarray(getattr(self, f.name)) for f in fields(self)})
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Trajectory":
        z = np.load(io.BytesIO(data))
        return cls(timesteps=z["timesteps"], x=z["x"], eps_hat=z["eps_hat"], x0_hat=z["x0_hat"],
                   sampler=str(z["sampler"]), eta=float(z["eta"]), flow=bool(z["flow"]) if "flow" in z.files else False)


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


def check_sampler(sampler: str, steps: int, T: int, eta: float = 0.0, flow: bool | None = None) -> None:
    """flow: True for a velocity model on a FlowPath, False for an eps-model, None for either."""
    known = {False: SAMPLERS, True: FLOW_SAMPLERS,
             None: SAMPLERS + tuple(s for s in FLOW_SAMPLERS if s not in SAMPLERS)}[flow]
    if sampler not in known:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {', '.join(known)}")
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= T:
        raise ValueError(f"steps must be an integer in 1..{T}, got {steps!r}")
    if (sampler in SOLVERS or flow) and eta != 0:
        raise ValueError(f"{sampler} solves a deterministic ODE: eta must be 0, got {eta!r}")
    if sampler in SDE_SOLVERS and eta != 0:
        raise ValueError(f"{sampler} sets its own noise (eta is for ddim): eta must be 0, got {eta!r}")


def _randn(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else like.device
    return torch.randn(like.shape, generator=generator, device=device).to(like)


@torch.inference_mode()
def sample_steps(model, schedule: NoiseSchedule, x_T: torch.Tensor, sampler: str = "ddim", steps: int = 50,
                 eta: float = 0.0, generator: torch.Generator | None = None, clip_x0: bool = True,
                 known: torch.Tensor | None = None, mask: torch.Tensor | None = None, start: int | None = None,
                 model_kwargs: dict | None = None, jump: int = 1, resample: int = 1, spacing: str = "uniform",
                 churn: Churn | None = None):
    """Yield a `Step` per network call, from x_T down to the sample.

    sampler "ddpm": ancestral sampling with the posterior q(x_{t-1}|x_t, x0_hat); with steps < T the
    steps are respaced (DDIM update with eta = 1, which equals DDPM on consecutive steps).
    sampler "ddim": the DDIM update with the given eta (0 = deterministic).
    sampler "dpm++2m" / "heun": second-order solvers of the probability-flow ODE (eta must be 0); `steps`
    counts network calls for every sampler (module docstring: how each spends them).
    sampler "dpm++2m-sde": DPM-Solver++(2M) on the reverse SDE (eta must be 0; its noise from `generator`).
    sampler "heun-churn": EDM's stochastic Heun, its settings `churn` (default `Churn()`; only for it).
    known/mask (optional, same shape as x_T): RePaint-style conditioning — after every step the
    region where mask == 1 is replaced by `known` noised to the new step with fresh noise.
    start (optional): x_T is taken to be x at this 0-based step instead of T - 1 (denoise a partly
    noised input); works for any tensor shape (images [N x C x H x W], 1D points [N x 1], ...).
    model_kwargs (optional): extra keyword inputs of the network at every step (class labels, ...);
    `model` may equally be any callable (x, t, **kw) -> eps_hat, e.g. a classifier-free-guidance mix.
    The loop runs on x_T's device; noise comes from `generator` (on its own device, then moved).
    jump/resample (with known/mask, DDPM over every step): RePaint's resampling — every `jump` steps
    the state is noised back `jump` steps with q(x_t | x_{t-1}) and denoised again, `resample` times
    in all, so the free region is harmonised with the known one. A Step is yielded per denoising.
    spacing: how the steps are spread over t, "uniform" or "karras" (`NoiseSchedule.timesteps`), for
    every sampler of an eps-model; a flow path takes uniform only.
    """
    model_kwargs = model_kwargs or {}
    flow = isinstance(schedule, FlowPath)
    check_sampler(sampler, steps, schedule.T, eta, flow)
    check_spacing(spacing)
    if flow:
        if known is not None or resample > 1 or jump > 1:
            raise ValueError("the flow's samplers take no known/mask (RePaint)")
        if spacing != "uniform":
            raise ValueError(f"spacing {spacing!r} is for an eps-model's noise schedule; a flow path takes uniform")
        yield from _flow_steps(model, schedule, x_T, sampler, steps, start, model_kwargs)
        return
    if churn is not None and sampler != "heun-churn":
        raise ValueError(f"churn settings are for the heun-churn sampler, not {sampler}")
    if sampler == "ddpm":
        eta = 1.0
    if sampler == "heun-churn":
        if resample > 1 or jump > 1:
            raise ValueError(f"jump/resample (RePaint) need the DDPM sampler over every step, not {sampler}")
        yield from _heun_churn_steps(model, schedule, x_T, steps, generator, clip_x0, known, mask, start,
                                     model_kwargs, spacing, churn or Churn())
        return
    if sampler in SOLVERS + SDE_SOLVERS:
        if resample > 1 or jump > 1:
            raise ValueError(f"jump/resample (RePaint) need the DDPM sampler over every step, not {sampler}")
        solver = {"heun": _heun_steps, "dpm++2m": _dpm_solver_steps, "dpm++2m-sde": _dpm_solver_sde_steps}[sampler]
        yield from solver(model, schedule, x_T, steps, generator, clip_x0, known, mask, start, model_kwargs, spacing)
        return
    if resample > 1 or jump > 1:
        if known is None or sampler != "ddpm" or steps != schedule.T or start is not None:
            raise ValueError("jump/resample (RePaint) need known/mask and the DDPM sampler over every step")
        moves = repaint_schedule(schedule.T, jump, resample)
    else:
        moves = schedule.timesteps(steps, start, spacing) + [-1]
    x = x_T
    n = x.shape[0]
    for t, t_prev in zip(moves, moves[1:]):
        if t_prev > t:                               # RePaint: noise back up, one step at a time
            for u in range(t + 1, t_prev + 1):
                x = schedule.forward_step(x, u, _randn(x, generator))
            continue
        eps_hat = model(x, torch.full((n,), t, dtype=torch.long, device=x.device), **model_kwargs)
        needs_noise = t_prev >= 0 and eta > 0
        noise = _randn(x, generator) if needs_noise else None
        if sampler == "ddpm" and steps == moves[0] + 1:  # every step: the exact DDPM posterior
            x_prev, x0_hat = schedule.ddpm_step(x, t, eps_hat, noise, clip_x0)
        else:
            x_prev, x0_hat = schedule.ddim_step(x, t, t_prev, eps_hat, eta, noise, clip_x0)
        if known is not None:
            x_prev = _paste_known(schedule, x_prev, t_prev, known, mask, generator)
        yield Step(t, t_prev, x, eps_hat, x0_hat, x_prev)
        x = x_prev


def _paste_known(schedule, x_prev, t_prev, known, mask, generator):
    """RePaint-style conditioning: the region mask == 1 becomes `known` noised to t_prev (fresh noise)."""
    known_prev = schedule.add_noise(known, t_prev, _randn(x_prev, generator)) if t_prev >= 0 else known
    return mask * known_prev + (1 - mask) * x_prev


def _predict(model, schedule, x, t, clip_x0, model_kwargs):
    """One network call at 0-based step t: (eps_hat, x0_hat, eps consistent with the clipped x0_hat)."""
    eps_hat = model(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device), **model_kwargs)
    x0_hat = schedule.predict_x0(x, t, eps_hat)
    if not clip_x0:
        return eps_hat, x0_hat, eps_hat
    x0_hat = x0_hat.clamp(-1, 1)
    return eps_hat, x0_hat, schedule.predict_eps(x, t, x0_hat)


def _dpm_solver_steps(model, schedule, x, steps, generator, clip_x0, known, mask, start, model_kwargs, spacing):
    """DPM-Solver++(2M): one call per step, the data prediction extrapolated from the last two."""
    moves = schedule.timesteps(steps, start, spacing) + [-1]
    x0_last = t_last = None
    for t, t_prev in zip(moves, moves[1:]):
        eps_hat, x0_hat, _ = _predict(model, schedule, x, t, clip_x0, model_kwargs)
        x_prev, _ = schedule.dpm_solver_pp_step(x, t, t_prev, x0_hat, x0_last, t_last)
        if known is not None:
            x_prev = _paste_known(schedule, x_prev, t_prev, known, mask, generator)
        yield Step(t, t_prev, x, eps_hat, x0_hat, x_prev)
        x, x0_last, t_last = x_prev, x0_hat, t


def _dpm_solver_sde_steps(model, schedule, x, steps, generator, clip_x0, known, mask, start, model_kwargs, spacing):
    """SDE-DPM-Solver++(2M): as `_dpm_solver_steps`, plus fresh noise on every step but the last."""
    moves = schedule.timesteps(steps, start, spacing) + [-1]
    x0_last = t_last = None
    for t, t_prev in zip(moves, moves[1:]):
        eps_hat, x0_hat, _ = _predict(model, schedule, x, t, clip_x0, model_kwargs)
        noise = _randn(x, generator) if t_prev >= 0 else None
        x_prev, _ = schedule.dpm_solver_pp_sde_step(x, t, t_prev, x0_hat, x0_last, t_last, noise)
        if known is not None:
            x_prev = _paste_known(schedule, x_prev, t_prev, known, mask, generator)
        yield Step(t, t_prev, x, eps_hat, x0_hat, x_prev)
        x, x0_last, t_last = x_prev, x0_hat, t


def _heun_steps(model, schedule, x, steps, generator, clip_x0, known, mask, start, model_kwargs, spacing):
    """Heun in x_bar = x / sqrt(alpha_bar) over sigma (diffusion.core.ode), one Step per network call."""
    intervals, heun = heun_plan(steps)
    moves = schedule.timesteps(intervals, start, spacing) + [-1]
    grid = [schedule.ode_sigma(t) for t in moves]
    scale = [math.sqrt(schedule.ab_at(t)) for t in moves]          # x = scale * x_bar
    seen = {}

    def slope(x_bar, i):
        xt = x_bar * scale[i]
        seen["eps"], seen["x0"], eps = _predict(model, schedule, xt, moves[i], clip_x0, model_kwargs)
        return eps

    x_bar = x / scale[0]
    for call in ode_steps(slope, x_bar, grid, heun):
        t, t_to = moves[call.at], moves[call.interval + 1]
        if t_to < 0:      # Euler to sigma = 0 is x_bar - sigma eps = x0_hat: taken exactly, no cancellation
            call.x_next = seen["x0"]
        x_prev = call.x_next * scale[call.interval + 1]
        if known is not None and call.stage != "predict":
            x_prev = _paste_known(schedule, x_prev, t_to, known, mask, generator)
            call.x_next = x_prev / scale[call.interval + 1]       # the pasted state goes on
        yield Step(t, t_to, call.x * scale[call.at], seen["eps"], seen["x0"], x_prev, call.stage)


def _heun_churn_steps(model, schedule, x, steps, generator, clip_x0, known, mask, start, model_kwargs, spacing,
                      churn: Churn):
    """EDM Algorithm 2 in x_bar = x / sqrt(alpha_bar) over sigma, one Step per network call: Heun's plan and
    timesteps, each interval first churned (noised up from sigma_i to sigma_hat at a trained step t_hat,
    yielded as the call's x_t at t_hat), then Heun (or, last, Euler to sigma = 0) from there."""
    intervals, heun = heun_plan(steps)
    moves = schedule.timesteps(intervals, start, spacing) + [-1]
    sig = lambda t: schedule.ode_sigma(t) if t >= 0 else 0.0
    scale = lambda t: math.sqrt(schedule.ab_at(t))
    x_bar = x / scale(moves[0])
    for i, (t, t_to) in enumerate(zip(moves, moves[1:])):
        s_i, s_next = sig(t), sig(t_to)
        t_hat = max(t, schedule.step_at_sigma(s_i * (1 + churn.gamma(s_i, intervals))))
        s_hat = sig(t_hat)
        if t_hat > t:                                 # fresh noise raises sigma_i to sigma_hat
            x_bar = x_bar + math.sqrt(s_hat ** 2 - s_i ** 2) * churn.s_noise * _randn(x_bar, generator)
        eps_hat, x0_hat, d = _predict(model, schedule, x_bar * scale(t_hat), t_hat, clip_x0, model_kwargs)
        guess = x_bar + (s_next - s_hat) * d
        if i >= heun:     # Euler; to sigma = 0 that is x0_hat, taken exactly as in `_heun_steps`
            x_prev = x0_hat if t_to < 0 else guess * scale(t_to)
            if known is not None:
                x_prev = _paste_known(schedule, x_prev, t_to, known, mask, generator)
            yield Step(t_hat, t_to, x_bar * scale(t_hat), eps_hat, x0_hat, x_prev, "euler")
            if t_to < 0:
                return
            x_bar = x_prev / scale(t_to)
            continue
        yield Step(t_hat, t_to, x_bar * scale(t_hat), eps_hat, x0_hat, guess * scale(t_to), "predict")
        eps2, x0_2, d2 = _predict(model, schedule, guess * scale(t_to), t_to, clip_x0, model_kwargs)
        x_prev = (x_bar + (s_next - s_hat) * 0.5 * (d + d2)) * scale(t_to)
        if known is not None:
            x_prev = _paste_known(schedule, x_prev, t_to, known, mask, generator)
        yield Step(t_to, t_to, guess * scale(t_to), eps2, x0_2, x_prev, "correct")
        x_bar = x_prev / scale(t_to)


def _flow_steps(model, path: FlowPath, x, sampler, steps, start, model_kwargs):
    """Euler or Heun over t on dx/dt = v (diffusion.core.ode), one Step per network call; each Step holds
    the x0_hat = x - t v and eps_hat = x + (1 - t) v that the call's velocity implies."""
    intervals, heun = heun_plan(steps, last_euler=False) if sampler == "heun" else (steps, 0)
    moves = path.timesteps(intervals, start) + [-1]
    grid = [path.time(k) for k in moves]
    seen = {}

    def slope(x, i):
        v = model(x, torch.full((x.shape[0],), moves[i], dtype=torch.long, device=x.device), **model_kwargs)
        seen["x0"], seen["eps"] = path.predict_x0(x, moves[i], v), path.predict_eps(x, moves[i], v)
        return v

    for call in ode_steps(slope, x, grid, heun):
        yield Step(moves[call.at], moves[call.interval + 1], call.x, seen["eps"], seen["x0"], call.x_next, call.stage)


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
                      np.stack(x0s).astype(np.float32), sampler, 1.0 if sampler == "ddpm" else float(eta),
                      isinstance(schedule, FlowPath))

"""Euler and Heun steps of an ODE dx/ds = f(x, s) on a given grid, in any parametrisation.

The sampling loop uses them for the probability-flow ODE written as d x_bar / d sigma = eps (EDM's
form, Karras et al. 2022: x_bar = x / sqrt(alpha_bar), sigma = sqrt((1 - alpha_bar) / alpha_bar)),
where an Euler step is exactly DDIM with eta = 0. Nothing here knows about noise schedules: a flow
matching model can run the same `ode_steps` over its own time t with f = its velocity.

Each slope is one network call (NFE). Heun (EDM Algorithm 1) spends two per interval: the Euler guess
at the interval's end ("predict"), then the slope there, averaged with the first ("correct"). An
Euler interval spends one ("euler"). `heun_plan` says how a budget of calls is spent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch

STAGES = ("euler", "predict", "correct")


def euler_step(x: torch.Tensor, s: float, s_next: float, d: torch.Tensor) -> torch.Tensor:
    """x + (s_next - s) d: one tangent."""
    return x + (s_next - s) * d


def heun_step(x: torch.Tensor, s: float, s_next: float, d: torch.Tensor, d_next: torch.Tensor) -> torch.Tensor:
    """x + (s_next - s) (d + d_next) / 2: the trapezoid of the slope at the start and at the Euler guess."""
    return x + (s_next - s) * (0.5 * (d + d_next))


def heun_plan(nfe: int, last_euler: bool = True) -> tuple[int, int]:
    """(intervals, heun_intervals) for a budget of `nfe` network calls; the Heun intervals come first.

    last_euler=True (diffusion: the slope at sigma = 0 is not defined, EDM takes an Euler step there):
    nfe//2 + 1 intervals, so an odd budget is Heun on all but the last interval and an even budget
    ends on two Euler intervals (nfe 1 and 2 are plain Euler). last_euler=False (a velocity defined at
    both ends): ceil(nfe/2) intervals, an odd budget ending on one Euler interval."""
    if not isinstance(nfe, int) or isinstance(nfe, bool) or nfe < 1:
        raise ValueError(f"the number of network calls must be an integer >= 1, got {nfe!r}")
    intervals = nfe // 2 + 1 if last_euler else (nfe + 1) // 2
    return intervals, nfe - intervals


def call_stages(nfe: int, last_euler: bool = True) -> list[str]:
    """The stage of each of the `nfe` calls that `ode_steps` makes under `heun_plan(nfe, last_euler)`."""
    intervals, heun = heun_plan(nfe, last_euler)
    return ["predict", "correct"] * heun + ["euler"] * (intervals - heun)


@dataclass
class OdeCall:
    """One slope evaluation: f(x, grid[at]) = d, and the state it leads to.

    interval: i of the interval grid[i] -> grid[i + 1]; at: the grid index of the evaluation (i, or
    i + 1 for "correct"); x_next: the state at grid[i + 1] after this call (the Euler guess after
    "predict", the corrected state after "correct")."""
    interval: int
    at: int
    stage: str
    x: torch.Tensor
    d: torch.Tensor
    x_next: torch.Tensor


def ode_steps(f: Callable[[torch.Tensor, int], torch.Tensor], x: torch.Tensor, grid: Sequence[float],
              heun: int):
    """Yield an `OdeCall` per evaluation of f(x, i) (the slope at grid[i]) from grid[0] to grid[-1]:
    Heun on the first `heun` intervals, Euler on the rest. f takes the grid index so a caller can
    evaluate a network at its own integer step for that point. A caller may replace a yielded
    call's x_next (e.g. to paste a known region): the solve goes on from it."""
    if not 0 <= heun < len(grid):
        raise ValueError(f"heun intervals must be in 0..{len(grid) - 1}, got {heun}")
    for i in range(len(grid) - 1):
        s, s_next = float(grid[i]), float(grid[i + 1])
        d = f(x, i)
        if i >= heun:
            call = OdeCall(i, i, "euler", x, d, euler_step(x, s, s_next, d))
            yield call
            x = call.x_next
            continue
        call = OdeCall(i, i, "predict", x, d, euler_step(x, s, s_next, d))
        yield call
        guess = call.x_next
        d_next = f(guess, i + 1)
        call = OdeCall(i, i + 1, "correct", guess, d_next, heun_step(x, s, s_next, d, d_next))
        yield call
        x = call.x_next

"""The flow-matching path — the single home of its formulas, as NoiseSchedule is for the Gaussian diffusion.

Flow matching / rectified flow (Lipman et al. 2023; Liu et al. 2023) joins data and noise by the line
x_t = (1 - t) x_0 + t eps, t in [0, 1] (t = 0: the data, t = 1: pure noise), and trains the network on
the velocity of that line, v = d x_t / dt = eps - x_0. The ODE dx/dt = v(x, t) run from t = 1 to 0 is the
sampler; Euler's step over t is x_s = x_t + (s - t) v.

The training engine and the sampling loop index time by a 0-based step k = 0..T-1, as for the diffusion
schedules: here step k is the time t_k = (k + 1) / T (k = T - 1 is t = 1, and k = -1 means the data,
t = 0), and the network is handed k as its time input (fractional between the grid points).

The link to the diffusion (`eps_from_velocity` and friends): with alpha_t = 1 - t, sigma_t = t both paths
are x = alpha x_0 + sigma eps, so at matching signal-to-noise ratio alpha / sigma the two states differ
only by a scale, and the ideal velocity and the ideal noise prediction are affine functions of each other.
"""
from __future__ import annotations

import copy

import numpy as np
import torch


def _as(values, like: torch.Tensor) -> torch.Tensor:
    """A scalar or (N,) per-sample value shaped to broadcast against `like`, in its dtype and device."""
    v = torch.as_tensor(values, dtype=like.dtype, device=like.device)
    return v if v.ndim == 0 else v.reshape(v.shape[0], *([1] * (like.ndim - 1)))


class FlowPath:
    """The linear path x_t = (1 - t) x_0 + t eps on the grid t_k = (k + 1) / T, k = 0..T-1."""

    name = "flow"

    def __init__(self, T: int = 1000):
        if not isinstance(T, int) or isinstance(T, bool) or T < 1:
            raise ValueError(f"T must be a positive integer, got {T!r}")
        self.T = T
        self.t = torch.arange(1, T + 1, dtype=torch.float64) / T          # t_k, increasing, t_{T-1} = 1

    def __repr__(self) -> str:
        return f"FlowPath(T={self.T})"

    def to(self, device) -> "FlowPath":
        out = copy.copy(self)
        out.t = self.t.to(device)
        return out

    # --- time ----------------------------------------------------------------------------------

    def time(self, k):
        """t at 0-based step k (an int, -1 for the data, or a tensor of steps) as float64."""
        if isinstance(k, torch.Tensor):
            return (k.to(torch.float64) + 1) / self.T
        if not -1 <= k < self.T:
            raise ValueError(f"step must be in -1..{self.T - 1}, got {k}")
        return (k + 1) / self.T

    def step_of(self, t):
        """The network's (fractional) time input at time t: k = t T - 1."""
        return t * self.T - 1

    def timesteps(self, steps: int, start: int | None = None) -> list[int]:
        """Descending steps for `steps` network calls of Euler over t: the times start_t (1 - i / steps),
        i = 0..steps-1, each step of length start_t / steps, the last one ending at the data (t = 0).
        start: the 0-based step to begin from (default T - 1, t = 1); at most start + 1 steps."""
        start = self.T - 1 if start is None else start
        if not isinstance(start, int) or isinstance(start, bool) or not 0 <= start < self.T:
            raise ValueError(f"start must be an integer in 0..{self.T - 1}, got {start!r}")
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1 or steps > start + 1:
            raise ValueError(f"steps must be an integer in 1..{start + 1}, got {steps!r}")
        ks = np.round((start + 1) * (1 - np.arange(steps) / steps)).astype(int) - 1
        return [int(k) for k in ks]

    def snr(self, t=None) -> torch.Tensor:
        """Signal-to-noise ratio alpha^2 / sigma^2 = ((1 - t) / t)^2 at the steps (all of them by default)."""
        snr = ((1 - self.t) / self.t) ** 2
        return snr if t is None else snr[t]

    # --- the path and its velocity -------------------------------------------------------------

    def add_noise(self, x0: torch.Tensor, k, eps: torch.Tensor) -> torch.Tensor:
        """x_t = (1 - t) x_0 + t eps at step k (int or (N,))."""
        t = _as(self.time(k), x0)
        return (1 - t) * x0 + t * eps

    @staticmethod
    def velocity(x0: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """The training target: d x_t / dt = eps - x_0 (the same at every t: the path is a line)."""
        return eps - x0

    def predict_x0(self, x_t: torch.Tensor, k, v: torch.Tensor) -> torch.Tensor:
        """x0_hat = x_t - t v (where the line through x_t with slope v meets t = 0)."""
        return x_t - _as(self.time(k), x_t) * v

    def predict_eps(self, x_t: torch.Tensor, k, v: torch.Tensor) -> torch.Tensor:
        """eps_hat = x_t + (1 - t) v (where it meets t = 1)."""
        return x_t + (1 - _as(self.time(k), x_t)) * v

    def euler_step(self, x_t: torch.Tensor, k: int, k_prev: int, v: torch.Tensor):
        """Euler's step of dx/dt = v from step k to an earlier step k_prev (-1: the data):
        x_s = x_t + (s - t) v. Returns (x_prev, x0_hat, eps_hat)."""
        from .ode import euler_step

        return (euler_step(x_t, self.time(k), self.time(k_prev), v), self.predict_x0(x_t, k, v),
                self.predict_eps(x_t, k, v))


# --- the link to the Gaussian diffusion at matching signal-to-noise ratio ------------------------
# Diffusion: y = a x_0 + b eps with a = sqrt(alpha_bar), b = sqrt(1 - alpha_bar). Flow: x = (1 - s) x_0 + s eps.
# Same ratio a / b = (1 - s) / s  <=>  s = b / (a + b); then x = y / (a + b) with the same (x_0, eps).

def flow_time_at(alpha_bar):
    """The flow time s whose signal-to-noise ratio equals the diffusion's at alpha_bar: s = b / (a + b)."""
    a, b = np.sqrt(alpha_bar), np.sqrt(1 - np.asarray(alpha_bar, dtype=np.float64))
    return b / (a + b)


def flow_scale(alpha_bar):
    """c with x_flow = c y_diffusion at matching SNR: c = 1 / (sqrt(alpha_bar) + sqrt(1 - alpha_bar))."""
    ab = np.asarray(alpha_bar, dtype=np.float64)
    return 1.0 / (np.sqrt(ab) + np.sqrt(1 - ab))


def velocity_from_eps(x: torch.Tensor, s, eps: torch.Tensor) -> torch.Tensor:
    """The flow velocity at flow state x, time s < 1, from the noise prediction there:
    v = (eps - x) / (1 - s)  (as x_0 = (x - s eps) / (1 - s) and v = eps - x_0).
    With eps = eps*_diffusion(x / c, alpha_bar) at the matching alpha_bar, the exact eps* gives the
    exact velocity u_s(x) = E[eps - x_0 | x_s = x]."""
    return (eps - x) / (1 - _as(s, x))


def eps_from_velocity(x: torch.Tensor, s, v: torch.Tensor) -> torch.Tensor:
    """The inverse map: eps = x + (1 - s) v, defined at every s including s = 1."""
    return x + (1 - _as(s, x)) * v


def matching_alpha_bar(s):
    """The alpha_bar of the diffusion state with the flow's SNR at time s: (1 - s)^2 / ((1 - s)^2 + s^2)."""
    s = np.asarray(s, dtype=np.float64)
    return (1 - s) ** 2 / ((1 - s) ** 2 + s ** 2)


__all__ = ["FlowPath", "flow_time_at", "flow_scale", "velocity_from_eps", "eps_from_velocity",
           "matching_alpha_bar"]

"""Noise schedules and the Gaussian diffusion math — the single home of every formula.

Training (`add_noise`), sampling (`ddpm_step`, `ddim_step`) and every scene read from one
`NoiseSchedule`, so the equation on screen and the code that made the frames are the same.
Notation follows Ho et al. 2020 (DDPM) and Song et al. 2021 (DDIM).
"""
from __future__ import annotations

import copy

import math

import numpy as np
import torch


# --- beta schedules (pure functions, float64) ---------------------------------------------

def linear_beta_schedule(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """Ho et al. 2020: betas linear from 1e-4 to 0.02 (scaled for T != 1000)."""
    scale = 1000 / T
    return np.linspace(scale * beta_start, scale * beta_end, T, dtype=np.float64)


def cosine_beta_schedule(T: int, s: float = 0.008) -> np.ndarray:
    """Nichol & Dhariwal 2021: alpha_bar(t) = cos^2(((t/T + s)/(1 + s)) * pi/2), betas clipped at 0.999."""
    steps = np.arange(T + 1, dtype=np.float64)
    f = np.cos(((steps / T) + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    betas = 1 - alpha_bar[1:] / alpha_bar[:-1]
    return np.clip(betas, 0, 0.999)


BETA_SCHEDULES = {"linear": linear_beta_schedule, "cosine": cosine_beta_schedule}


def make_betas(name: str, T: int) -> np.ndarray:
    if name not in BETA_SCHEDULES:
        raise ValueError(f"unknown beta schedule {name!r}; choose one of {sorted(BETA_SCHEDULES)}")
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"T must be a positive integer, got {T!r}")
    return BETA_SCHEDULES[name](T)


SPACINGS = ("uniform", "karras")        # how a sampler's timesteps are spread (NoiseSchedule.timesteps)
KARRAS_RHO = 7.0


def check_spacing(spacing: str) -> None:
    if spacing not in SPACINGS:
        raise ValueError(f"unknown spacing {spacing!r}; choose one of {', '.join(SPACINGS)}")


def check_t_focus(t_focus: tuple, T: int) -> None:
    """A training config's t_focus is () or (lo, hi, share) with 0 <= lo < hi <= 1 (a non-empty range of
    steps once scaled by T) and 0 <= share <= 1."""
    if t_focus:
        lo, hi, share = t_focus
        if not (0 <= int(round(lo * T)) < int(round(hi * T)) <= T and 0 <= share <= 1):
            raise ValueError(f"t_focus needs 0 <= lo < hi <= 1 and 0 <= share <= 1, got {tuple(t_focus)}")


def sample_train_t(B: int, T: int, gen: torch.Generator, t_focus: tuple = ()) -> torch.Tensor:
    """(B,) 0-based training steps on gen's device: uniform on [0, T), or with t_focus = (lo, hi, share)
    a `share` of them uniform on [lo T, hi T) instead. Every model's training draws its steps here; the
    draw order (all B uniform steps first) keeps t_focus=() the same bits as a plain randint."""
    dev = gen.device
    t = torch.randint(0, T, (B,), generator=gen, device=dev)
    if t_focus:
        lo, hi, share = t_focus
        a, b = int(round(lo * T)), int(round(hi * T))
        mid = torch.randint(a, b, (B,), generator=gen, device=dev)
        t = torch.where(torch.rand(B, generator=gen, device=dev) < share, mid, t)
    return t


def _gather(values: torch.Tensor, t, like: torch.Tensor) -> torch.Tensor:
    """values[t] shaped to broadcast against `like` (t is an int or a (N,) tensor of 0-based steps)."""
    t = torch.as_tensor(t, device=values.device)
    out = values[t].to(dtype=like.dtype, device=like.device)
    if out.ndim == 0:
        return out
    return out.reshape(out.shape[0], *([1] * (like.ndim - 1)))


class NoiseSchedule:
    """Linear or cosine schedule with T steps and everything derived from it.

    Arrays are indexed by a 0-based step t = 0..T-1 (the paper's step t+1): `alpha_bar[t]` is the
    product alpha_0 * ... * alpha_t and x_t = sqrt(alpha_bar[t]) x_0 + sqrt(1 - alpha_bar[t]) eps.
    Scenes display the paper's 1-based t; the clean image is "step -1" (alpha_bar_prev[0] = 1).
    """

    def __init__(self, name: str = "linear", T: int = 1000):
        self.name, self.T = name, T
        betas = make_betas(name, T)
        assert (betas > 0).all() and (betas <= 1).all()
        self.betas = torch.from_numpy(betas)                              # beta_t
        self.alphas = 1.0 - self.betas                                    # alpha_t = 1 - beta_t
        self.alpha_bar = torch.cumprod(self.alphas, dim=0)                # prod_{s<=t} alpha_s
        self.alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bar[:-1]])
        self.sqrt_alpha_bar = self.alpha_bar.sqrt()
        self.sqrt_one_minus_alpha_bar = (1.0 - self.alpha_bar).sqrt()
        # calculations for the posterior q(x_{t-1} | x_t, x_0)
        self.posterior_variance = self.betas * (1.0 - self.alpha_bar_prev) / (1.0 - self.alpha_bar)
        self.posterior_mean_coef_x0 = self.betas * self.alpha_bar_prev.sqrt() / (1.0 - self.alpha_bar)
        self.posterior_mean_coef_xt = (1.0 - self.alpha_bar_prev) * self.alphas.sqrt() / (1.0 - self.alpha_bar)

    def __repr__(self) -> str:
        return f"NoiseSchedule({self.name!r}, T={self.T})"

    def to(self, device) -> "NoiseSchedule":
        """The same schedule with its arrays on `device` (a GPU gathers per-sample values without copies)."""
        out = copy.copy(self)
        for k, v in vars(self).items():
            if isinstance(v, torch.Tensor):
                setattr(out, k, v.to(device))
        return out

    # --- forward process -------------------------------------------------------------------

    def snr(self, t=None) -> torch.Tensor:
        """Signal-to-noise ratio alpha_bar / (1 - alpha_bar)."""
        snr = self.alpha_bar / (1.0 - self.alpha_bar)
        return snr if t is None else snr[t]

    def lam(self, t=None) -> torch.Tensor:
        """lambda_t = log(alpha_t / sigma_t) with alpha_t = sqrt(alpha_bar_t), sigma_t = sqrt(1 - alpha_bar_t):
        half the log-SNR, as DPM-Solver (Lu et al. 2022) and diffusers write it (some texts use
        log(alpha^2 / sigma^2), twice this). It falls from data (t = 0, large) to noise (t = T - 1)."""
        lam = 0.5 * (torch.log(self.alpha_bar) - torch.log1p(-self.alpha_bar))
        return lam if t is None else lam[t]

    def add_noise(self, x0: torch.Tensor, t, eps: torch.Tensor) -> torch.Tensor:
        """q(x_t | x_0) by reparameterisation: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps."""
        return _gather(self.sqrt_alpha_bar, t, x0) * x0 + _gather(self.sqrt_one_minus_alpha_bar, t, x0) * eps

    def forward_step(self, x_prev: torch.Tensor, t, eps: torch.Tensor) -> torch.Tensor:
        """One Markov step q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)."""
        return _gather(self.alphas.sqrt(), t, x_prev) * x_prev + _gather(self.betas.sqrt(), t, x_prev) * eps

    # --- inverting the forward process -----------------------------------------------------

    def predict_x0(self, x_t: torch.Tensor, t, eps: torch.Tensor) -> torch.Tensor:
        """x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_bar_t)."""
        return (x_t - _gather(self.sqrt_one_minus_alpha_bar, t, x_t) * eps) / _gather(self.sqrt_alpha_bar, t, x_t)

    def predict_eps(self, x_t: torch.Tensor, t, x0: torch.Tensor) -> torch.Tensor:
        """eps implied by x_t and x0: (x_t - sqrt(alpha_bar_t) x0) / sqrt(1 - alpha_bar_t)."""
        return (x_t - _gather(self.sqrt_alpha_bar, t, x_t) * x0) / _gather(self.sqrt_one_minus_alpha_bar, t, x_t)

    def posterior(self, x0: torch.Tensor, x_t: torch.Tensor, t):
        """Mean and variance of q(x_{t-1} | x_t, x_0)."""
        mean = _gather(self.posterior_mean_coef_x0, t, x_t) * x0 + _gather(self.posterior_mean_coef_xt, t, x_t) * x_t
        return mean, _gather(self.posterior_variance, t, x_t)

    # --- reverse steps -----------------------------------------------------------------------

    def ddpm_step(self, x_t: torch.Tensor, t: int, eps_hat: torch.Tensor, noise: torch.Tensor | None,
                  clip_x0: bool = True):
        """Ancestral step x_t -> x_{t-1} ~ p(x_{t-1} | x_t) = q(x_{t-1} | x_t, x0_hat).

        Returns (x_prev, x0_hat). `noise` is the fresh N(0, I) draw (ignored at t = 0).
        """
        x0_hat = self.predict_x0(x_t, t, eps_hat)
        if clip_x0:
            x0_hat = x0_hat.clamp(-1, 1)
        mean, var = self.posterior(x0_hat, x_t, t)
        if t == 0 or noise is None:
            return mean, x0_hat
        return mean + var.sqrt() * noise, x0_hat

    def ddim_sigma(self, t: int, t_prev: int, eta: float) -> float:
        """sigma_t(eta) of DDIM eq. (16); eta = 1 on consecutive steps is the DDPM posterior std."""
        ab_t = self.alpha_bar[t].item()
        ab_prev = self.alpha_bar[t_prev].item() if t_prev >= 0 else 1.0
        return eta * math.sqrt((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev))

    def ddim_step(self, x_t: torch.Tensor, t: int, t_prev: int, eps_hat: torch.Tensor, eta: float = 0.0,
                  noise: torch.Tensor | None = None, clip_x0: bool = True):
        """DDIM update (Song et al. eq. 12) from step t to an earlier step t_prev (-1 means x_0).

        Returns (x_prev, x0_hat).
        """
        # 1. predicted x_0
        x0_hat = self.predict_x0(x_t, t, eps_hat)
        if clip_x0:
            x0_hat = x0_hat.clamp(-1, 1)
            eps_hat = self.predict_eps(x_t, t, x0_hat)  # keep eps consistent with the clipped x0
        # 2. sigma_t(eta) and the coefficients of eq. (12)
        ab_prev = self.alpha_bar[t_prev].item() if t_prev >= 0 else 1.0
        sigma = self.ddim_sigma(t, t_prev, eta)
        # 3. "direction pointing to x_t"
        dir_xt = math.sqrt(max(1 - ab_prev - sigma ** 2, 0.0)) * eps_hat
        x_prev = math.sqrt(ab_prev) * x0_hat + dir_xt
        # 4. random noise (only when eta > 0)
        if sigma > 0 and noise is not None:
            x_prev = x_prev + sigma * noise
        return x_prev, x0_hat

    # --- the probability-flow ODE (higher-order solvers) ----------------------------------------

    def ab_at(self, t: int) -> float:
        """alpha_bar at 0-based step t as a float; t = -1 is the clean data (alpha_bar = 1)."""
        return 1.0 if t < 0 else self.alpha_bar[t].item()

    def ode_sigma(self, t: int) -> float:
        """EDM's sigma_t = sqrt((1 - alpha_bar_t) / alpha_bar_t) (0 at t = -1): with x_bar = x / sqrt(alpha_bar)
        the probability-flow ODE is d x_bar / d sigma = eps(x, t), and DDIM (eta = 0) is its Euler step."""
        ab = self.ab_at(t)
        return math.sqrt((1 - ab) / ab)

    def dpm_solver_pp_step(self, x_t: torch.Tensor, t: int, t_prev: int, x0_hat: torch.Tensor,
                           x0_last: torch.Tensor | None = None, t_last: int | None = None):
        """DPM-Solver++(2M) (Lu et al. 2022, Alg. 2, the midpoint form of diffusers' DPMSolverMultistep)
        from step t to t_prev with x0_hat = the data prediction at t; x0_last is the one at the step
        before (t_last > t), None on the first step (then it is first order, the same as DDIM eta = 0).

            h = lambda_prev - lambda_t,  r = (lambda_t - lambda_last) / h
            D = (1 + 1/(2r)) x0_hat - 1/(2r) x0_last          (extrapolated from the last two x0_hat)
            x_prev = (sigma_prev / sigma_t) x_t - alpha_prev (exp(-h) - 1) D

        with alpha = sqrt(alpha_bar), sigma = sqrt(1 - alpha_bar). The step to the data (t_prev = -1,
        h infinite) is first order and lands on x0_hat, as DDIM's last step and diffusers' with
        final_sigmas_type="zero". Returns (x_prev, D)."""
        if t_prev < 0:
            return x0_hat, x0_hat
        h, D = self._dpm_solver_pp_d(t, t_prev, x0_hat, x0_last, t_last)
        ab_t, ab_prev = self.ab_at(t), self.ab_at(t_prev)
        x_prev = math.sqrt((1 - ab_prev) / (1 - ab_t)) * x_t - math.sqrt(ab_prev) * math.expm1(-h) * D
        return x_prev, D

    def dpm_solver_pp_sde_step(self, x_t: torch.Tensor, t: int, t_prev: int, x0_hat: torch.Tensor,
                               x0_last: torch.Tensor | None, t_last: int | None, noise: torch.Tensor | None):
        """SDE-DPM-Solver++(2M) (Lu et al. 2022, sec. 5; diffusers' algorithm_type="sde-dpmsolver++",
        midpoint): the same extrapolated D as `dpm_solver_pp_step`, solved along the reverse SDE, so part
        of x_t is forgotten and made up by fresh noise each step:

            x_prev = (sigma_prev / sigma_t) exp(-h) x_t + alpha_prev (1 - exp(-2h)) D
                     + sigma_prev sqrt(1 - exp(-2h)) z

        The first step (x0_last None) is first order, which is DDIM with eta = 1 (DDPM's posterior on
        its own grid); the step to the data (t_prev = -1) lands on x0_hat and takes no noise.
        Returns (x_prev, D)."""
        if t_prev < 0:
            return x0_hat, x0_hat
        if noise is None:
            raise ValueError("the SDE step needs noise for every step but the last")
        h, D = self._dpm_solver_pp_d(t, t_prev, x0_hat, x0_last, t_last)
        ab_t, ab_prev = self.ab_at(t), self.ab_at(t_prev)
        keep = -math.expm1(-2 * h)                                  # 1 - exp(-2h)
        x_prev = (math.sqrt((1 - ab_prev) / (1 - ab_t)) * math.exp(-h) * x_t + math.sqrt(ab_prev) * keep * D
                  + math.sqrt(1 - ab_prev) * math.sqrt(keep) * noise)
        return x_prev, D

    def _dpm_solver_pp_d(self, t: int, t_prev: int, x0_hat: torch.Tensor, x0_last: torch.Tensor | None,
                         t_last: int | None):
        """(h, D) of a DPM-Solver++(2M) step: h = lambda_prev - lambda_t and the data prediction
        extrapolated from the last two (x0_hat itself on the first step)."""
        lam = lambda u: self.lam(u).item()                          # = -log(ode_sigma(u))
        h = lam(t_prev) - lam(t)
        if x0_last is None:
            return h, x0_hat
        r = (lam(t) - lam(t_last)) / h
        return h, (1 + 0.5 / r) * x0_hat - (0.5 / r) * x0_last

    def timesteps(self, steps: int, start: int | None = None, spacing: str = "uniform") -> list[int]:
        """Descending steps for a sampler with `steps` network calls, from `start` down to 0, both ends
        included.

        start: the 0-based step to begin from (default T - 1, pure noise); a smaller start denoises
        a partly noised x_t (SDEdit-style), with at most start + 1 steps.
        spacing "uniform": evenly spaced in t (`linspace`, Lin et al. 2024's name). "karras": evenly
        spaced in ode_sigma ** (1 / 7) (Karras et al. 2022, rho = 7), each sigma taken to the nearest
        trained step by interpolating t in log sigma (diffusers' use_karras_sigmas): small steps near the
        data, where x0_hat changes fastest, large ones in the noise. The network is called at that
        integer step and the solvers use its own sigma (diffusers keeps the unrounded sigma instead).
        """
        check_spacing(spacing)
        start = self.T - 1 if start is None else start
        if not isinstance(start, int) or isinstance(start, bool) or not 0 <= start < self.T:
            raise ValueError(f"start must be an integer in 0..{self.T - 1}, got {start!r}")
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1 or steps > start + 1:
            raise ValueError(f"steps must be an integer in 1..{start + 1}, got {steps!r}")
        if steps == 1:
            return [start]
        if spacing == "karras":
            return self._karras_timesteps(steps, start)
        return [int(t) for t in np.round(np.linspace(start, 0, steps)).astype(int)]

    def step_at_sigma(self, sigma: float) -> int:
        """The trained 0-based step whose ode_sigma is nearest `sigma` in log (t interpolated in log sigma,
        rounded, clipped to 0..T-1): where a sampler that raised sigma calls the network."""
        log_sigma = 0.5 * (torch.log1p(-self.alpha_bar) - torch.log(self.alpha_bar)).numpy()   # rises with t
        return int(np.clip(np.round(np.interp(np.log(sigma), log_sigma, np.arange(self.T))), 0, self.T - 1))

    def _karras_timesteps(self, steps: int, start: int, rho: float = KARRAS_RHO) -> list[int]:
        log_sigma = 0.5 * (torch.log1p(-self.alpha_bar) - torch.log(self.alpha_bar)).numpy()   # rises with t
        s_max, s_min = np.exp(log_sigma[start]), np.exp(log_sigma[0])
        ramp = np.linspace(0, 1, steps)
        sigmas = (s_max ** (1 / rho) + ramp * (s_min ** (1 / rho) - s_max ** (1 / rho))) ** rho
        ts = np.round(np.interp(np.log(sigmas), log_sigma, np.arange(self.T))).astype(int)
        # many calls crowd several sigmas into one step near the data: keep the steps distinct (each
        # call at its own step), pushing collisions up from t = 0 and, past `start`, back down
        for i in range(steps - 2, -1, -1):
            ts[i] = max(ts[i], ts[i + 1] + 1)
        ts[0] = min(ts[0], start)
        for i in range(1, steps):
            ts[i] = min(ts[i], ts[i - 1] - 1)
        return [int(t) for t in ts]

"""The forward process, measured: walking the Markov chain q(x_t | x_{t-1}) step by step against
jumping straight to x_t with the closed form q(x_t | x_0). Plain functions on a NoiseSchedule.

Step convention follows `NoiseSchedule`: `forward_step(x, k, eps)` with 0-based k makes the paper's
x_{k+1} from x_k, so after k steps of the chain we hold the paper's x_k (x_0 is the clean image).
"""
from __future__ import annotations

import hashlib
import math

import numpy as np
import torch

from ..core.cache import cached, NPZ
from ..core.schedule import NoiseSchedule

KS_C_05 = 1.3581                 # two-sample Kolmogorov–Smirnov coefficient at the 5 % level


def walk_chain(schedule: NoiseSchedule, x0, steps: int | None = None, seed: int = 0) -> np.ndarray:
    """One chain x_0 -> x_1 -> ... -> x_steps through `forward_step`, fresh N(0, I) noise each step.

    Returns (steps + 1, *x0.shape) float64: row k is the paper's x_k (row 0 is x_0).
    """
    steps = schedule.T if steps is None else steps
    g = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(np.asarray(x0, dtype=np.float64))
    out = [x.numpy().copy()]
    for k in range(steps):
        x = schedule.forward_step(x, k, torch.randn(x.shape, generator=g, dtype=torch.float64))
        out.append(x.numpy().copy())
    return np.stack(out)


def closed_form(schedule: NoiseSchedule, x0, t: int, eps) -> np.ndarray:
    """The paper's x_t (1-based t; t = 0 is x_0) made in one jump: sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps."""
    if t == 0:
        return np.asarray(x0, dtype=np.float64).copy()
    x0 = torch.as_tensor(np.asarray(x0, dtype=np.float64))
    eps = torch.as_tensor(np.asarray(eps, dtype=np.float64))
    return schedule.add_noise(x0, t - 1, eps).numpy()


def two_step_kernel(schedule: NoiseSchedule, t: int):
    """q(x_t | x_{t-2}) for the paper's t >= 2, from merging two one-step Gaussians:

    x_t = sqrt(a_t a_{t-1}) x_{t-2} + sqrt(1 - a_t a_{t-1}) eps. Returns (mean coefficient, variance).
    """
    a_t, a_prev = schedule.alphas[t - 1].item(), schedule.alphas[t - 2].item()
    return math.sqrt(a_t * a_prev), 1.0 - a_t * a_prev


def snr_crossing(schedule: NoiseSchedule) -> int:
    """The first paper step t (1-based) at which SNR = alpha_bar / (1 - alpha_bar) falls below 1,
    i.e. where sqrt(alpha_bar) and sqrt(1 - alpha_bar) cross."""
    below = np.nonzero(schedule.snr().numpy() < 1.0)[0]
    if len(below) == 0:
        raise ValueError(f"SNR never drops below 1 in {schedule}")
    return int(below[0]) + 1


def ks_2samp_statistic(a, b) -> float:
    """Two-sample Kolmogorov–Smirnov statistic D = sup |F_a - F_b| (exact, from the sorted samples)."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def ks_critical(n: int, m: int, c: float = KS_C_05) -> float:
    """D above which two samples of sizes n and m differ at the 5 % level (asymptotic)."""
    return c * math.sqrt((n + m) / (n * m))


def standard_normal(shape, gen: torch.Generator) -> torch.Tensor:
    """N(0, 1) draws in float64 for the chain comparison, drawn in float32: torch draws float32 normals
    about 5x faster on a CPU, and the statistics compared are far coarser than float32's resolution."""
    return torch.randn(shape, generator=gen, dtype=torch.float32).double()


def chain_vs_closed_form(schedule: NoiseSchedule, x0, ts, n_chains: int = 500, seed: int = 0) -> dict:
    """Walk `n_chains` independent chains from x0 and, at each paper step t in `ts`, compare their
    x_t with `n_chains` independent closed-form draws add_noise(x0, t, eps).

    Returns arrays indexed like ts:
      chain_mean, jump_mean, theory_mean — mean over chains and pixels (theory: sqrt(ab_t) * mean(x0))
      chain_var, jump_var, theory_var    — variance over chains, averaged over pixels (theory: 1 - ab_t)
      ks, ks_crit                        — two-sample KS statistic between the pooled pixel values of
                                           the two methods, and its 5 % critical value
      ks_wrong                           — for scale: KS of the chain against a wrong closed form with the
                                           square roots dropped, ab_t x_0 + (1 - ab_t) eps (same eps)
    """
    ts = [int(t) for t in ts]
    if not ts or min(ts) < 1 or max(ts) > schedule.T:
        raise ValueError(f"ts must lie in 1..{schedule.T}, got {ts}")
    x0 = torch.as_tensor(np.asarray(x0, dtype=np.float64))
    g_chain = torch.Generator().manual_seed(seed)
    g_jump = torch.Generator().manual_seed(seed + 1_000_003)
    x = x0.expand(n_chains, *x0.shape).clone()
    wanted = set(ts)
    rows = {}
    for k in range(max(ts)):
        x = schedule.forward_step(x, k, standard_normal(x.shape, g_chain))
        t = k + 1
        if t in wanted:
            eps = standard_normal(x.shape, g_jump)
            jump = schedule.add_noise(x0.expand_as(x), k, eps)
            ab = schedule.alpha_bar[k].item()
            wrong = ab * x0 + (1 - ab) * eps
            rows[t] = _stats(schedule, x0, t, x.numpy(), jump.numpy(), wrong.numpy())
    keys = rows[ts[0]].keys()
    out = {key: np.array([rows[t][key] for t in ts]) for key in keys}
    out["t"] = np.array(ts)
    out["n_chains"] = np.array(n_chains)
    return out


def _stats(schedule, x0, t, chain, jump, wrong) -> dict:
    ab = schedule.alpha_bar[t - 1].item()
    n = chain.size
    return dict(
        chain_mean=float(chain.mean()), jump_mean=float(jump.mean()),
        theory_mean=math.sqrt(ab) * float(x0.mean()),
        chain_var=float(chain.var(axis=0, ddof=1).mean()), jump_var=float(jump.var(axis=0, ddof=1).mean()),
        theory_var=1.0 - ab,
        ks=ks_2samp_statistic(chain, jump), ks_crit=ks_critical(n, n), ks_wrong=ks_2samp_statistic(chain, wrong),
    )


def cached_chain_vs_closed_form(schedule: NoiseSchedule, x0, ts, n_chains: int = 500, seed: int = 0) -> dict:
    """chain_vs_closed_form, computed once per (schedule, image, ts, n_chains, seed) and cached."""
    x0 = np.ascontiguousarray(np.asarray(x0, dtype=np.float64))
    spec = dict(kind="chain_vs_closed_form", stats=3, schedule=schedule.name, T=schedule.T, ts=[int(t) for t in ts],
                n_chains=n_chains, seed=seed, image=hashlib.sha256(x0.tobytes()).hexdigest()[:16],
                shape=list(x0.shape))
    return cached("forward", "", spec, lambda: chain_vs_closed_form(schedule, x0, ts, n_chains, seed), NPZ)

"""Measuring the 2D model against the truth: distances between point clouds, the learned field's error.

Sample quality: sliced Wasserstein-1 (SW1, mean over seeded random directions of the 1D W1 of the
projections) and the energy distance, between samples and exact draws from the mixture; the floor
is the same distance between two independent exact sets of the same size (finite-sample noise).
Field error: eps_hat - eps* at exact draws x ~ q(x_t), and on a grid over the plane to see where it is.
"""
from __future__ import annotations


import numpy as np
import torch

from ...core.cache import cached, JSON, NPZ
from ...core.schedule import NoiseSchedule
from .flow import sample_toy2d
from .mixture import Spiral, alpha_bar_at, exact_eps, log_density, sample_marginal


def sliced_wasserstein(a, b, n_proj: int = 256, seed: int = 0) -> float:
    """SW1 between two equal-size point clouds (N, D): mean over n_proj seeded unit directions of the
    1D Wasserstein-1 distance of the projections (sorted, paired)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"sliced_wasserstein needs equal shapes, got {a.shape} and {b.shape}")
    dirs = np.random.default_rng(seed).normal(size=(a.shape[1], n_proj))
    dirs /= np.linalg.norm(dirs, axis=0)
    return float(np.abs(np.sort(a @ dirs, axis=0) - np.sort(b @ dirs, axis=0)).mean())


def energy_distance(a, b) -> float:
    """Energy distance 2 E|X - Y| - E|X - X'| - E|Y - Y'| (V-statistic; 0 iff same distribution)."""
    a, b = torch.as_tensor(np.asarray(a), dtype=torch.float64), torch.as_tensor(np.asarray(b), dtype=torch.float64)
    return float(2 * torch.cdist(a, b).mean() - torch.cdist(a, a).mean() - torch.cdist(b, b).mean())


def distances_to_mixture(x, mix: Spiral, seed: int = 10_000) -> dict:
    """SW1 and energy distance between samples x (N, 2) and N exact draws of the data."""
    ref = sample_marginal(mix, NoiseSchedule(), -1, len(x), seed=seed)
    return dict(sw1=sliced_wasserstein(x, ref), energy=energy_distance(x, ref))


def floor(mix: Spiral, n: int, seed: int = 20_000) -> dict:
    """The distances of a perfect sampler: n exact draws (another seed) against the reference set."""
    return distances_to_mixture(sample_marginal(mix, NoiseSchedule(), -1, n, seed=seed), mix)


# DDPM at 50 and 100 steps (respaced: the DDIM update with eta = 1) beside DDIM at the same counts: why
# DDIM can skip steps is a comparison at equal network calls
QUALITY_RUNS = (("ddpm", 1000), ("ddpm", 100), ("ddpm", 50), ("ddim", 5), ("ddim", 10), ("ddim", 20), ("ddim", 50),
                ("ddim", 100))


def quality_vs_steps(tm, n: int = 4000, seed: int = 0, runs=QUALITY_RUNS, exact: bool = True) -> list[dict]:
    """Distance to the mixture for each (sampler, steps) from the same x_T, for the trained model and
    (exact=True) for the exact eps* through the same sampler, which separates the discretisation error
    (steps) from the network's error. Rows: sampler, steps, model, sw1, energy."""
    from .mixture import ExactEps

    rows = []
    for sampler, steps in runs:
        models = [("network", None)] + ([("exact", ExactEps(tm.config.mixture, tm.schedule))] if exact else [])
        for name, model in models:
            x = sample_toy2d(tm, n, seed, sampler, steps, record=False, model=model).numpy()
            rows.append(dict(sampler=sampler, steps=steps, model=name, **distances_to_mixture(x, tm.config.mixture)))
    return rows


def get_quality_vs_steps(tm, n: int = 4000, seed: int = 0) -> dict:
    """Cached `quality_vs_steps` plus the floor, as {rows, floor, n} (what the bench prints and the
    ProbabilityFlow scene plots)."""
    spec = dict(model=tm.key, kind="toy2d-quality", n=n, seed=seed, runs=QUALITY_RUNS)
    build = lambda: dict(n=n, rows=quality_vs_steps(tm, n, seed), floor=floor(tm.config.mixture, n))
    return cached("inspect", "toy2d-quality", spec, build, JSON)


@torch.inference_mode()
def field_error(tm, ts, n: int = 4000, seed: int = 0) -> dict:
    """Error of the learned eps against eps* at exact draws x ~ q(x_t), for each 0-based step in ts:
    mse = E|eps_hat - eps*|^2 (per point, summed over both coordinates), rel = mse / E|eps*|^2,
    score_rmse = sqrt(mse) / sqrt(1 - ab_t): the same error in units of the score."""
    out = dict(t=[], mse=[], rel=[], score_rmse=[])
    for t in ts:
        x = torch.from_numpy(sample_marginal(tm.config.mixture, tm.schedule, int(t), n, seed=seed + int(t)))
        e_star = exact_eps(tm.config.mixture, tm.schedule, x.double(), int(t))
        e_hat = tm.model(x, torch.full((n,), int(t))).double()
        mse = float(((e_hat - e_star) ** 2).sum(1).mean())
        out["t"].append(int(t)); out["mse"].append(mse)
        out["rel"].append(mse / float((e_star ** 2).sum(1).mean()))
        out["score_rmse"].append(float(np.sqrt(mse / (1 - alpha_bar_at(tm.schedule, int(t))))))
    return {k: np.array(v) for k, v in out.items()}


def grid_points(lim: float, n: int) -> np.ndarray:
    """An n x n grid over [-lim, lim]^2 as (n*n, 2), row-major from the bottom-left (y outer, x inner)."""
    u = np.linspace(-lim, lim, n)
    gx, gy = np.meshgrid(u, u)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


@torch.inference_mode()
def fields_on_grid(tm, ts, lim: float = 2.6, n: int = 17) -> dict:
    """Learned and exact eps on a grid at each 0-based step in ts: {points (G, 2), t (S,),
    eps_hat (S, G, 2), eps_star (S, G, 2), log_q (S, G)} — the arrows of the ScoreField scene."""
    pts = grid_points(lim, n)
    x = torch.from_numpy(pts)
    hat, star, logq = [], [], []
    for t in ts:
        hat.append(tm.model(x.float(), torch.full((len(pts),), int(t))).double().numpy())
        star.append(exact_eps(tm.config.mixture, tm.schedule, x, int(t)).numpy())
        logq.append(log_density(tm.config.mixture, x, alpha_bar_at(tm.schedule, int(t))).numpy())
    return dict(points=pts, t=np.array([int(t) for t in ts]), eps_hat=np.stack(hat), eps_star=np.stack(star),
                log_q=np.stack(logq))


def get_fields_on_grid(tm, ts, lim: float = 2.6, n: int = 17) -> dict:
    """Cached `fields_on_grid`."""
    spec = dict(model=tm.key, kind="toy2d-fields", ts=[int(t) for t in ts], lim=lim, n=n)
    return cached("inspect", "toy2d-fields", spec, lambda: fields_on_grid(tm, ts, lim, n), NPZ)


def error_by_density(fields: dict, mass: float = 0.9) -> dict:
    """Where the field is wrong: for each t of `fields_on_grid`, the mean |eps_hat - eps*| over grid
    points inside the region holding `mass` of q_t's grid mass (high density) and outside it (low)."""
    err = np.linalg.norm(fields["eps_hat"] - fields["eps_star"], axis=-1)          # (S, G)
    inside, outside = [], []
    for e, lq in zip(err, fields["log_q"]):
        p = np.exp(lq - lq.max())
        order = np.argsort(-p)
        cum = np.cumsum(p[order]) / p.sum()
        mask = np.zeros(len(p), bool)
        mask[order[: int(np.searchsorted(cum, mass)) + 1]] = True
        inside.append(float(e[mask].mean())); outside.append(float(e[~mask].mean()) if (~mask).any() else np.nan)
    return dict(t=fields["t"], high_density=np.array(inside), low_density=np.array(outside))


def get_field_error(tm, ts, n: int = 4000) -> dict:
    """Cached `field_error` (arrays as lists)."""
    spec = dict(model=tm.key, kind="toy2d-field-error", ts=list(ts), n=n)
    build = lambda: {k: v.tolist() for k, v in field_error(tm, ts, n).items()}
    return {k: np.array(v) for k, v in cached("inspect", "toy2d-field-error", spec, build, JSON).items()}


def tweedie_check(tm, ts, lim: float, n_grid: int, n: int = 50_000, seed: int = 3) -> dict:
    """E[eps | x_t] by Monte Carlo (mixture.tweedie_eps_mc: no score, no closed form of q_t) on a grid at
    the 0-based steps ts, beside the exact eps* there. Cached. Returns {t, eps_mc, se, ess, eps_star},
    arrays stacked over t."""
    from .mixture import exact_eps_ab, tweedie_eps_mc

    spec = dict(kind="toy2d-tweedie", mixture=repr(tm.config.mixture), schedule=tm.schedule.name, T=tm.schedule.T,
                ts=[int(t) for t in ts], lim=lim, n_grid=n_grid, n=n, seed=seed)
    pts = grid_points(lim, n_grid)

    def build():
        out = dict(t=[], eps_mc=[], se=[], ess=[], eps_star=[])
        for t in ts:
            ab = alpha_bar_at(tm.schedule, int(t))
            r = tweedie_eps_mc(tm.config.mixture, pts, ab, n=n, seed=seed)
            out["t"].append(int(t)); out["eps_mc"].append(r["eps"]); out["se"].append(r["se"]); out["ess"].append(r["ess"])
            out["eps_star"].append(exact_eps_ab(tm.config.mixture, torch.as_tensor(pts, dtype=torch.float64), ab).numpy())
        return {k: np.asarray(v) for k, v in out.items()}

    return cached("inspect", "toy2d-tweedie", spec, build, NPZ)

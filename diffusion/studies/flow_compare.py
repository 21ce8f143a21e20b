"""The diffusion ODE and the flow, measured side by side on the same data, the same network size and the
same starting noise: how straight the particles' paths are and how good few-step samples are.

Straightness of a path x(0..S) (noise to data) is |x_S - x_0| / sum_k |x_{k+1} - x_k|: 1 for a straight
line (then one Euler step is exact), smaller the more it bends; we report its mean over particles, the
paths drawn with many small steps. Few-step quality on the 2D spiral is the sliced Wasserstein-1
distance (SW1) of the samples to exact data draws, next to the floor (two exact sets of the same size).
Each family runs its own sampler of the one loop: DDIM with eta = 0 (Euler of the probability-flow ODE
in sigma = sqrt(1 - ab) / sqrt(ab)) for the diffusion, Euler over t for the flow; the exact fields of
both (eps* and u) run through the same samplers, which separates the discretisation from the network.
"""
from __future__ import annotations


import numpy as np
import torch

from ..core.cache import cached, JSON
from ..core.path import FlowPath
from ..core.sample import sample

NFES = (1, 2, 5, 10, 20)
PATH_STEPS = 200                    # network calls of the finely stepped paths that straightness reads


def straightness(xs) -> np.ndarray:
    """Per particle |x_S - x_0| / (path length) for paths xs of shape (S+1, N, D); 1 = a straight line."""
    xs = np.asarray(xs, dtype=np.float64)
    length = np.linalg.norm(np.diff(xs, axis=0), axis=-1).sum(0)
    chord = np.linalg.norm(xs[-1] - xs[0], axis=-1)
    return chord / np.maximum(length, 1e-300)


def ode_sampler(schedule) -> str:
    """The deterministic first-order sampler of a family: Euler over t on a flow, DDIM eta = 0 otherwise."""
    return "euler" if isinstance(schedule, FlowPath) else "ddim"


def exact_model(tm):
    """The exact field of a 2D model's family: u_t for the flow, eps* for the diffusion; None where the
    model's coupling has no closed form (a reflowed flow)."""
    if not getattr(tm.recipe, "exact_field", True):
        return None
    if isinstance(tm.schedule, FlowPath):
        from ..models.toy2d_fm.velocity import ExactVelocity

        return ExactVelocity(tm.config.mixture, tm.schedule)
    from ..models.toy2d.mixture import ExactEps

    return ExactEps(tm.config.mixture, tm.schedule)


def run(tm, model, n: int, seed: int, nfe: int, record: bool, sampler: str | None = None):
    """The family's first-order ODE sampler (or `sampler`, e.g. heun) from tm.noise(n, seed) with `model`
    (None: the network), on one thread."""
    from ..models.toy2d.flow import one_thread

    x_T = tm.noise(n, seed)
    if model is not None:
        x_T = x_T.double()
    with one_thread():
        return sample(model or tm.model, tm.schedule, x_T, sampler or ode_sampler(tm.schedule), nfe, record=record,
                      clip_x0=False)


def toy2d_measure(tm, n: int = 4000, seed: int = 0, nfes=NFES, n_paths: int = 1000) -> dict:
    """{straightness: {network, exact}: mean over n_paths particles of PATH_STEPS-call paths,
    rows: [{sampler, nfe, model, sw1, energy}] for the first-order sampler and Heun (from NFE 2),
    floor: {sw1, energy}, n}."""
    from ..models.toy2d.measure import distances_to_mixture, floor

    mix = tm.config.mixture
    out = dict(n=n, seed=seed, path_steps=PATH_STEPS, straightness={}, rows=[], floor=floor(mix, n))
    exact = exact_model(tm)
    for name, model in (("network", None),) + ((("exact", exact),) if exact is not None else ()):
        xs = run(tm, model, n_paths, seed, PATH_STEPS, record=True).x
        out["straightness"][name] = float(straightness(xs).mean())
        for sampler in (ode_sampler(tm.schedule), "heun"):
            for nfe in nfes:
                if sampler == "heun" and nfe < 2:
                    continue                                  # one call is one Euler step
                x = run(tm, model, n, seed, nfe, record=False, sampler=sampler).numpy()
                out["rows"].append(dict(sampler=sampler, nfe=nfe, model=name, **distances_to_mixture(x, mix)))
    return out


def get_toy2d_measure(tm, n: int = 4000, seed: int = 0) -> dict:
    """Cached `toy2d_measure` of one trained 2D model (toy2d or toy2d-fm)."""
    spec = dict(model=tm.key, name=tm.name, kind="flow-compare", n=n, seed=seed, nfes=NFES, steps=PATH_STEPS,
                samplers="first-order+heun")
    return cached("inspect", "flow-compare", spec, lambda: toy2d_measure(tm, n, seed), JSON)


def digits_measure(tm, nfes=NFES, seeds=None, n: int = 1000) -> list[dict]:
    """The digits bench's Fréchet ratio (mean and min-max over the x_T seeds) at each NFE for a digits
    model of either family, with its own ODE sampler (DDIM keeps its x0_hat clipping, as the bench)."""
    from ..models.digits.classifier import QUALITY_SEEDS, model_quality

    rows = []
    for nfe in nfes:
        q = model_quality(tm.model, tm.schedule, seeds or QUALITY_SEEDS, n=n, sampler=ode_sampler(tm.schedule),
                          steps=nfe, image_size=tm.config.image_size)
        rows.append(dict(nfe=nfe, **{k: v for k, v in q.items() if not isinstance(v, dict)}))
    return rows


def flow_euler_at_diffusion_times(mix, schedule, x_T: torch.Tensor, nfe: int, time_map=None) -> torch.Tensor:
    """Euler over t with the exact flow velocity u_t, stepping at the flow times whose SNR matches DDIM's
    `nfe` steps on `schedule` (s_k = flow_time_at(alpha_bar_k), then 0), from the matched start c_0 x_T.
    The result equals DDIM eta = 0 with the exact eps* from x_T (the two are one ODE; only the clock differs).
    time_map: alpha_bar -> flow time (default flow_time_at; another map is what the tests check fails)."""
    from ..core.ode import euler_step
    from ..core.path import flow_scale, flow_time_at
    from ..models.toy2d_fm.velocity import exact_velocity

    ab = np.array([schedule.alpha_bar[t].item() for t in schedule.timesteps(nfe)] + [1.0])
    s = (time_map or flow_time_at)(ab)
    x = float(flow_scale(ab[0])) * x_T.double()
    for a, b in zip(s, s[1:]):
        x = euler_step(x, float(a), float(b), exact_velocity(mix, x, float(a)))
    return x


def same_ode_check(tm, nfe: int = 5, n: int = 4000, seed: int = 0, time_map=None) -> dict:
    """DDIM with eps* on a diffusion model's schedule against `flow_euler_at_diffusion_times` from the same
    x_T: the largest difference of the samples (float64 round-off when the two are one ODE)."""
    from ..models.toy2d.mixture import ExactEps

    x_T = tm.noise(n, seed).double()
    y = run(tm, ExactEps(tm.config.mixture, tm.schedule), n, seed, nfe, record=False)
    x = flow_euler_at_diffusion_times(tm.config.mixture, tm.schedule, x_T, nfe, time_map)
    return dict(nfe=nfe, max_abs_diff=float((x - y).abs().max()), scale=float(y.abs().max()))

"""Why a better ODE solver needs fewer network calls, measured (the FewerSteps scene reads this).

- `particle_runs`: the same particles from the same x_T on the 2D spiral, with the exact eps* (so the
  only error is the solver's), run by DDIM (Euler), Heun and DPM-Solver++(2M) at a handful of calls,
  and the probability-flow ODE solved accurately (scipy RK45) at many points between: every solver
  state, each step's parts (Heun's Euler guess, DPM-Solver++'s x0_hat and extrapolated D).
- `order_curves`: the median distance at t = 0 to the RK45 solution against the number of calls, for
  each solver, and the log-log slopes over the larger counts (the order of the method).
- `digits_at`: digits from one x_T at a few calls under each solver, and the same x_T's ODE solved
  with DDIM over 500 steps as the reference each is compared with (trained U-Net).
"""
from __future__ import annotations

import json

import numpy as np
import torch

from ..core.cache import cache_dir, config_key, get_or_build
from ..core.sample import sample_steps
from ..core.schedule import NoiseSchedule

SOLVERS = ("ddim", "heun", "dpm++2m")
ORDER_NFES = (5, 10, 20, 50, 100, 200, 400, 800)
SLOPE_FROM = 100          # the fit uses NFE >= this (asymptotic range; tests/test_solver_oracles.py)


def _run(model, schedule, x_T, sampler, nfe):
    """Every Step of one run as numpy arrays, plus DPM-Solver++'s extrapolated D per step."""
    st = list(sample_steps(model, schedule, x_T, sampler, nfe, clip_x0=False))
    out = dict(t=np.array([s.t for s in st]), t_prev=np.array([s.t_prev for s in st]),
               stage=[s.stage for s in st], x_t=np.stack([s.x_t.numpy() for s in st]),
               x_prev=np.stack([s.x_prev.numpy() for s in st]), x0_hat=np.stack([s.x0_hat.numpy() for s in st]),
               eps_hat=np.stack([s.eps_hat.numpy() for s in st]))
    if sampler == "dpm++2m":
        D = []
        for k, s in enumerate(st):
            last = (st[k - 1].x0_hat, st[k - 1].t) if k else (None, None)
            D.append(schedule.dpm_solver_pp_step(s.x_t, s.t, s.t_prev, s.x0_hat, *last)[1].numpy())
        out["D"] = np.stack(D)
    return out


def particle_runs(mix, schedule: NoiseSchedule, n: int = 24, seed: int = 3, nfe: int = 7) -> dict:
    """{sampler: run} for the exact eps* from x_T = N(0, I) (seed), and "ode": RK45 states at 200 steps
    evenly spaced in t (dense, to draw the exact path) and "ode_t" those steps; float64."""
    from ..models.toy2d.flow import exact_eps_fn, ode_sample, one_thread
    from ..models.toy2d.mixture import ExactEps

    x_T = torch.randn((n, 2), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    model = ExactEps(mix, schedule)
    with one_thread():
        out = {s: _run(model, schedule, x_T, s, nfe) for s in SOLVERS}
        ode_t = sorted({*schedule.timesteps(200), *[int(t) for s in SOLVERS for t in out[s]["t"]]}, reverse=True)
        out["ode_t"] = np.array(ode_t + [-1])
        out["ode"] = ode_sample(exact_eps_fn(mix), schedule, x_T, out["ode_t"], rtol=1e-9, atol=1e-9)
    out["x_T"], out["nfe"] = x_T.numpy(), nfe
    return out


def order_curves(mix, schedule: NoiseSchedule, nfes=ORDER_NFES, n: int = 64, seed: int = 0) -> dict:
    """{sampler: median distance at t = 0 to RK45 per NFE}, and {sampler: slope} of the log-log fit over
    NFE >= SLOPE_FROM (positive: the error falls as NFE^-slope)."""
    from ..models.toy2d.flow import exact_eps_fn, ode_sample, one_thread
    from ..models.toy2d.mixture import ExactEps

    x = torch.randn((n, 2), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    ref = ode_sample(exact_eps_fn(mix), schedule, x, [0], rtol=1e-10, atol=1e-10)[0]
    model = ExactEps(mix, schedule)
    err = {}
    with one_thread():
        for s in SOLVERS:
            err[s] = [error_at_t0(model, schedule, x, ref, s, k) for k in nfes]
    return dict(nfes=list(nfes), error=err, slopes=slopes(nfes, err))


def error_at_t0(model, schedule, x, ref, sampler, nfe) -> float:
    """Median distance of the state at t = 0 (before the last step, to the data) to `ref`."""
    for st in sample_steps(model, schedule, x, sampler, nfe, clip_x0=False):
        if st.t_prev == -1:
            return float(np.median(np.linalg.norm(st.x_t.numpy() - ref, axis=-1)))


def slopes(nfes, err: dict, start: int = SLOPE_FROM) -> dict:
    keep = [i for i, k in enumerate(nfes) if k >= start]
    x = np.log(np.asarray(nfes, dtype=float)[keep])
    return {s: float(-np.polyfit(x, np.log(np.asarray(e)[keep]), 1)[0]) for s, e in err.items()}


def digits_at(tm, nfes=(10,), n: int = 8, seed: int = 11, ref_steps: int = 500) -> dict:
    """Digits from x_T = tm.noise(n, seed) under each solver at each NFE, and the reference: DDIM over
    `ref_steps` steps (the ODE solved finely). {"ref": (n, 8, 8), (sampler, nfe): (n, 8, 8),
    "dist": {(sampler, nfe): mean RMS pixel distance to ref}}."""
    from ..core.sample import sample

    x_T = tm.noise(n, seed)
    run = lambda s, k: sample(tm.model, tm.schedule, x_T, s, k, record=False).numpy()
    out = {"ref": run("ddim", ref_steps)}
    for s in SOLVERS:
        for k in nfes:
            out[(s, k)] = run(s, k)
    out["dist"] = {key: float(np.sqrt(((v - out["ref"]) ** 2).mean(axis=(1, 2, 3))).mean())
                   for key, v in out.items() if isinstance(key, tuple)}
    return out


# --- cached, for the scene ---------------------------------------------------------------------

def _npz_bytes(d: dict) -> bytes:
    import io
    buf = io.BytesIO()
    flat = {}
    for k, v in d.items():
        flat[k if isinstance(k, str) else "|".join(map(str, k))] = v
    np.savez(buf, payload=np.array(json.dumps(_jsonable(flat))))
    return buf.getvalue()


def _jsonable(v):
    if isinstance(v, dict):
        return {("|".join(map(str, k)) if isinstance(k, tuple) else k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, np.ndarray):
        return {"__array__": v.tolist(), "dtype": str(v.dtype)}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _restore(v):
    if isinstance(v, dict):
        if "__array__" in v:
            return np.array(v["__array__"], dtype=v["dtype"])
        return {(tuple(_key(p) for p in k.split("|")) if "|" in k else k): _restore(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_restore(x) for x in v]
    return v


def _key(p: str):
    return int(p) if p.lstrip("-").isdigit() else p


def _from_bytes(b: bytes) -> dict:
    import io
    return _restore(json.loads(str(np.load(io.BytesIO(b))["payload"])))


def cached(name: str, spec: dict, build):
    path = cache_dir() / "inspect" / f"solvers-{name}-{config_key(spec)}.npz"
    return get_or_build(path, build, lambda d: _npz_bytes(d), _from_bytes)


def get_particle_runs(tm, n: int = 24, seed: int = 3, nfe: int = 7) -> dict:
    spec = dict(kind="particles", mix=repr(tm.config.mixture), schedule=repr(tm.schedule), n=n, seed=seed, nfe=nfe)
    return cached("particles", spec, lambda: particle_runs(tm.config.mixture, tm.schedule, n, seed, nfe))


def get_order_curves(tm) -> dict:
    spec = dict(kind="order", mix=repr(tm.config.mixture), schedule=repr(tm.schedule), nfes=ORDER_NFES)
    return cached("order", spec, lambda: order_curves(tm.config.mixture, tm.schedule))


def get_digits_at(tm, nfes=(10,), n: int = 8, seed: int = 11) -> dict:
    spec = dict(kind="digits", model=tm.key, nfes=list(nfes), n=n, seed=seed)
    return cached("digits", spec, lambda: digits_at(tm, nfes, n, seed))

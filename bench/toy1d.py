"""Benchmark: does the 1D model sample the mixture? Prints a table, writes bench/results/toy1d.json.

    PYTHONPATH=. python bench/toy1d.py            # default preset ($DIFFUSION_PRESET)

Bounds (the run fails if any is missed):
- 1-Wasserstein between 5000 model samples and the true mixture <= W1_BOUND for DDPM (1000 steps)
  and DDIM (100 steps) (for scale: 5000 exact samples of the mixture itself sit at about 0.02, the distance between the
  two modes is 3.5);
- each mode's weight within WEIGHT_TOL of the true weight (3 binomial standard errors at n = 5000);
- the DDPM particles at intermediate steps match the closed-form q(x_t) within W1_BOUND.
DDIM with 20 steps is reported without a bound: its error is discretisation, which the exact eps
(closed form, no network) run through the same sampler shows too.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from diffusion.core.cache import atomic_write_bytes
from diffusion.core.sample import sample
from diffusion.models.toy1d.mixture import (ExactEps, get_toy1d_model, mode_weights, sample_marginal, sample_toy1d,
                             wasserstein1)

W1_BOUND = 0.06
WEIGHT_TOL = 0.02
N = 5000
SAMPLERS = [("ddpm", 1000), ("ddim", 100), ("ddim", 20)]
PER_T = (999, 799, 499, 199, 49)
OUT = Path(__file__).parent / "results" / "toy1d.json"


def main() -> int:
    tm = get_toy1d_model()
    mix, sched = tm.config.mixture, tm.schedule
    rows, ok = [], True

    def row(name, x, seconds, bounded=True):
        nonlocal ok
        w1 = wasserstein1(x, mix)
        mw = mode_weights(x, mix)
        err = float(np.abs(mw - np.array(mix.weights)).max())
        passed = (w1 <= W1_BOUND and err <= WEIGHT_TOL) if bounded else None
        ok &= passed is not False
        rows.append(dict(name=name, n=len(x), w1=w1, mode_weights=mw.tolist(), weight_error=err,
                         seconds=seconds, passed=passed))

    row("mixture itself (sampling floor)", sample_marginal(mix, sched, -1, N, seed=123), 0.0, bounded=False)
    ddpm_traj = None
    for sampler, steps in SAMPLERS:
        t0 = time.perf_counter()
        if sampler == "ddpm":
            ddpm_traj = sample_toy1d(tm, N, seed=0, sampler=sampler, steps=steps)
            x = ddpm_traj.final[:, 0]
        else:
            x = sample_toy1d(tm, N, seed=0, sampler=sampler, steps=steps, record=False)[:, 0].numpy()
        row(f"model {sampler} {steps} steps", x, time.perf_counter() - t0, bounded=steps >= 100)
    for sampler, steps in SAMPLERS[1:]:
        x_T = tm.noise(N, 0)
        x = sample(ExactEps(mix, sched), sched, x_T, sampler, steps, record=False, clip_x0=False)[:, 0].numpy()
        row(f"exact eps {sampler} {steps} steps", x, 0.0, bounded=False)

    # the reverse process should pass through q(x_t) at every t: DDPM particles vs the closed form
    per_t = []
    for t in PER_T:
        k = list(ddpm_traj.timesteps).index(t)
        w1 = wasserstein1(ddpm_traj.x[k][:, 0], mix, sched, t)
        per_t.append(dict(t=t + 1, w1=w1, passed=w1 <= W1_BOUND))
        ok &= w1 <= W1_BOUND

    print(f"toy1d model {tm.key}: {len(tm.history['loss'])} steps, trained in {tm.history['seconds'][-1]:.1f}s, "
          f"final loss (mean of last 200) {np.mean(tm.history['loss'][-200:]):.4f}")
    print(f"mixture weights {mix.weights}, means {mix.means}, stds {mix.stds}; "
          f"bounds: W1 <= {W1_BOUND}, |weight error| <= {WEIGHT_TOL}")
    print(f"{'samples':<34}{'n':>6}{'W1':>9}{'weights':>18}{'max err':>9}{'sec':>7}  pass")
    for r in rows:
        w = "/".join(f"{v:.3f}" for v in r["mode_weights"])
        p = {True: "yes", False: "NO", None: "-"}[r["passed"]]
        print(f"{r['name']:<34}{r['n']:>6}{r['w1']:>9.4f}{w:>18}{r['weight_error']:>9.4f}{r['seconds']:>7.1f}  {p}")
    print("DDPM particles at step t vs closed-form q(x_t): " +
          ", ".join(f"t={r['t']}: {r['w1']:.4f}" for r in per_t))
    result = dict(model=tm.key, config=tm.config.to_dict(), train_seconds=tm.history["seconds"][-1],
                  bounds=dict(w1=W1_BOUND, weight_tol=WEIGHT_TOL), rows=rows, per_t=per_t, passed=bool(ok))
    atomic_write_bytes(OUT, json.dumps(result, indent=2).encode())
    print(f"wrote {OUT}; {'all bounds met' if ok else 'BOUNDS MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

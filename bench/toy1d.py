"""Does the 1D model sample the mixture? Writes bench/reports/toy1d.md (and bench/results/toy1d.json).

    python -m bench.toy1d            # default preset ($DIFFUSION_PRESET)

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

import argparse
import time

import numpy as np

from bench.report import Report, save_json
from diffusion.core.sample import sample
from diffusion.core.presets import active_preset
from diffusion.models import get_model
from diffusion.models.toy1d.mixture import (ExactEps, mode_weights, sample_marginal, sample_toy1d,
                             wasserstein1)

W1_BOUND = 0.06
WEIGHT_TOL = 0.02
N = 5000
SAMPLERS = [("ddpm", 1000), ("ddim", 100), ("ddim", 20)]
PER_T = (999, 799, 499, 199, 49)


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    tm = get_model("toy1d", active_preset())
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

    rep = Report("toy1d", "The 1D mixture model against its exact truth", argv=argv)
    rep.text(f"Model {tm.key}: {len(tm.history['loss'])} steps, trained in {tm.history['seconds'][-1]:.1f} s, "
             f"final loss (mean of last 200) {np.mean(tm.history['loss'][-200:]):.4f}. Mixture weights "
             f"{mix.weights}, means {mix.means}, stds {mix.stds}; bounds: W1 <= {W1_BOUND}, |weight error| <= "
             f"{WEIGHT_TOL}. {N} samples per row from the same x_T.")
    rep.table(["samples", "n", "W1", "mode weights", "max weight error", "seconds", "pass"],
              [[r["name"], r["n"], f"{r['w1']:.4f}", "/".join(f"{v:.3f}" for v in r["mode_weights"]),
                f"{r['weight_error']:.4f}", f"{r['seconds']:.1f}", {True: "yes", False: "NO", None: "-"}[r["passed"]]]
               for r in rows])
    rep.table(["t", "W1 of DDPM particles vs closed-form q(x_t)", "pass"],
              [[r["t"], f"{r['w1']:.4f}", "yes" if r["passed"] else "NO"] for r in per_t])
    for r in rows:
        if r["passed"] is not None:
            rep.check(f"{r['name']}: W1, max weight error", f"{r['w1']:.4f}, {r['weight_error']:.4f}",
                      f"<= {W1_BOUND}, <= {WEIGHT_TOL}", r["passed"])
    for r in per_t:
        rep.check(f"DDPM particles at t={r['t']} vs q(x_t): W1", f"{r['w1']:.4f}", f"<= {W1_BOUND}", r["passed"])
    save_json("toy1d", dict(model=tm.key, config=tm.config.to_dict(), train_seconds=tm.history["seconds"][-1],
                            bounds=dict(w1=W1_BOUND, weight_tol=WEIGHT_TOL), rows=rows, per_t=per_t, passed=bool(ok)))
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

"""The 2D spiral model against its exact truth. Writes bench/reports/toy2d.md (and bench/results/toy2d.json).

    python -m bench.toy2d            # default preset ($DIFFUSION_PRESET), cache ./cache or $DIFFUSION_CACHE

Sample quality (N = 4000 from the same x_T; SW1 = sliced Wasserstein-1, E = energy distance, both to N
exact draws of the spiral; the floor is two exact sets against each other):
- DDPM 1000 steps and DDIM 50 and 100 steps: SW1 <= SW_BOUND x floor;
- DDIM 5 steps is worse than DDIM 100 (too few steps break: the check that the curve can fail);
- every run is also made with the exact eps* through the same sampler: its distance is the
  discretisation error alone, the rest is the network's.
Field error: E|eps_hat - eps*|^2 over x ~ q(x_t) at several t, relative error <= REL_BOUND for
t >= REL_FROM_T (paper's t); and where on a grid it is large (mean |eps_hat - eps*| inside / outside the
region holding 90% of q_t's mass).
"""
from __future__ import annotations

import argparse

import numpy as np

from bench.report import Report, save_json
from diffusion.core.presets import active_preset
from diffusion.models import get_model
from diffusion.models.toy2d.measure import error_by_density, field_error, fields_on_grid, get_quality_vs_steps

SW_BOUND = 2.0              # samples within 2x the finite-sample floor
REL_BOUND = 0.05            # learned eps within 5% (relative MSE) of eps* for t >= REL_FROM_T
REL_FROM_T = 100            # paper's t; below it the error grows (the table shows t = 50 and less unbounded)
FIELD_TS = (999, 799, 499, 299, 149, 49, 19, 4, 0)


YES = {True: "yes", False: "NO", None: "-"}


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    tm = get_model("toy2d", active_preset())
    q = get_quality_vs_steps(tm)
    fl = q["floor"]
    rep = Report("toy2d", "The 2D spiral model against its exact truth", argv=argv)
    rep.text(f"Model {tm.key}: {len(tm.history['loss'])} steps, trained in {tm.history['seconds'][-1]:.1f} s, "
             f"final loss (mean of last 200) {np.mean(tm.history['loss'][-200:]):.4f}. Spiral of "
             f"{tm.config.mixture.components} Gaussians (std {tm.config.mixture.std}); N = {q['n']}; floor (exact vs "
             f"exact): SW1 {fl['sw1']:.4f}, E {fl['energy']:.5f}; bound SW1 <= {SW_BOUND} x floor. Every sampler "
             "also runs on the exact eps*: its distance is the discretisation error alone.")
    rows = {(r["sampler"], r["steps"], r["model"]): r for r in q["rows"]}
    table = []
    for sampler, steps in sorted({(r["sampler"], r["steps"]) for r in q["rows"]}, key=lambda k: (k[0] != "ddpm", k[1])):
        net, ex = rows[(sampler, steps, "network")], rows[(sampler, steps, "exact")]
        # the bound holds DDPM at every step and DDIM from 50 steps; DDPM respaced to fewer steps is listed
        # beside DDIM at the same count, unbounded
        bounded = steps == tm.schedule.T if sampler == "ddpm" else steps >= 50
        passed = bool(net["sw1"] <= SW_BOUND * fl["sw1"]) if bounded else None
        table.append([f"{sampler} {steps}", f"{net['sw1']:.4f}", f"{net['sw1'] / fl['sw1']:.2f}", f"{net['energy']:.5f}",
                      f"{ex['sw1']:.4f}", f"{ex['energy']:.5f}", YES[passed]])
        rep.check(f"{sampler} {steps}: SW1 / floor", round(net["sw1"] / fl["sw1"], 2), f"<= {SW_BOUND}", passed)
    rep.table(["sampler", "SW1 net", "x floor", "E net", "SW1 exact", "E exact", "pass"], table)
    rep.check("DDIM 5 steps worse than DDIM 100 (SW1)",
              f"{rows[('ddim', 5, 'network')]['sw1']:.4f} vs {rows[('ddim', 100, 'network')]['sw1']:.4f}", ">",
              rows[("ddim", 5, "network")]["sw1"] > rows[("ddim", 100, "network")]["sw1"])

    fe = field_error(tm, FIELD_TS)
    field_rows = []
    for t, mse, rel, srmse in zip(fe["t"], fe["mse"], fe["rel"], fe["score_rmse"]):
        passed = bool(rel <= REL_BOUND) if t + 1 >= REL_FROM_T else None
        field_rows.append(dict(t=int(t) + 1, mse=float(mse), rel=float(rel), score_rmse=float(srmse), passed=passed))
        rep.check(f"relative MSE of eps_hat at t={t + 1}", round(float(rel), 4), f"<= {REL_BOUND}", passed)
    rep.table(["t", "E abs(e - e*)^2", "relative", "score rmse", "pass"],
              [[r["t"], f"{r['mse']:.5f}", f"{r['rel']:.4f}", f"{r['score_rmse']:.3f}", YES[r["passed"]]]
               for r in field_rows],
              caption=f"Learned vs exact eps over x ~ q(x_t) (4000 draws); bound: relative MSE <= {REL_BOUND} "
                      f"for t >= {REL_FROM_T}")

    where = error_by_density(fields_on_grid(tm, FIELD_TS, lim=3.0, n=41))
    rep.table(["t", "inside 90 % mass", "outside", "ratio"],
              [[t + 1, f"{hi:.4f}", f"{lo:.4f}", f"{lo / hi:.1f}"]
               for t, hi, lo in zip(where["t"], where["high_density"], where["low_density"])],
              caption="Where the field is wrong (41x41 grid on [-3, 3]^2): mean abs(eps_hat - eps*)")
    save_json("toy2d", dict(model=tm.key, config=tm.config.to_dict(), train_seconds=tm.history["seconds"][-1],
                            bounds=dict(sw_floor_factor=SW_BOUND, rel_mse=REL_BOUND), quality=q, field=field_rows,
                            where=dict(t=[int(t) + 1 for t in where["t"]], high_density=where["high_density"],
                                       low_density=where["low_density"])))
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

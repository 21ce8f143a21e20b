"""Which sampler should be the default: the rule that reads per-seed quality rows (bench.solvers measures
them on the digits network) and decides, so the rule is library code with its own tests.

A run is a (sampler, spacing) pair, measured at several numbers of network calls (NFE); a row holds one
run's Fréchet ratio for every x_T seed.
"""
from __future__ import annotations

import numpy as np

from diffusion.core.sample import SAMPLERS
from diffusion.core.schedule import SPACINGS

# every sampler but DDPM on every spacing, and DDPM respaced to the same uniform steps (fresh noise
# each step, first order): the library's own lists, so a new solver or spacing is measured too
RUNS = [("ddpm", "uniform")] + [(s, sp) for s in SAMPLERS if s != "ddpm" for sp in SPACINGS]


def decide(digits: dict, nfe: int = 50) -> dict:
    """The best (sampler, spacing) at `nfe` calls on the network, whether it beats DDIM on uniform steps
    (the default so far) beyond the seed spread (its worst seed below DDIM's best seed) and whether it
    reaches DDPM-1000 (its mean at or below DDPM's worst seed)."""
    net = {(r["sampler"], r.get("spacing", "uniform"), r["nfe"]): r for r in digits["rows"] if r["model"] == "network"}
    cand = {run: net[(*run, nfe)] for run in RUNS if (*run, nfe) in net}
    best = min(cand, key=lambda run: cand[run]["ratio_mean"])
    ddim, ddpm = cand[("ddim", "uniform")], net[("ddpm", "uniform", digits["T"])]
    b = cand[best]
    paired = dict(zip(b["seeds"], b["per_seed"]))          # the best run on DDPM-1000's own seeds, seed by seed
    on_ddpm_seeds = float(np.mean([paired[s] for s in ddpm["seeds"]])) if set(ddpm["seeds"]) <= set(paired) else None
    return dict(nfe=nfe, best=best[0], spacing=best[1], best_mean=b["ratio_mean"], best_max=b["ratio_max"],
                ddim_mean=ddim["ratio_mean"], ddim_min=ddim["ratio_min"], ddpm_mean=ddpm["ratio_mean"],
                ddpm_max=ddpm["ratio_max"], ddpm_seeds=ddpm["seeds"], best_on_ddpm_seeds=on_ddpm_seeds,
                beats_ddim_beyond_spread=best != ("ddim", "uniform") and b["ratio_max"] < ddim["ratio_min"],
                within_ddpm_spread_or_better=b["ratio_mean"] <= ddpm["ratio_max"])

"""The discrete graph diffusion model against held-out real graphs, an Erdős–Rényi baseline and the exact
denoiser (the figures and bounds: diffusion/models/graphs/benchmark.py).

    python -m bench.graphs [--preset default] [--n 512] [--draws 4] [--seed 0]

Loads the model from $DIFFUSION_CACHE (training it there once if missing); writes bench/reports/graphs.md
and bench/results/graphs.json; exits 1 when a bound is missed.
"""
from __future__ import annotations

import argparse
import time

import torch

from bench.report import Report, save_json
from diffusion.core.presets import PRESET_NAMES
from diffusion.models import get_model
from diffusion.models.graphs.benchmark import benchmark


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", choices=PRESET_NAMES, default="default")
    p.add_argument("--n", type=int, default=512, help="graphs per row")
    p.add_argument("--conditions", type=int, default=8, help="condition graphs (n / conditions samples each)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=4,
                   help="sets of n graphs for validity and between-block edges (real and unconditional rows; "
                        "sampling seeds seed, seed + 1, ...)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    t0 = time.perf_counter()
    tm = get_model("graphs", args.preset)
    load_s = time.perf_counter() - t0
    result = benchmark(tm, args.preset, args.n, args.draws, args.conditions, args.seed)
    result["load_seconds"] = load_s
    family = tm.config.family

    rep = Report("graphs", "Graphs: discrete diffusion against real graphs", argv=argv)
    rep.text(f"Preset {args.preset} (model {tm.key}): {family.sizes} SBM, p_in={family.p_in}, p_out={family.p_out}; "
             f"{args.n} held-out graphs. Trained {result['train_steps']} steps in {result['train_seconds']:.0f} s "
             f"(loss {result['train_loss_first_100']:.3f} -> {result['train_loss_last_100']:.3f}); sampling {args.n} "
             f"graphs x {tm.schedule.T} steps took {result['sample_seconds']:.1f} s. Validity and between-block "
             f"edges of the real and unconditional rows are over {args.draws} sets of {args.n}.")
    rep.table(["rows", "n", "density", "valid", "between", "deg MMD²", "clust MMD²", "preserved"],
              [[name, r["n"], f"{r['density']:.3f}", f"{100 * r['validity']:.1f} %", f"{r['between_edges']:.2f}",
                f"{r['degree_mmd']:.4f}", f"{r['clustering_mmd']:.4f}",
                f"{100 * r['preserved']:.1f} %" if "preserved" in r else "-"] for name, r in result["rows"].items()])
    for c in result["checks"]:
        rep.check(c["name"], round(float(c["value"]), 4), c["bound"], c["met"])
    save_json("graphs", result)
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

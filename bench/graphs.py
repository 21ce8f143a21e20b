"""Benchmark of the discrete graph diffusion model against held-out real graphs and an Erdős–Rényi baseline.

    PYTHONPATH=. python bench/graphs.py [--preset default] [--n 512] [--seed 0]

Loads the model from $DIFFUSION_CACHE (training it there once if missing), prints a table and a list of
checks (each figure with its bound, met or MISSED), and writes bench/results/graphs.json (atomically).
Every figure is measured here:
  validity      (over --draws sets of n graphs in the real and unconditional rows)
                share of graphs whose best two-block fit (family's block sizes, fewest edges cut)
                has within/between densities within the tolerances of data.Validity
  between       mean number of edges between the two blocks of that same fit (no labels needed, so
                real and generated graphs are split by the same rule)
  degree MMD²   Gaussian-kernel MMD² between normalised degree histograms and held-out graphs
  cluster MMD²  the same over histograms of local clustering coefficients (20 bins)
  preserved     share of conditional samples whose fixed subgraph equals the condition at every step
The "exact denoiser" row runs the same sampler with the family's own Bayes posterior in place of the
network (graphs/exact.py): what a perfect denoiser would reach, so it separates the sampler's share of a
gap from the network's.
The "real, held out" row is real graphs of the test split (seeds never trained on) against the held-out
split: the floor of each measure and the reference the model's figures are held to.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from diffusion.core.cache import atomic_write_bytes
from diffusion.core.presets import PRESET_NAMES
from diffusion.models import get_model
from diffusion.models.graphs.data import (MMD_SIGMA, Validity, between_block_edges, clustering_mmd, degree_mmd,
                                          edge_density, erdos_renyi, make_graphs, validity)
from diffusion.models.graphs.discrete import sample_graphs
from diffusion.models.graphs.exact import ExactSBMDenoiser

ROOT = Path(__file__).resolve().parent
COND_NODES = [0, 1, 2, 3, 8, 9]        # four nodes of one block and two of the other in the test graphs

# The bounds, fixed before any model was measured against them (README, "Graphs: discrete diffusion"):
TRAIN_SECONDS = 150.0          # default graph training on this project's 2-core CPU, one thread
VALIDITY_GAP = 0.05            # generated at most 5 points below real held-out graphs (n = 512 each:
                               # the standard error of the difference is about 1.5 points)
BETWEEN_GAP = 0.5              # mean between-block edges within half an edge of the real graphs' mean
MMD_FACTOR = 2.0               # MMD² at most twice the real floor (real test split vs held-out)


def measure(graphs, held, family, more=None) -> dict:
    """The row's figures for `graphs` (n of them); with `more` (further graphs of the same source) validity
    and between-block edges are taken over all of them, while the MMDs stay on the first n (the
    estimator is biased, so its size must match the floor's)."""
    every = graphs if more is None else np.concatenate([graphs, more])
    return dict(n=int(len(every)), density=edge_density(every), validity=validity(every, family),
                between_edges=float(np.mean([between_block_edges(a, family) for a in every])),
                degree_mmd=degree_mmd(graphs, held), clustering_mmd=clustering_mmd(graphs, held))


def checks(result: dict) -> list[dict]:
    """Each figure against its bound: name, value, bound (text), met."""
    rows = result["rows"]
    real, gen, cond = rows["real, held out (test split)"], rows["diffusion model"], rows["diffusion model, conditional"]
    out = [dict(name=f"training seconds ({result['preset']} preset)", value=result["train_seconds"], bound=f"<= {TRAIN_SECONDS:.0f}",
                met=result["train_seconds"] <= TRAIN_SECONDS)]
    for label, r in (("", gen), (", conditional", cond)):
        out.append(dict(name=f"validity{label}", value=r["validity"],
                        bound=f">= real {real['validity']:.3f} - {VALIDITY_GAP:.2f}",
                        met=r["validity"] >= real["validity"] - VALIDITY_GAP))
        out.append(dict(name=f"between-block edges{label}", value=r["between_edges"],
                        bound=f"real {real['between_edges']:.2f} +- {BETWEEN_GAP}",
                        met=abs(r["between_edges"] - real["between_edges"]) <= BETWEEN_GAP))
    for key, name in (("degree_mmd", "degree MMD²"), ("clustering_mmd", "clustering MMD²")):
        out.append(dict(name=name, value=gen[key], bound=f"<= {MMD_FACTOR:g} x real {real[key]:.4f}",
                        met=gen[key] <= MMD_FACTOR * real[key]))
    out.append(dict(name="conditional: fixed subgraph kept at every step", value=cond["preserved"], bound="= 1",
                    met=cond["preserved"] == 1.0))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", choices=PRESET_NAMES, default="default")
    p.add_argument("--n", type=int, default=512, help="graphs per row")
    p.add_argument("--conditions", type=int, default=8, help="condition graphs (n / conditions samples each)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=4,
                   help="sets of n graphs for validity and between-block edges (real and unconditional rows; "
                        "sampling seeds seed, seed + 1, ...)")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "graphs.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)

    t0 = time.perf_counter()
    tm = get_model("graphs", args.preset)
    load_s = time.perf_counter() - t0
    family = tm.config.family
    held = make_graphs(family, args.n, "heldout")
    rows = {}

    # validity and between-block edges over `--draws` sets of n graphs: one set of 512 moves by about 3 points
    # from one sampling seed to the next (seeds 0-3 of the default model: 82.0, 88.5, 85.2, 88.3 %;
    # `bench/graphs_sweep.py --seeds 0 1 2 3`)
    test = make_graphs(family, args.n * args.draws, "test")
    rows["real, held out (test split)"] = measure(test[:args.n], held, family, test[args.n:])

    t0 = time.perf_counter()
    draws = [sample_graphs(tm, args.n, seed=args.seed + k, record=False).final for k in range(args.draws)]
    sample_s = (time.perf_counter() - t0) / args.draws
    rows["diffusion model"] = measure(draws[0], held, family, np.concatenate(draws[1:]) if args.draws > 1 else None)

    # conditional: each condition graph from the test split keeps its subgraph on COND_NODES
    conds = make_graphs(family, args.conditions, "test")
    per = max(1, args.n // args.conditions)
    finals, preserved = [], []
    for i, cond in enumerate(conds):
        tr = sample_graphs(tm, per, seed=args.seed + 1 + i, condition=cond, fixed_nodes=COND_NODES)
        ok = np.all(tr.adj[:, :, tr.fixed] == cond[tr.fixed], axis=(0, 2))   # per sample, over all steps
        preserved.append(ok)
        finals.append(tr.final)
    row = measure(np.concatenate(finals), held, family)
    row["preserved"] = float(np.concatenate(preserved).mean())
    rows["diffusion model, conditional"] = row

    exact = replace(tm, model=ExactSBMDenoiser(family, tm.schedule, tm.density))
    rows["exact denoiser, same sampler"] = measure(sample_graphs(exact, args.n, seed=args.seed, record=False).final,
                                                   held, family)

    er_p = tm.density
    rows[f"Erdős–Rényi p={er_p:.3f}"] = measure(erdos_renyi(family.n, er_p, args.n, seed=args.seed), held, family)

    hist = tm.history
    result = dict(
        preset=args.preset, model_key=tm.key, config=tm.config.to_dict(), family=family.to_dict(),
        validity_tolerances=Validity().__dict__, mmd_sigma=MMD_SIGMA, conditional_nodes=COND_NODES,
        train_seconds=hist["seconds"][-1], train_steps=hist["step"][-1],
        train_loss_first_100=float(np.mean(hist["loss"][:100])), train_loss_last_100=float(np.mean(hist["loss"][-100:])),
        load_seconds=load_s, sample_seconds=sample_s, sample_count=args.n, rows=rows)
    result["checks"] = checks(result)

    head = (f"{'':32s} {'n':>5s} {'density':>8s} {'valid':>7s} {'between':>8s} {'deg MMD²':>10s} "
            f"{'clust MMD²':>11s} {'preserved':>10s}")
    print(f"graph diffusion benchmark — preset {args.preset} (model {tm.key}), {family.sizes} SBM "
          f"p_in={family.p_in} p_out={family.p_out}, {args.n} held-out graphs")
    print(f"trained {result['train_steps']} steps in {result['train_seconds']:.0f} s "
          f"(loss {result['train_loss_first_100']:.3f} -> {result['train_loss_last_100']:.3f}); "
          f"sampling {args.n} graphs x {tm.schedule.T} steps took {sample_s:.1f} s")
    print(head)
    print("-" * len(head))
    for name, r in rows.items():
        pres = f"{100 * r['preserved']:.1f}%" if "preserved" in r else "-"
        print(f"{name:32s} {r['n']:5d} {r['density']:8.3f} {100 * r['validity']:6.1f}% {r['between_edges']:8.2f} "
              f"{r['degree_mmd']:10.4f} {r['clustering_mmd']:11.4f} {pres:>10s}")
    print()
    for c in result["checks"]:
        print(f"{c['name']:48s} {c['value']:10.4f}   bound {c['bound']:28s} {'met' if c['met'] else 'MISSED'}")
    atomic_write_bytes(args.out, json.dumps(result, indent=2, default=float).encode())
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

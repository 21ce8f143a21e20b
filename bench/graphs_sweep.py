"""Screening runs for the graph model: one variant of the default config, trained once (seeded, one thread)
into $DIFFUSION_CACHE (use a private one), then measured as bench/graphs.py measures it, and its denoiser
held against the exact one (graphs/exact.py) on noisy real graphs.

    DIFFUSION_CACHE=/tmp/graph-screens PYTHONPATH=. .venv/bin/python bench/graphs_sweep.py \\
        [--set steps=3000] [--set denoiser.hidden=16] [--set denoiser.self_condition=True] [--seeds 0 1 2 3]

Prints one JSON line per run (also appended, with the command, to bench/results/graphs_sweep.jsonl):
  train_s       the engine's training seconds (only a timing when nothing else ran)
  valid, between  per sampling seed (n graphs each) and their means: share valid, mean between-block edges
  degree_mmd, clustering_mmd   per sampling seed, against the held-out split
  denoise       per t: the mean predicted edge count across the true blocks and the cross-entropy on the
                clean edges, for the model and the exact denoiser, on n noisy test graphs (seeded)
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import torch
import torch.nn.functional as F

from bench.report import ROOT, Report
from diffusion.core.settings import parse_setting
from diffusion.models import get_model, get_recipe
from diffusion.models.graphs.benchmark import measure
from diffusion.models.graphs.config import DEFAULT
from diffusion.models.graphs.data import make_graphs
from diffusion.models.graphs.discrete import sample_graphs
from diffusion.models.graphs.schedule import upper_mask
from diffusion.models.graphs.exact import ExactSBMDenoiser

RESULTS = ROOT / "bench" / "results" / "graphs_sweep.jsonl"
DENOISE_T = (30, 40, 50, 60)


def make_config(settings):
    """DEFAULT with NAME=VALUE overrides (denoiser.FIELD=VALUE sets one denoiser field)."""
    return get_recipe("graphs").config(DEFAULT, **dict(settings))


def denoising(tm, n: int) -> dict:
    """Model against exact denoiser on noisy test graphs (nodes 0-7 / 8-15 are the blocks as built)."""
    family, schedule = tm.config.family, tm.schedule
    exact = ExactSBMDenoiser(family, schedule, tm.density)
    real = torch.from_numpy(make_graphs(family, n, "test").astype(np.float32))
    block = torch.arange(family.n) < family.sizes[0]
    across = (block[:, None] != block[None, :]).double()
    iu = upper_mask(family.n)
    gen = torch.Generator().manual_seed(0)
    out = {}
    for t in DENOISE_T:
        a_t = tm.edges.q_sample(real, t, gen)
        row = {}
        with torch.no_grad():
            for name, net in (("model", tm.model), ("exact", exact)):
                p = torch.sigmoid(net(a_t, torch.full((n,), t), None).double())
                row[name] = dict(across=round(float((p * across).sum((1, 2)).mean()) / 2, 2),
                                 bce=round(F.binary_cross_entropy(p[:, iu], real.double()[:, iu]).item(), 4))
        out[t] = row
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", dest="settings", type=parse_setting, action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--n", type=int, default=512, help="graphs per sampling seed")
    p.add_argument("--seeds", type=int, nargs="*", default=[0], help="sampling seeds (seed 0 is bench/graphs.py's)")
    args = p.parse_args(argv)
    rep = Report("graphs_sweep", "Graph model screens: variants of the default config", argv=argv,
                 keep_other_commands=True)
    torch.set_num_threads(1)
    config = make_config(args.settings)
    tm = get_model("graphs", config, progress=False)
    family = tm.config.family
    held = make_graphs(family, args.n, "heldout")
    per_seed = []
    for seed in args.seeds:
        m = measure(sample_graphs(tm, args.n, seed=seed, record=False).final, held, family)   # bench/graphs.py's
        per_seed.append(dict(seed=seed, valid=m["validity"], between=m["between_edges"],
                             degree_mmd=round(m["degree_mmd"], 4), clustering_mmd=round(m["clustering_mmd"], 4)))
    result = dict(settings={k: v for k, v in args.settings}, model_key=tm.key,
                  train_s=round(tm.history["seconds"][-1], 1), n=args.n, per_seed=per_seed,
                  valid=round(float(np.mean([r["valid"] for r in per_seed])), 4),
                  between=round(float(np.mean([r["between"] for r in per_seed])), 3),
                  denoise=denoising(tm, args.n), command=rep.command)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(json.dumps(result, default=str) + "\n")
    rep.text(f"Settings {result['settings'] or 'none (the default)'}: model {tm.key}, trained in {result['train_s']} s; "
             f"mean over the seeds: valid {result['valid']}, between-block edges {result['between']} ({args.n} graphs "
             "per seed).")
    rep.records([dict(seed=r["seed"], valid=r["valid"], between=r["between"], degree_mmd=r["degree_mmd"],
                        clustering_mmd=r["clustering_mmd"]) for r in per_seed])
    rep.records([dict(t=t, model_across=r["model"]["across"], exact_across=r["exact"]["across"],
                      model_bce=r["model"]["bce"], exact_bce=r["exact"]["bce"]) for t, r in result["denoise"].items()],
                caption=f"Denoising {args.n} noisy test graphs: predicted edges across the true blocks and BCE on the "
                        "clean edges, model against the exact denoiser")
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

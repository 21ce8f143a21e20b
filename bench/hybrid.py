"""Where in the chain a learned denoiser loses: sample with the learned network on one side of a step tau
and the exact denoiser on the other, and score the result as the bench does.

    python -m bench.hybrid graphs [--tau 60 40 20] [--set NAME=VALUE ...]
        (--set: a screened variant of the default, as bench/graphs_sweep.py takes it)
    python -m bench.hybrid digits [--tau 800 600 400 200] [--sampler ddim --steps 50 --eta 0]
        (--tau with no steps: the two denoisers alone)

The models come from $DIFFUSION_CACHE (the one renders use: the default models).

The exact denoiser is the family's Bayes posterior for graphs (graphs/exact.py) and the exact score of the
train half for digits (core/empirical.py, a memoriser). For every tau two rows:
  "learned >= tau"   the network for steps t >= tau, the exact denoiser below: what the network's early
                     (noisy) steps leave for a perfect finisher
  "exact >= tau"     the exact denoiser for t >= tau, the network below: how much the network's late steps
                     lose from a perfect start
plus the network alone and the exact denoiser alone. Graphs: validity and between-block edges over
--draws draws of 512 (sampling seeds 0..); digits: the mean Fréchet ratio over x_T seeds (1000 samples,
DDIM 50, as bench/digits.py) and the classes 1 and 9 the default model over-draws. Each command writes its
table into bench/reports/hybrid-MODEL.md (the tables of other commands stay) and appends one JSON line
per row to bench/results/hybrid.jsonl.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
import torch

from bench.report import ROOT, Report
from diffusion.core.settings import parse_setting
from diffusion.core.switch import SwitchAt

RESULTS = ROOT / "bench" / "results" / "hybrid.jsonl"


def graph_rows(taus, draws, settings=()):
    from diffusion.models import get_model, get_recipe
    from diffusion.models.graphs.config import DEFAULT
    from diffusion.models.graphs.data import between_block_edges, validity
    from diffusion.models.graphs.discrete import sample_graphs
    from diffusion.models.graphs.exact import ExactSBMDenoiser

    tm = get_model("graphs", get_recipe("graphs").config(DEFAULT, **dict(settings)), progress=False)
    family = tm.config.family
    exact = ExactSBMDenoiser(family, tm.schedule, tm.density)

    def score(net):
        graphs = np.concatenate([sample_graphs(replace(tm, model=net), 512, seed=s, record=False).final
                                 for s in range(draws)])
        return dict(valid=round(validity(graphs, family), 4),
                    between=round(float(np.mean([between_block_edges(a, family) for a in graphs])), 3))

    yield "learned alone", None, score(tm.model)
    yield "exact alone", None, score(exact)
    for tau in taus:
        yield "learned >= tau", tau, score(SwitchAt(tm.model, exact, tau))
        yield "exact >= tau", tau, score(SwitchAt(exact, tm.model, tau))


def digit_rows(taus, seeds, sampler="ddim", steps=50, eta=0.0):
    from diffusion.core.empirical import EmpiricalEps
    from diffusion.models import get_model
    from diffusion.models.digits.classifier import model_quality
    from diffusion.models.digits.data import load_dataset

    tm = get_model("digits", "default")
    train_x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "train")
    exact = EmpiricalEps(train_x, tm.schedule)

    def score(net):
        q = model_quality(net, tm.schedule, seeds, n=1000, sampler=sampler, steps=steps, eta=eta,
                          image_size=tm.config.image_size)
        counts = np.sum([r["class_counts"] for r in q["per_seed"].values()], axis=0)
        share = lambda c: round(float(counts[c] / counts.sum()), 4)
        return dict(ratio=round(q["ratio_mean"], 3), ratio_min=round(q["ratio_min"], 3),
                    ratio_max=round(q["ratio_max"], 3), confident=round(q["confident_mean"], 4),
                    share_1=share(1), share_9=share(9))

    with torch.no_grad():
        yield "learned alone", None, score(tm.model)
        yield "exact alone", None, score(exact)
        for tau in taus:
            yield "learned >= tau", tau, score(SwitchAt(tm.model, exact, tau))
            yield "exact >= tau", tau, score(SwitchAt(exact, tm.model, tau))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", choices=("graphs", "digits"))
    p.add_argument("--tau", type=int, nargs="*", help="switch steps (0-based); default 60 40 20 for graphs, "
                                                        "800 600 400 200 for digits")
    p.add_argument("--set", dest="settings", type=parse_setting, action="append", default=[], metavar="NAME=VALUE",
                   help="graphs: a setting of the default config (denoiser.FIELD=V for one denoiser field)")
    p.add_argument("--draws", type=int, default=2, help="graphs: sampling seeds of 512 graphs each")
    p.add_argument("--seeds", type=int, nargs="+", default=[1234, 4321, 2, 3], help="digits: x_T seeds")
    p.add_argument("--sampler", default="ddim", choices=("ddim", "ddpm"), help="digits: the sampler (bench's: ddim)")
    p.add_argument("--steps", type=int, default=50, help="digits: sampling steps (bench's: 50)")
    p.add_argument("--eta", type=float, default=0.0, help="digits: DDIM eta (bench's: 0)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    if args.model == "graphs":
        rows = graph_rows([60, 40, 20] if args.tau is None else args.tau, args.draws, args.settings)
    elif args.settings:
        p.error("--set is for graphs; the digits rows use the default digits model")
    else:
        rows = digit_rows([800, 600, 400, 200] if args.tau is None else args.tau, args.seeds, args.sampler,
                          args.steps, args.eta)
    rep = Report(f"hybrid-{args.model}", f"Where the learned {args.model} denoiser loses: learned on one side of "
                 "a step tau, exact on the other", argv=argv, keep_other_commands=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    table = []
    for name, tau, figures in rows:
        line = dict(model=args.model, settings={k: repr(v) for k, v in args.settings}, row=name, tau=tau, **figures)
        if args.model == "digits":
            line.update(sampler=args.sampler, steps=args.steps,
                        eta=1.0 if args.sampler == "ddpm" else args.eta)      # ddpm is the eta = 1 update
        print(json.dumps(line), flush=True)
        with open(RESULTS, "a") as f:
            f.write(json.dumps(line) + "\n")
        table.append([name, "-" if tau is None else tau] + list(figures.values()))
    head = ("valid", "between") if args.model == "graphs" else ("mean ratio", "min", "max", "confident", "share of 1",
                                                                "share of 9")
    what = (f"validity and between-block edges over {args.draws} draws of 512 graphs" if args.model == "graphs" else
            f"mean Fréchet ratio over x_T seeds {args.seeds}, {args.sampler} {args.steps} steps, eta {args.eta}")
    rep.table(["row", "tau"] + list(head), table, caption=what + (f"; settings {dict(args.settings)}" if args.settings else ""))
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

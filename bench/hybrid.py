"""Where in the chain a learned denoiser loses: sample with the learned network on one side of a step tau
and the exact denoiser on the other, and score the result as the bench does.

    DIFFUSION_CACHE=<render cache> PYTHONPATH=. .venv/bin/python bench/hybrid.py graphs [--tau 60 40 20] \
        [--set NAME=VALUE ...]      (a screened variant of the default, as bench/graphs_sweep.py takes it)
    DIFFUSION_CACHE=<render cache> PYTHONPATH=. .venv/bin/python bench/hybrid.py digits [--tau 800 600 400 200] \
        [--sampler ddim --steps 50 --eta 0]     (--tau with no steps: the two denoisers alone)

The exact denoiser is the family's Bayes posterior for graphs (graphs/exact.py) and the exact score of the
train half for digits (core/empirical.py, a memoriser). For every tau two rows:
  "learned >= tau"   the network for steps t >= tau, the exact denoiser below: what the network's early
                     (noisy) steps leave for a perfect finisher
  "exact >= tau"     the exact denoiser for t >= tau, the network below: how much the network's late steps
                     lose from a perfect start
plus the network alone and the exact denoiser alone. Graphs: validity and between-block edges over
--draws draws of 512 (sampling seeds 0..); digits: the mean Fréchet ratio over x_T seeds (1000 samples,
DDIM 50, as bench/digits.py) and the classes 1 and 9 the default model over-draws. One JSON line per row
is appended to bench/results/hybrid.jsonl.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from diffusion.__main__ import _setting  # noqa: E402  (NAME=VALUE, as python -m diffusion train takes it)

RESULTS = ROOT / "bench" / "results" / "hybrid.jsonl"


class SwitchAt(nn.Module):
    """Calls `high` for steps t >= tau and `low` below; every row of a batch is at the same step."""

    def __init__(self, high: nn.Module, low: nn.Module, tau: int):
        super().__init__()
        self.high, self.low, self.tau = high, low, tau

    def forward(self, x, t, *args):
        if len(set(t.tolist())) != 1:
            raise ValueError("SwitchAt needs one step per batch")
        return (self.high if int(t[0]) >= self.tau else self.low)(x, t, *args)


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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", choices=("graphs", "digits"))
    p.add_argument("--tau", type=int, nargs="*", help="switch steps (0-based); default 60 40 20 for graphs, "
                                                        "800 600 400 200 for digits")
    p.add_argument("--set", dest="settings", type=_setting, action="append", default=[], metavar="NAME=VALUE",
                   help="graphs: a setting of the default config (denoiser.FIELD=V for one denoiser field)")
    p.add_argument("--draws", type=int, default=2, help="graphs: sampling seeds of 512 graphs each")
    p.add_argument("--seeds", type=int, nargs="+", default=[1234, 4321, 2, 3], help="digits: x_T seeds")
    p.add_argument("--sampler", default="ddim", choices=("ddim", "ddpm"), help="digits: the sampler (bench's: ddim)")
    p.add_argument("--steps", type=int, default=50, help="digits: sampling steps (bench's: 50)")
    p.add_argument("--eta", type=float, default=0.0, help="digits: DDIM eta (bench's: 0)")
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.model == "graphs":
        rows = graph_rows([60, 40, 20] if args.tau is None else args.tau, args.draws, args.settings)
    elif args.settings:
        p.error("--set is for graphs; the digits rows use the default digits model")
    else:
        rows = digit_rows([800, 600, 400, 200] if args.tau is None else args.tau, args.seeds, args.sampler,
                          args.steps, args.eta)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    for name, tau, figures in rows:
        line = dict(model=args.model, settings={k: repr(v) for k, v in args.settings}, row=name, tau=tau, **figures)
        if args.model == "digits":
            line.update(sampler=args.sampler, steps=args.steps,
                        eta=1.0 if args.sampler == "ddpm" else args.eta)      # ddpm is the eta = 1 update
        print(json.dumps(line), flush=True)
        with open(RESULTS, "a") as f:
            f.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

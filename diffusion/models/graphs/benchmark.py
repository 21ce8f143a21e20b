"""The graph model's benchmark figures against held-out real graphs, an Erdős–Rényi baseline and the exact
denoiser (python -m bench.graphs prints and reports them; the tests run them on the quick model).

  validity      share of graphs whose best two-block fit (family's block sizes, fewest edges cut) has
                within/between densities within the tolerances of data.Validity
  between       mean number of edges between the two blocks of that same fit (no labels needed, so
                real and generated graphs are split by the same rule)
  degree MMD²   Gaussian-kernel MMD² between normalised degree histograms and held-out graphs
  cluster MMD²  the same over histograms of local clustering coefficients (20 bins)
  preserved     share of conditional samples whose fixed subgraph equals the condition at every step
The "exact denoiser" row runs the same sampler with the family's own Bayes posterior in place of the
network (exact.py): what a perfect denoiser would reach, so it separates the sampler's share of a gap
from the network's. The "real, held out" row is real graphs of the test split (seeds never trained on)
against the held-out split: the floor of each measure and the reference the model's figures are held to.
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from .data import (MMD_SIGMA, Validity, between_block_edges, clustering_mmd, degree_mmd, edge_density,
                   erdos_renyi, make_graphs, validity)
from .discrete import sample_graphs
from .exact import ExactSBMDenoiser

COND_NODES = [0, 1, 2, 3, 8, 9]        # four nodes of one block and two of the other in the test graphs

# The bounds, fixed before any model was measured against them:
TRAIN_SECONDS = 150.0          # default graph training on a 2-core CPU, one thread
VALIDITY_GAP = 0.05            # generated at most 5 points below real held-out graphs (n = 512 each:
                               # the standard error of the difference is about 1.5 points)
BETWEEN_GAP = 0.5              # mean between-block edges within half an edge of the real graphs' mean
MMD_FACTOR = 2.0               # MMD² at most twice the real floor (real test split vs held-out)

REAL, MODEL, CONDITIONAL = "real, held out (test split)", "diffusion model", "diffusion model, conditional"
EXACT = "exact denoiser, same sampler"


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
    real, gen, cond = rows[REAL], rows[MODEL], rows[CONDITIONAL]
    out = [dict(name=f"training seconds ({result['preset']} preset)", value=result["train_seconds"],
                bound=f"<= {TRAIN_SECONDS:.0f}", met=result["train_seconds"] <= TRAIN_SECONDS)]
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


def benchmark(tm, preset: str, n: int = 512, draws: int = 4, conditions: int = 8, seed: int = 0) -> dict:
    """Every row and check for the trained graph model `tm`: validity and between-block edges over `draws`
    sets of n graphs (real and unconditional rows; sampling seeds seed, seed + 1, ...), since one set of 512
    moves by about 3 points from one sampling seed to the next."""
    family = tm.config.family
    held = make_graphs(family, n, "heldout")
    rows = {}
    test = make_graphs(family, n * draws, "test")
    rows[REAL] = measure(test[:n], held, family, test[n:])

    t0 = time.perf_counter()
    sets = [sample_graphs(tm, n, seed=seed + k, record=False).final for k in range(draws)]
    sample_s = (time.perf_counter() - t0) / draws
    rows[MODEL] = measure(sets[0], held, family, np.concatenate(sets[1:]) if draws > 1 else None)

    # conditional: each condition graph from the test split keeps its subgraph on COND_NODES
    conds = make_graphs(family, conditions, "test")
    per = max(1, n // conditions)
    finals, preserved = [], []
    for i, cond in enumerate(conds):
        tr = sample_graphs(tm, per, seed=seed + 1 + i, condition=cond, fixed_nodes=COND_NODES)
        preserved.append(np.all(tr.adj[:, :, tr.fixed] == cond[tr.fixed], axis=(0, 2)))   # per sample, all steps
        finals.append(tr.final)
    rows[CONDITIONAL] = measure(np.concatenate(finals), held, family)
    rows[CONDITIONAL]["preserved"] = float(np.concatenate(preserved).mean())

    exact = replace(tm, model=ExactSBMDenoiser(family, tm.schedule, tm.density))
    rows[EXACT] = measure(sample_graphs(exact, n, seed=seed, record=False).final, held, family)
    rows[f"Erdős–Rényi p={tm.density:.3f}"] = measure(erdos_renyi(family.n, tm.density, n, seed=seed), held, family)

    hist = tm.history
    result = dict(
        preset=preset, model_key=tm.key, config=tm.config.to_dict(), family=family.to_dict(),
        validity_tolerances=Validity().__dict__, mmd_sigma=MMD_SIGMA, conditional_nodes=COND_NODES,
        train_seconds=hist["seconds"][-1], train_steps=hist["step"][-1],
        train_loss_first_100=float(np.mean(hist["loss"][:100])), train_loss_last_100=float(np.mean(hist["loss"][-100:])),
        sample_seconds=sample_s, sample_count=n, rows=rows)
    result["checks"] = checks(result)
    return result

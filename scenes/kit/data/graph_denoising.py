"""GraphDenoising, data: a real test graph and its forward chain, the graph denoiser's run around the fixed
subgraph, and the claims the narration makes about them."""
from __future__ import annotations

import numpy as np

from diffusion.models.graphs.data import block_fit, make_graphs
from diffusion.models.graphs.discrete import forward_trajectory
from scenes.kit.claims import fact, worded
from scenes.kit.models import condition_graph, conditional_trajectory, graph_model

FORWARD_INDEX = 1                           # test-split graph shown dissolving


def fixed_kept(traj, cond) -> int:
    """How many samples keep the fixed pairs at their condition values at every step."""
    fixed = traj.fixed
    return int(np.all(traj.adj[:, :, fixed] == cond[fixed], axis=(0, 2)).sum())


def shown_graph() -> np.ndarray:
    """The test graph the forward half shows dissolving."""
    return make_graphs(graph_model().config.family, FORWARD_INDEX + 1, "test")[FORWARD_INDEX]


def forward_run():
    """The shown graph's forward chain A_0 .. A_T (seed 0)."""
    tm = graph_model()
    return forward_trajectory(shown_graph(), tm.schedule, tm.density, seed=0)


def reverse_run():
    """the reverse half: four graphs sampled around the fixed subgraph, seed 0"""
    return conditional_trajectory(n=4, seed=0)


NEEDS = (graph_model, conditional_trajectory)


def claims():
    tm = graph_model()
    fam = tm.config.family
    a0 = make_graphs(fam, FORWARD_INDEX + 1, "test")[FORWARD_INDEX]
    inside, between, _ = block_fit(a0, fam)          # densities of its best two-block fit
    traj = conditional_trajectory(n=4, seed=0)
    n = traj.adj.shape[1]
    ab_T = tm.schedule.alpha_bar[-1].item()
    iu = np.triu_indices(a0.shape[0], 1)

    def shuffled(seed):            # the same number of edges on random pairs: no block structure to find
        a = np.zeros_like(a0)
        a[iu] = np.random.default_rng(seed).permutation(a0[iu])
        return a + a.T

    def block_ratio(a):
        i, b, _ = block_fit(a, fam)
        return round(float(i / max(b, 1e-9)), 3)

    # a permutation test: the best two-block fit finds some contrast in any graph, so the shown graph's
    # inside/between ratio is read against the largest of 20 graphs with its edges shuffled
    null = max(block_ratio(shuffled(s)) for s in range(1, 21))
    return [
        worded("shown_graph_blocks", (block_ratio(a0), null), [
            (lambda v: v[0] > v[1], "dense inside, sparse between"),
            (lambda v: True, f"edge density {inside:.2f} inside, {between:.2f} between, no more contrast than "
                             f"shuffled edges give")],
            perturb={"the graph's edges shuffled over random pairs": lambda: (block_ratio(shuffled(0)), null)}),
        fact("forward_ends_in_noise", ab_T, ab_T < 1e-3,
             "until every pair is an independent coin (alpha_bar_T ~ 0: nothing of A_0 is kept)"),
        fact("fixed_subgraph_unchanged", f"{fixed_kept(traj, condition_graph())}/{n}",
             fixed_kept(traj, condition_graph()) == n, "the red subgraph never changes, in every sample"),
    ]

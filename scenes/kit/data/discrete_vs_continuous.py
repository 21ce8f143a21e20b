"""DiscreteVsContinuous, data: the digits inpainting run (ImageInpainting's) and the graph denoiser's run
around its fixed subgraph, and the claims the narration makes about what each holds fixed."""
from __future__ import annotations

import numpy as np

from scenes.kit.claims import choose, fact
from scenes.kit.data.image_inpainting import inpainting, known_error
from scenes.kit.models import condition_graph, conditional_trajectory, digits_model, graph_model

NEEDS = (digits_model, inpainting, graph_model, conditional_trajectory)


def graph_run():
    """the graph run the scene shows: four graphs around the fixed subgraph, seed 0"""
    return conditional_trajectory(n=4, seed=0)


def claims():
    gtm = graph_model()
    err = known_error()
    g = graph_run()
    cond = condition_graph()
    kept = bool(np.all(g.adj[:, :, g.fixed] == cond[g.fixed]))
    # all three are facts of the construction: the samplers copy the known part, and the config says how
    # the graph model was trained
    return [fact("known_half_exact", err, err < 1e-5, "the digit's top half is held fixed"),
            fact("fixed_subgraph_unchanged", kept, kept, "the red subgraph is held fixed"),
            fact("graph_trained_with_fixed_subgraphs", gtm.config.cond_prob, True, choose(gtm.config.cond_prob, [
                (lambda p: p > 0, "the graph model was trained with fixed subgraphs"),
                (lambda p: True, "the graph model was trained without fixed subgraphs")]))]

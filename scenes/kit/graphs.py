"""Drawing graphs from the discrete diffusion model: a fixed layout, and edges redrawn per step.

Positions never move while edges change: each graph gets one layout (two circles, one per block
of the best two-block fit of the graph the trajectory ends in), and every frame only redraws the
edges present at that step.
"""
from __future__ import annotations

import numpy as np
from manim import Dot, VGroup, VMobject

from diffusion.models.graphs.data import SBMConfig, block_fit

from . import style
from .paths import straight_cubics


def two_circle_layout(adj: np.ndarray, family: SBMConfig, radius: float = 1.0, gap: float = 2.6,
                      first: tuple = ()) -> tuple[np.ndarray, list[int]]:
    """(n, 3) positions: each block of the best two-block fit of `adj` on its own circle.

    Returns the positions and the node order (block by block) used for adjacency-matrix panels.
    Nodes listed in `first` come first within their block, so a fixed subgraph sits together.
    """
    _, _, labels = block_fit(adj, family)
    n = len(labels)
    if first:                                    # the block holding most of `first` goes left
        left = int(round(np.mean([labels[i] for i in first])))
    else:
        left = int(labels[0])
    pos = np.zeros((n, 3))
    order = []
    for side, block in ((-1, left), (1, 1 - left)):
        nodes = [i for i in range(n) if labels[i] == block]
        nodes.sort(key=lambda i: (i not in first, i))
        order += nodes
        k = len(nodes)
        for j, i in enumerate(nodes):
            # start at the top, go round; the two circles mirror each other
            ang = np.pi / 2 - side * 2 * np.pi * j / k
            pos[i] = [side * gap / 2 + radius * np.cos(ang), radius * np.sin(ang), 0]
    return pos, order


def node_dots(pos: np.ndarray, fixed_nodes=(), radius: float = 0.09) -> VGroup:
    return VGroup(*[Dot(p, radius=radius, color=style.FIXED if i in fixed_nodes else style.GENERATED)
                    .set_z_index(2) for i, p in enumerate(pos)])


def segments(pos: np.ndarray, i: np.ndarray, j: np.ndarray, **style_kw) -> VMobject:
    """Straight segments from node i[k] to node j[k] as ONE VMobject (one subpath each): a Line per
    edge costs a mobject per edge per frame when the edges are redrawn at every step."""
    vm = VMobject(**style_kw)
    if len(i):
        vm.set_points(straight_cubics(pos[i], pos[j]).reshape(-1, 3))
    return vm


def edge_lines(adj: np.ndarray, pos: np.ndarray, fixed: np.ndarray | None = None, width: float = 2.0,
               color: str = style.TEXT, opacity: float = 0.55) -> VGroup:
    """The edges of `adj` (upper triangle): [plain edges, pairs in `fixed` drawn thicker in the FIXED
    colour], two VMobjects, so `become` per frame is a copy of two point arrays."""
    iu, ju = np.nonzero(np.triu(adj, 1))
    held = np.asarray(fixed, dtype=bool)[iu, ju] if fixed is not None else np.zeros(len(iu), dtype=bool)
    return VGroup(segments(pos, iu[~held], ju[~held], stroke_width=width, stroke_color=color, stroke_opacity=opacity),
                  segments(pos, iu[held], ju[held], stroke_width=width * 1.8, stroke_color=style.FIXED).set_z_index(1))


def adjacency_pixels(adj: np.ndarray, order: list[int]) -> np.ndarray:
    """The matrix with rows and columns in layout order (blocks show as squares on the diagonal)."""
    a = np.asarray(adj, dtype=np.float64)
    return a[np.ix_(order, order)]


def centre(pos: np.ndarray, at) -> np.ndarray:
    """Positions shifted so the layout's centre is at `at`."""
    return pos - (pos.max(0) + pos.min(0)) / 2 + np.asarray(at, dtype=float)


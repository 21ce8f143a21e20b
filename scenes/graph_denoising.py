"""GraphDenoising — discrete diffusion on graphs: a real graph dissolving into noise (forward), then
the trained denoiser generating graphs around a fixed red subgraph (reverse), edges flipping exactly
as the sampler flipped them. Every graph, matrix and number comes from the library."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, RIGHT, UP, FadeIn, FadeOut, Group, SurroundingRectangle, ValueTracker, VGroup, Write,
                   linear)

from scenes.kit import style
from scenes.kit.data import graph_denoising
from scenes.kit.data.graph_denoising import fixed_kept, forward_run, reverse_run, shown_graph
from scenes.kit.graphs import adjacency_pixels, centre, edge_lines, node_dots, two_circle_layout
from scenes.kit.images import framed, pixel_image
from scenes.kit.layout import footnote
from scenes.kit.models import COND_NODES, condition_graph, graph_model
from scenes.kit.numbers import GlyphNumber, LiveValue
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

GRAPH_AT = np.array([-2.6, -0.35, 0])      # centre of the big graph
MATRIX_H = 2.0                              # height of the adjacency-matrix panels


MATS_AT = (3.2, 5.35)          # x of the A_t and p(A_0 | A_t) matrices in the reverse beat


def live_matrices(traj, order, T: int, i_of) -> Group:
    """A_t and p_theta(A_0 | A_t) of the reverse run as framed pixel matrices that follow step i_of()."""
    def matrix(i, which):
        arr = traj.adj[i, 0] if which == 0 else traj.edge_prob[min(i, T - 1), 0]
        return pixel_image(adjacency_pixels(arr, order), 1.8, 0, 1).move_to([MATS_AT[which], 0.7, 0])

    mats = Group(framed(matrix(0, 0), style.STATE), framed(matrix(0, 1), style.PREDICTION))
    for which in (0, 1):
        mats[which][0].add_updater(lambda m, w=which: m.become(matrix(i_of(), w)))
    return mats


def step_readout(traj, T: int, i_of) -> VGroup:
    """t of the reverse step i_of() and how many node pairs that step flipped, kept up to date."""
    flipped = lambda i: int(np.triu(traj.adj[i, 0] != traj.adj[i - 1, 0], 1).sum()) if i else 0
    flipped_text = GlyphNumber(flipped(0), lambda n: "{} pair flipped in this step" if n == 1 else
                               "{} pairs flipped in this step", size=style.SMALL_SIZE, color=style.MUTED,
                               align="centre")
    text = VGroup(LiveValue("t", T, size=30, color=style.HIGHLIGHT), flipped_text).arrange(DOWN, buff=0.18)

    def update_info(m):
        m[0].set_value(T - i_of())
        m[1].set_value(flipped(i_of()))
    text.add_updater(update_info)
    return text


class GraphDenoising(DiffusionScene):
    description = "Discrete diffusion on graphs: edges flip to noise and back; a red subgraph stays fixed."
    data = graph_denoising

    def construct(self):
        tm = graph_model()
        T = tm.schedule.T
        self.beat("Diffusion also works on discrete data. Here: graphs, one coin per pair of nodes.", 3)
        self.title_card("Denoising graphs", "discrete diffusion over edges, with a fixed subgraph")
        self.forward(tm, T)
        self.reverse(tm, T)

    # --- a real graph dissolving -------------------------------------------------------------
    def forward(self, tm, T):
        fw = self.forward_parts(tm)
        sizes = tm.config.family.sizes
        blocks = (f"{len(sizes)} communities of {sizes[0]} nodes" if len(set(sizes)) == 1 else
                  f"communities of {', '.join(map(str, sizes))} nodes")
        self.next_beat(f"A real graph from the family: {blocks}, {self.facts['shown_graph_blocks'].text}.", 4)
        self.play(FadeIn(fw.heading), FadeIn(fw.dots), FadeIn(fw.edges), FadeIn(fw.mat), Write(fw.mat_name),
                  FadeIn(fw.text))
        self.wait(1.5)
        self.next_beat("Each step keeps a pair as it is with probability alpha_t, or redraws it from m: "
                       "no edge with probability 1 - rho, an edge with probability rho.", 4)
        self.play(Write(fw.eq), FadeIn(fw.m_note))
        self.wait(1)
        self.next_beat("Step by step the communities dissolve, until every pair is an independent coin.", 8)
        self.play(fw.k.animate.set_value(T), run_time=8, rate_func=linear)
        for mob in (fw.edges, fw.mat[0], fw.text):
            mob.clear_updaters()
        self.wait(1.5)
        self.hold_narration()
        self.play(FadeOut(Group(fw.heading, fw.eq, fw.dots, fw.edges, fw.mat, fw.mat_name, fw.text, fw.m_note)))

    def forward_parts(self, tm) -> SimpleNamespace:
        """The real graph (its edges following the tracker k through the forward run), its adjacency
        matrix, t, alpha_bar_t and the edge count under it, the equation and the footnote."""
        a0, traj = shown_graph(), forward_run()
        pos, order = two_circle_layout(a0, tm.config.family, radius=1.15, gap=3.7)
        pos = centre(pos, GRAPH_AT)
        heading = label("Forward: a real graph dissolves into noise", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        k = ValueTracker(0)
        i_of = lambda: int(round(k.get_value()))
        edges_at = lambda i: edge_lines(traj.adj[i], pos, color=style.SIGNAL if i == 0 else style.STATE, opacity=0.7)
        edges = edges_at(0)
        edges.add_updater(lambda m: m.become(edges_at(i_of())))
        mat = framed(pixel_image(adjacency_pixels(a0, order), MATRIX_H, 0, 1), style.STATE)
        mat.move_to([4.2, 0.6, 0])
        mat[0].add_updater(lambda m: m.become(pixel_image(adjacency_pixels(traj.adj[i_of()], order), MATRIX_H, 0, 1)
                                              .move_to(m)))
        alpha_bar = lambda i: 1.0 if i == 0 else tm.schedule.alpha_bar[i - 1].item()
        edge_count = lambda i: int(np.triu(traj.adj[i], 1).sum())
        # numbers update in place (LiveValue: no LaTeX compile per frame)
        text = VGroup(LiveValue("t", 0, size=30, color=style.HIGHLIGHT),
                      LiveValue(r"\bar\alpha_t", alpha_bar(0), decimals=2, size=28),
                      GlyphNumber(edge_count(0), "{} edges", size=style.SMALL_SIZE, color=style.MUTED, align="centre")
                      ).arrange(DOWN, buff=0.18).next_to(mat, DOWN, buff=0.35)

        def update_info(m):
            i = i_of()
            m[0].set_value(i)
            m[1].set_value(alpha_bar(i))
            m[2].set_value(edge_count(i))
        text.add_updater(update_info)
        return SimpleNamespace(
            heading=heading, dots=node_dots(pos), k=k, edges=edges, mat=mat, text=text,
            eq=math(r"q(A_t \mid A_0) = \mathrm{Cat}\big(A_t;\ A_0 \bar Q_t\big),\quad "
                    r"\bar Q_t = \bar\alpha_t I + (1-\bar\alpha_t)\,\mathbf{1} m^\top", size=30).next_to(heading, DOWN, buff=0.25),
            mat_name=math(r"A_t", color=style.STATE).next_to([4.2, 0.6 + MATRIX_H / 2, 0], UP, buff=0.15),
            # footnote(): the bottom line, scaled down only if it would not fit the frame's width
            m_note=footnote(f"per pair, one-hot A (no edge, edge);  m = (1 − ρ, ρ),  ρ = edge density of the training "
                            f"graphs = {tm.density:.3f}"))

    # --- generating around a fixed subgraph ------------------------------------------------------
    def reverse(self, tm, T):
        rv = self.reverse_parts(tm, T)
        self.next_beat(f"Now backwards. {len(COND_NODES)} nodes and the edges among them are held fixed, in red.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(rv.heading), FadeIn(rv.dots), FadeIn(rv.cond_edges), FadeIn(rv.legend))
        self.wait(1.5)
        self.next_beat("Everything else starts as independent coins with the data's edge density.", 3)
        self.play(FadeIn(rv.edges), FadeIn(rv.mats), Write(rv.names), FadeIn(rv.text))
        self.wait(1)
        self.next_beat("At each step the network predicts the clean graph; the posterior takes one step towards it.", 4)
        self.play(Write(rv.eq))
        self.wait(1.5)
        self.next_beat("Edges appear and vanish as the sampler flips them; the red subgraph never changes.", 9)
        self.play(rv.k.animate.set_value(T), run_time=9, rate_func=lambda a: a ** 0.8)
        for mob in (rv.edges, rv.mats[0][0], rv.mats[1][0], rv.text):
            mob.clear_updaters()
        self.wait(2)
        self.play(FadeOut(Group(rv.eq, rv.mats, rv.names, rv.text)))
        self.completions(tm, rv.traj, rv.cond, rv.traj.fixed, rv.heading, rv.dots, rv.edges, rv.cond_edges, rv.legend)

    def reverse_parts(self, tm, T) -> SimpleNamespace:
        """The sampled graph around the fixed subgraph (its edges following the tracker k through the
        reverse run), A_t and p(A_0 | A_t) as matrices, t and the flips of the step, the equation."""
        traj, cond = reverse_run(), condition_graph()
        fixed = traj.fixed
        pos, order = two_circle_layout(traj.final[0], tm.config.family, radius=1.15, gap=3.7, first=COND_NODES)
        pos = centre(pos, GRAPH_AT)
        heading = label("Reverse: generate around a fixed subgraph", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        k = ValueTracker(0)
        i_of = lambda: int(round(k.get_value()))
        edges_at = lambda i: edge_lines(traj.adj[i, 0], pos, fixed, color=style.GENERATED, opacity=0.6)
        edges = edges_at(0)
        edges.add_updater(lambda m: m.become(edges_at(i_of())))
        mats = live_matrices(traj, order, T, i_of)
        text = step_readout(traj, T, i_of).move_to([4.3, -1.05, 0])
        legend = VGroup(label("fixed subgraph (copied at every step)", style.SMALL_SIZE, style.FIXED),
                        label("generated", style.SMALL_SIZE, style.GENERATED)).arrange(RIGHT, buff=0.6)
        return SimpleNamespace(
            traj=traj, cond=cond, heading=heading, dots=node_dots(pos, COND_NODES), k=k, edges=edges, mats=mats, text=text,
            cond_edges=edge_lines(np.where(fixed, cond, 0), pos, fixed), legend=legend.to_edge(DOWN, buff=0.3),
            eq=math(r"p_\theta(A_{t-1} \mid A_t) = \sum_{A_0} q(A_{t-1} \mid A_t, A_0)\, p_\theta(A_0 \mid A_t)",
                    size=30).next_to(heading, DOWN, buff=0.25),
            names=VGroup(math(r"A_t", color=style.STATE).next_to([MATS_AT[0], 1.6, 0], UP, buff=0.12),
                         math(r"p_\theta(A_0 \mid A_t)", size=26, color=style.PREDICTION)
                         .next_to([MATS_AT[1], 1.6, 0], UP, buff=0.12)))

    def completions(self, tm, traj, cond, fixed, heading, dots, edges, cond_edges, legend):
        family = tm.config.family
        n = traj.adj.shape[1]
        kept = fixed_kept(traj, cond)
        small = []
        xs = np.linspace(-5.1, 5.1, n)
        for s in range(n):
            pos, _ = two_circle_layout(traj.final[s], family, radius=0.55, gap=1.45, first=COND_NODES)
            pos = centre(pos, [xs[s], -0.2, 0])
            g = Group(edge_lines(traj.final[s], pos, fixed, width=1.6, color=style.GENERATED, opacity=0.6),
                      node_dots(pos, COND_NODES, radius=0.06))
            small.append(Group(g, SurroundingRectangle(g, color=style.GRID, buff=0.15, stroke_width=1.5)))
        caption = label(f"{n} samples from different noise: different graphs, same red subgraph\n"
                        f"(unchanged at all {tm.schedule.T} steps in {kept} of {n})", style.SMALL_SIZE, style.TEXT)
        caption.next_to(Group(*small), DOWN, buff=0.6)
        if caption.width > 13.6:
            caption.scale_to_fit_width(13.6)
        self.next_beat("Different noise, different completions — each one built around the same fixed subgraph.", 5)
        self.play(FadeOut(Group(dots, edges, cond_edges)), FadeIn(Group(*small)), Write(caption))
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(Group(heading, legend, caption, *small)))

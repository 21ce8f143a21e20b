"""DiscreteVsContinuous — the continuous and the discrete model side by side on one shared t axis:
a digit completed around its known top half (Gaussian noise, T = 1000) and a graph completed around
its fixed red subgraph (edge flips, T = 100). Both runs are real; the scene loops (also as a GIF)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Dot, Group, Triangle, ValueTracker, VGroup, linear)

from scenes.kit import style
from scenes.kit.data import discrete_vs_continuous
from scenes.kit.data.discrete_vs_continuous import graph_run
from scenes.kit.data.image_inpainting import inpainting
from scenes.kit.graphs import centre, edge_lines, node_dots, two_circle_layout
from scenes.kit.images import known_box, pixel_image
from scenes.kit.models import COND_NODES, digits_model, graph_model
from scenes.kit.numbers import LiveValue
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

IMG_AT = np.array([-3.6, 0.95, 0])
GRAPH_AT = np.array([2.9, 0.95, 0])
CONT, DISC = style.NOISE, style.GENERATED      # colour of each model throughout


def ab_curve(sched):
    """alpha_bar of a schedule as a function of t / T (1 before the first step)."""
    ab = sched.alpha_bar.numpy()
    T = sched.T
    return lambda x: float(np.interp(x * T - 1, np.arange(T), ab, left=1.0))


class DiscreteVsContinuous(DiffusionScene):
    description = "Continuous (digit) and discrete (graph) diffusion side by side on one t axis; loops as a GIF."
    data = discrete_vs_continuous

    def construct(self):
        itm, gtm = digits_model(), graph_model()
        s = SimpleNamespace(itm=itm, gtm=gtm, itraj=inpainting(), gtraj=graph_run(),
                            clock=ValueTracker(1.0))       # shared clock: t / T, from 1 (noise) to 0 (data)
        s.img_index = lambda: int(round((1 - s.clock.get_value()) * len(s.itraj.timesteps)))
        s.graph_index = lambda: int(round((1 - s.clock.get_value()) * len(s.gtraj.timesteps)))
        everything = Group(*self.panels(s), *self.shared_axis(s))
        self.beat("Two models, one idea. Left: pixels with Gaussian noise. Right: edges that flip.", 3)
        self.add(everything)                       # no fade-in: the first frame is also the loop's last
        self.wait(1)
        self.next_beat("On one shared clock t/T both run from pure noise to data, each around what is held fixed: "
                       f"{self.facts['graph_trained_with_fixed_subgraphs'].text}, the image model without any "
                       "conditioning, held by replacement.", 7)
        self.play(s.clock.animate.set_value(0.0), run_time=7, rate_func=linear)
        self.wait(2)
        self.hold_narration()                     # the finished frame stays until the narration is read
        # loop: back to the first frame (the same noise the run started from)
        self.play(s.clock.animate.set_value(1.0), run_time=0.6, rate_func=linear)
        self.wait(0.4)

    def panels(self, s):
        """The digit (left) and the graph (right), each redrawn from its run at the clock's step, with its t."""
        itraj, gtraj, Ti, Tg = s.itraj, s.gtraj, s.itm.schedule.T, s.gtm.schedule.T
        pos, _ = two_circle_layout(gtraj.final[0], s.gtm.config.family, radius=0.95, gap=2.9, first=COND_NODES)
        pos = centre(pos, GRAPH_AT)
        left_title = label("continuous: Gaussian noise on pixels", style.SMALL_SIZE, CONT)
        right_title = label("discrete: edges flip on and off", style.SMALL_SIZE, DISC)
        left_title.move_to([IMG_AT[0], 3.45, 0])
        right_title.move_to([GRAPH_AT[0], 3.45, 0])
        img = pixel_image(np.clip(itraj.x[0, 0, 0], -1, 1), 2.7).move_to(IMG_AT)
        img.add_updater(lambda m: m.become(pixel_image(np.clip(itraj.x[s.img_index(), 0, 0], -1, 1), 2.7).move_to(IMG_AT)))
        box = known_box(img)
        dots = node_dots(pos, COND_NODES, radius=0.085)
        edges = edge_lines(gtraj.adj[0, 0], pos, gtraj.fixed, color=style.GENERATED, opacity=0.6)
        edges.add_updater(lambda m: m.become(edge_lines(gtraj.adj[s.graph_index(), 0], pos, gtraj.fixed,
                                                        color=style.GENERATED, opacity=0.6)))
        img_at = img.get_bottom() + DOWN * 0.3
        g_at = np.array([GRAPH_AT[0], img_at[1], 0])
        img_t = LiveValue("t", Ti, size=26, color=style.HIGHLIGHT).move_to(img_at)
        img_t.add_updater(lambda m: m.set_value(max(Ti - s.img_index(), 0)).move_to(img_at))
        g_t = LiveValue("t", Tg, size=26, color=style.HIGHLIGHT).move_to(g_at)
        g_t.add_updater(lambda m: m.set_value(max(Tg - s.graph_index(), 0)).move_to(g_at))
        kept = label("kept: top half / red subgraph", style.SMALL_SIZE, style.FIXED).move_to([0, 2.95, 0])
        return left_title, right_title, img, box, dots, edges, img_t, g_t, kept

    def shared_axis(self, s):
        """The shared t axis with both alpha_bar curves and a marker at the clock."""
        itm, gtm, clock = s.itm, s.gtm, s.clock
        axes = Axes(x_range=[0, 1, 0.25], y_range=[0, 1, 0.5], x_length=7.0, y_length=1.6, tips=False,
                    axis_config=dict(color=style.MUTED, stroke_width=2, include_ticks=True))
        axes.move_to([1.2, -2.55, 0])
        fi, fg = ab_curve(itm.schedule), ab_curve(gtm.schedule)
        ci = axes.plot(fi, x_range=[0, 1, 0.005], color=CONT, stroke_width=3)
        cg = axes.plot(fg, x_range=[0, 1, 0.005], color=DISC, stroke_width=3)
        x_name = math(r"t / T", size=style.TICK_SIZE, color=style.MUTED).next_to(axes.x_axis, RIGHT, buff=0.15)
        y_name = math(r"\bar\alpha_t", size=style.TICK_SIZE, color=style.MUTED).next_to(axes.y_axis.get_top(), LEFT, buff=0.15)
        ticks = VGroup(*[math(v, size=style.TICK_SIZE, color=style.MUTED).next_to(axes.c2p(float(v), 0), DOWN, buff=0.12)
                         for v in ("0", "1")])
        names = VGroup(label(f"pixels: {itm.config.schedule}, T = {itm.schedule.T}", style.SMALL_SIZE, CONT),
                       label(f"edges: {gtm.config.schedule}, T = {gtm.schedule.T}", style.SMALL_SIZE, DISC))
        names.arrange(DOWN, aligned_edge=LEFT, buff=0.12).next_to(axes, LEFT, buff=0.6).shift(DOWN * 0.2)
        di = Dot(axes.c2p(1, fi(1)), color=CONT, radius=0.07)
        dg = Dot(axes.c2p(1, fg(1)), color=DISC, radius=0.07)
        di.add_updater(lambda m: m.move_to(axes.c2p(clock.get_value(), fi(clock.get_value()))))
        dg.add_updater(lambda m: m.move_to(axes.c2p(clock.get_value(), fg(clock.get_value()))))
        marker = Triangle(color=style.HIGHLIGHT, fill_opacity=1).scale(0.08).rotate(np.pi)
        marker.add_updater(lambda m: m.next_to(axes.c2p(clock.get_value(), 1.0), UP, buff=0.02))
        marker.update()                            # placed now: a static first frame runs no updater
        return axes, ci, cg, x_name, y_name, ticks, names, di, dg, marker

"""MarkovChain — a real image walks x_0 -> x_1 -> ... -> x_T through the one-step kernel
q(x_t | x_{t-1}); its pixel histogram drifts to N(0, 1); and many chains are measured against the
closed form q(x_t | x_0) — the figures on screen are computed, not claimed.

IMAGE=path/to/photo.jpg CROP=x,y,w,h choose the image (default: scikit-learn's china.jpg)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, FadeIn, FadeOut, Group, Line,
                   SurroundingRectangle, Text, ValueTracker, VGroup, Write)

from diffusion.core.schedule import NoiseSchedule
from scenes.kit import style
from scenes.kit.data import markov_chain
from scenes.kit.data.markov_chain import (N_CHAINS, RES, SCHEDULE, T, describe_source, measured, scene_image,
                                          table_rows, walked_chain)
from scenes.kit.images import framed, pixel_image
from scenes.kit.numbers import Tracked
from scenes.kit.plots import density_histogram, density_overlay
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

BIG = 3.4                                  # height of the walked image (6.4 screen px a pixel at 480p)
EDGES = np.linspace(-4, 4, 41)             # histogram bins (width 0.2)

COLUMNS = (r"t", r"\text{mean: walk}", r"\text{mean: jump}", r"\sqrt{\bar\alpha_t}\,\overline{x_0}",
           r"\text{var: walk}", r"\text{var: jump}", r"1-\bar\alpha_t", r"\text{KS } D", r"D\text{: wrong}")


class MarkovChain(DiffusionScene):
    description = ("A real image walks the forward Markov chain x_0 -> x_T; its histogram drifts to N(0,1); "
                   "many chains measured against the closed form. IMAGE=... CROP=x,y,w,h.")
    data = markov_chain

    @classmethod
    def validate_inputs(cls):
        markov_chain.validate_inputs()

    def construct(self):
        self.s = NoiseSchedule(SCHEDULE, T)
        self.x0 = scene_image()
        self.chain = walked_chain(self.x0)          # (T+1, RES, RES): row t is x_t

        # --- Title -------------------------------------------------------------------------
        self.beat("The forward process is a Markov chain: each state is made from the previous one only.", 3.5)
        self.title_card("The forward Markov chain", "an image, walked one small noise step at a time")

        row = self.chain_row()
        self.walk(row)
        self.compare()

    # ------------------------------------------------------------------------------------------
    def chain_row(self):
        """x_0 -> x_1 -> x_2 -> ... -> x_T as a row of images, built arrow by arrow, with the kernel."""
        heading = VGroup(math(r"x_0 \to x_1 \to x_2 \to \cdots \to x_T", size=34, color=style.TEXT))
        heading.to_edge(UP, buff=0.3)
        row = self.chain_parts(heading)
        b1, bT = self.s.betas[0].item(), self.s.betas[-1].item()
        kernel = math(r"q(x_t \mid x_{t-1}) = \mathcal{N}\big(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t\,\mathbf{I}\big)",
                      size=32).next_to(row.names, DOWN, buff=0.35)
        betas = math(rf"\beta_1 = {b1:.4f}, \qquad \beta_T = {bT:.2f}", size=28, color=style.MUTED)
        betas.next_to(kernel, DOWN, buff=0.25)
        src = label(f"image: {describe_source()}, {RES}×{RES} grayscale", style.SMALL_SIZE, style.MUTED).to_corner(DOWN + RIGHT, buff=0.3)

        self.next_beat("Start from a real image, x_0, and apply the same small noising kernel again and again.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), FadeIn(row.items[0]), FadeIn(row.names[0]), FadeIn(src))
        self.play(Write(kernel))
        self.wait(1.5)
        self.next_beat("Each arrow is one draw from q(x_t | x_{t-1}): shrink the image slightly, add a little noise.", 4.2)
        self.grow_chain(row)
        self.wait(1)
        self.next_beat(f"One step adds very little: beta_1 = {b1:.4f} is the variance of its noise, a standard "
                       f"deviation of {b1 ** 0.5:.2f}. After {T} steps nothing of the image is left.", 5.5)
        self.play(FadeIn(betas))
        self.wait(4.5)
        self.hold_narration()
        self.play(FadeOut(Group(kernel, betas, heading, src)))
        return Group(row.group, row.arrow_labels, row.names)

    def chain_parts(self, heading) -> SimpleNamespace:
        """The row under the heading: images of x_0, x_1, x_2, a "..." and x_T, the arrows between them,
        the kernels above three arrows and the names under the images."""
        shown = (0, 1, 2, None, T)          # None marks the dots
        size = 2.3                          # 32 px images: 4.3 screen px a pixel at 480p
        items = [math(r"\cdots", size=40, color=style.MUTED) if t is None else
                 framed(pixel_image(self.chain[t], size), style.SIGNAL if t == 0 else style.STATE) for t in shown]
        arrows = [Arrow(LEFT, RIGHT, buff=0, color=style.MUTED, stroke_width=3, max_tip_length_to_length_ratio=0.3)
                  .scale(0.22 if after is None else 0.36) for after in shown[1:]]
        group = Group(*[m for pair in zip(items, arrows + [None]) for m in pair if m is not None])
        group.arrange(RIGHT, buff=0.12)
        if group.width > 13.4:                 # keep a margin at 480p
            group.scale_to_fit_width(13.4)
        group.next_to(heading, DOWN, buff=0.9)
        kernels = {0: r"q(x_1 \mid x_0)", 1: r"q(x_2 \mid x_1)", 3: r"q(x_T \mid x_{T-1})"}
        # above the row (the arrows are short; a label there would cover the images beside it)
        arrow_labels = VGroup(*[math(tex, size=26, color=style.TEXT).move_to(arrows[i]).set_y(group.get_top()[1] + 0.25)
                                for i, tex in kernels.items()])
        names = VGroup(*[math("x_0" if t == 0 else ("x_T" if t == T else f"x_{t}"), size=26,
                              color=style.SIGNAL if t == 0 else style.STATE).next_to(it, DOWN, buff=0.1)
                         for t, it in zip(shown, items) if t is not None])
        return SimpleNamespace(shown=shown, items=items, arrows=arrows, group=group, kernels=kernels,
                               arrow_labels=arrow_labels, names=names)

    def grow_chain(self, row):
        """One arrow, its kernel (where it has one), the next image and its name at a time."""
        k = 0
        for i, it in enumerate(row.items[1:], start=1):
            anims = [Create(row.arrows[i - 1])]
            if (i - 1) in row.kernels:
                anims.append(FadeIn(row.arrow_labels[list(row.kernels).index(i - 1)]))
            anims.append(FadeIn(it))
            if row.shown[i] is not None:
                k += 1
                anims.append(FadeIn(row.names[k]))
            self.play(*anims, run_time=0.8)

    # ------------------------------------------------------------------------------------------
    def walk(self, row):
        """One chain walked, large: x_t on the left, its pixel histogram drifting to N(0, 1) on the right."""
        self.play(FadeOut(row))             # the walk below shows the same chain, large
        w = self.walk_parts()
        self.next_beat("Follow one chain. Left, the current state x_t; right, the histogram of its pixel values.", 4)
        self.play(FadeIn(w.big), FadeIn(w.t_read), FadeIn(w.src), Create(w.axes), FadeIn(w.x_lab), FadeIn(w.hist_title))
        self.add(w.hist)
        self.play(FadeIn(w.stats))
        self.wait(2)
        self.next_beat("The standard normal density, for reference.", 2)
        self.play(Create(w.normal), FadeIn(w.normal_lab))
        self.wait(1)
        self.next_beat(f"Walk the chain: {T} draws from the one-step kernel. "
                       "The image fades and the histogram spreads towards N(0, 1).", 13)
        self.play(w.t.animate.set_value(T), run_time=12, rate_func=lambda a: a ** 2)
        self.wait(1)
        end = self.chain[T]
        self.next_beat(f"At t = T the pixels have mean {end.mean():+.2f} and standard deviation {end.std():.2f}: "
                       "pure noise, whatever image we started from.", 5)
        self.wait(5)
        for m in (w.big, w.hist):
            m.clear_updaters()
        for r in (w.t_read, *w.stats[1:]):
            r.stop()
        self.hold_narration()
        self.play(FadeOut(Group(w.big, w.t_read, w.axes, w.x_lab, w.hist, w.normal, w.normal_lab, w.stats, w.hist_title,
                                w.src)))

    def walk_parts(self) -> SimpleNamespace:
        """The walk's mobjects; x_t, its histogram and the read-outs follow the tracker t."""
        t = ValueTracker(0)
        k_of = lambda: int(round(t.get_value()))
        big = framed(pixel_image(self.chain[0], BIG), style.STATE).to_edge(LEFT, buff=0.6).shift(DOWN * 0.2)
        big.add_updater(lambda m: m[0].become(pixel_image(self.chain[k_of()], BIG).move_to(m[0])))
        t_read = Tracked("t =", k_of, size=32, color=style.HIGHLIGHT).next_to(big, UP, buff=0.2)
        dens0, _ = np.histogram(self.x0, bins=EDGES, density=True)
        y_max = float(np.clip(np.ceil(dens0.max() * 2) / 2, 0.5, 2.0))
        axes = histogram_axes(y_max)
        hist = density_histogram(axes, self.chain[0], EDGES, style.STATE, y_max=y_max)
        hist.add_updater(lambda m: m.become(density_histogram(axes, self.chain[k_of()], EDGES, style.STATE,
                                                              y_max=y_max)))
        normal_lab = math(r"\mathcal{N}(0, 1)", size=28, color=style.HIGHLIGHT)
        normal_lab.next_to(axes.c2p(1.2, 0.3), RIGHT, buff=0.15)
        stat = lambda tex, fn, sign: Tracked(tex, lambda: fn(self.chain[k_of()]), 2, size=28, buff=0.12, sign=sign)
        stats = VGroup(label("all pixels of xₜ", style.SMALL_SIZE, style.MUTED),
                       stat(r"\text{mean} =", np.mean, True), stat(r"\text{std} =", np.std, False))
        stats.arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        stats.move_to([(big.get_right()[0] + axes.get_left()[0]) / 2, big.get_y(), 0])
        return SimpleNamespace(
            t=t, big=big, t_read=t_read, axes=axes, hist=hist, normal=density_overlay(axes, color=style.HIGHLIGHT),
            normal_lab=normal_lab, stats=stats,
            x_lab=label("pixel value", style.SMALL_SIZE, style.MUTED).next_to(axes.x_axis, DOWN, buff=0.38),
            hist_title=label(f"histogram of the {RES * RES} pixel values", style.SMALL_SIZE, style.MUTED)
            .next_to(axes, UP, buff=0.2),
            src=label(describe_source(), style.SMALL_SIZE, style.MUTED).next_to(big, DOWN, buff=0.12))

    # ------------------------------------------------------------------------------------------
    def compare(self):
        """Many chains walked against as many closed-form jumps: the table, then its columns read in turn."""
        st = measured(self.x0)
        heading = label("Walk the chain, or jump straight there?", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        walk, jump = self.routes(heading)
        table = MeasureTable(table_rows(st), top=VGroup(walk, jump).get_bottom()[1] - 0.55)
        crit = float(st["ks_crit"][0])
        foot = compare_footnotes(crit)
        self.next_beat("Does walking the chain give the same distribution as the closed-form jump? Measure it.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading))
        self.play(FadeIn(walk))
        self.play(FadeIn(jump))
        self.wait(1.5)
        self.next_beat(f"{N_CHAINS} independent chains against {N_CHAINS} independent jumps, at {len(st['t'])} values of t.", 4)
        self.play(FadeIn(table.header), Create(table.rule))
        self.play(*[FadeIn(r, shift=UP * 0.1) for r in table.body], run_time=2, lag_ratio=0.3)
        self.wait(2)
        self.next_beat("The means agree with each other and with square root alpha-bar times the image mean, "
                       f"to sampling error; but {self.facts['means_cannot_tell_wrong_form'].text}.", 6)
        self.play(*[Create(table.box(j, style.STATE)) for j in (1, 2, 3)], run_time=1)
        self.wait(3.5)
        self.next_beat("The variances match one minus alpha-bar.", 4)
        boxes = [table.box(j, style.NOISE) for j in (4, 5, 6)]
        self.play(*[Create(b) for b in boxes])
        self.wait(3.5)
        self.next_beat(f"Between walk and jump, {self.facts['ks_over_critical'].text} (critical value {crit:.4f}).", 6.5)
        self.play(FadeIn(foot[:2]), Create(table.box(7, style.HIGHLIGHT)))
        self.wait(6)
        self.next_beat(f"For scale: a wrong closed form with the square roots dropped is far off, D up to "
                       f"{st['ks_wrong'].max():.2f}, except at t = T where both are pure noise.", 5.5)
        self.play(FadeIn(foot[2]))
        self.wait(5.5)
        self.hold_narration()
        self.play(*[FadeOut(m) for m in self.mobjects])

    def routes(self, heading):
        """The two ways to x_t, one line each under the heading."""
        walk = math(rf"\text{{walk: }}{N_CHAINS}\text{{ chains }}x_0 \to x_1 \to \cdots \to x_t", size=28,
                    color=style.STATE)
        jump = math(rf"\text{{jump: }}{N_CHAINS}\text{{ draws }}x_t = \sqrt{{\bar\alpha_t}}\,x_0 + "
                    rf"\sqrt{{1-\bar\alpha_t}}\,\epsilon", size=28, color=style.TEXT)
        jump[0][-12:].set_color(style.NOISE)
        VGroup(walk, jump).arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(heading, DOWN, buff=0.3)
        return walk, jump


def histogram_axes(y_max: float):
    """Pixel value -4..4 against density 0..y_max on the right of the frame; the density's numbers
    hidden (only the shape matters here)."""
    from manim import Axes

    axes = Axes(x_range=[-4, 4, 1], y_range=[0, y_max, 0.5], x_length=6.0, y_length=3.6, tips=False,
                axis_config=dict(color=style.MUTED, stroke_width=2, font_size=style.TICK_SIZE),
                x_axis_config=dict(include_numbers=True), y_axis_config=dict(include_numbers=True))
    axes.x_axis.numbers.set_color(style.MUTED)
    axes.y_axis.numbers.set_color(style.MUTED).set_opacity(0)
    axes.y_axis.set_stroke(opacity=0.35)
    return axes.to_edge(RIGHT, buff=0.6).shift(DOWN * 0.3)


class MeasureTable(VGroup):
    """The walk-against-jump table: COLUMNS as the header at height `top`, a rule under it, a row per
    measured t; walk columns in the state colour, KS D highlighted, the wrong form's D muted."""

    COL_X = (-6.35, -4.8, -3.2, -1.65, -0.05, 1.5, 2.95, 4.35, 5.85)
    COL_COLOR = {1: style.STATE, 4: style.STATE, 7: style.HIGHLIGHT, 8: style.MUTED}

    def __init__(self, rows, top: float):
        header = [math(c, size=27, color=style.MUTED) for c in COLUMNS]
        cells = [[Text(v, font_size=24, color=style.TEXT) for v in r] for r in rows]
        for j, h in enumerate(header):
            h.move_to([self.COL_X[j], top, 0])
        for i, r in enumerate(cells):
            for j, c in enumerate(r):
                c.move_to([self.COL_X[j], top - 0.6 * (i + 1), 0])
                if j in self.COL_COLOR:
                    c.set_color(self.COL_COLOR[j])
        header = VGroup(*header)
        rule = Line([-6.8, top - 0.3, 0], [6.8, top - 0.3, 0], color=style.GRID, stroke_width=2)
        body = VGroup(*[VGroup(*r) for r in cells])
        super().__init__(header, rule, body)
        self.cells, self.header, self.rule, self.body = cells, header, rule, body

    def box(self, j: int, color) -> SurroundingRectangle:
        """A frame around column j, header included."""
        return SurroundingRectangle(VGroup(*[r[j] for r in self.cells], self.header[j]), color=color, buff=0.08,
                                    stroke_width=2)


def compare_footnotes(crit: float) -> VGroup:
    """What the table's columns measure, three lines at the bottom of the frame."""
    foot = VGroup(
        label("mean over all chains and pixels;  var: across chains, averaged over the pixels", style.SMALL_SIZE, style.MUTED),
        label(f"KS D: two-sample Kolmogorov–Smirnov, {N_CHAINS * RES * RES:,} pixel values per method;  "
              f"5 % critical value {crit:.4f}", style.SMALL_SIZE, style.MUTED),
        label("D: wrong — the walk against a wrong jump with the square roots dropped, "
              "ᾱ_t x₀ + (1 − ᾱ_t) ε, for scale", style.SMALL_SIZE, style.MUTED),
    )
    for line in foot:                   # inside the frame; 13.6 units keeps 22-pt text above 11 px
        if line.width > 13.6:
            line.scale_to_fit_width(13.6)
    return foot.arrange(DOWN, aligned_edge=LEFT, buff=0.12).to_edge(DOWN, buff=0.35)

"""MarkovChain — a real image walks x_0 -> x_1 -> ... -> x_T through the one-step kernel
q(x_t | x_{t-1}); its pixel histogram drifts to N(0, 1); and many chains are measured against the
closed form q(x_t | x_0) — the figures on screen are computed, not claimed.

IMAGE=path/to/photo.jpg CROP=x,y,w,h choose the image (default: scikit-learn's china.jpg)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Create, FadeIn, FadeOut, Group, Line,
                   SurroundingRectangle, Text, ValueTracker, VGroup, Write)

from diffusion.core.schedule import NoiseSchedule
from scenes.kit import style
from scenes.kit.data import markov_chain
from scenes.kit.data.markov_chain import (N_CHAINS, RES, SCHEDULE, T, describe_source, measured, scene_image,
                                          table_rows, walked_chain)
from scenes.kit.images import framed, pixel_image
from scenes.kit.numbers import GlyphNumber
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
        heading = VGroup(math(r"x_0 \to x_1 \to x_2 \to \cdots \to x_T", size=34, color=style.TEXT))
        heading.to_edge(UP, buff=0.3)
        shown = (0, 1, 2, None, T)          # None marks the dots
        size = 2.3                          # 32 px images: 4.3 screen px a pixel at 480p
        items, names = [], []
        for t in shown:
            if t is None:
                items.append(math(r"\cdots", size=40, color=style.MUTED))
                continue
            color = style.SIGNAL if t == 0 else style.STATE
            items.append(framed(pixel_image(self.chain[t], size), color))
        arrows = []
        group = Group()
        for i, it in enumerate(items):
            group.add(it)
            if i < len(items) - 1:
                a = Arrow(LEFT, RIGHT, buff=0, color=style.MUTED, stroke_width=3,
                          max_tip_length_to_length_ratio=0.3).scale(0.22 if shown[i + 1] is None else 0.36)
                arrows.append(a)
                group.add(a)
        group.arrange(RIGHT, buff=0.12)
        if group.width > 13.4:                 # keep a margin at 480p
            group.scale_to_fit_width(13.4)
        group.next_to(heading, DOWN, buff=0.9)
        kernel_labels = {0: r"q(x_1 \mid x_0)", 1: r"q(x_2 \mid x_1)", 3: r"q(x_T \mid x_{T-1})"}
        arrow_labels = VGroup()
        for i, tex in kernel_labels.items():
            # above the row (the arrows are short; a label there would cover the images beside it)
            arrow_labels.add(math(tex, size=26, color=style.TEXT).move_to(arrows[i]).set_y(group.get_top()[1] + 0.25))
        for t, it in zip(shown, items):
            if t is not None:
                names.append(math("x_0" if t == 0 else ("x_T" if t == T else f"x_{t}"), size=26,
                                  color=style.SIGNAL if t == 0 else style.STATE).next_to(it, DOWN, buff=0.1))
        names = VGroup(*names)
        b1, bT = self.s.betas[0].item(), self.s.betas[-1].item()
        kernel = math(r"q(x_t \mid x_{t-1}) = \mathcal{N}\big(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t\,\mathbf{I}\big)",
                      size=32).next_to(names, DOWN, buff=0.35)
        betas = math(rf"\beta_1 = {b1:.4f}, \qquad \beta_T = {bT:.2f}", size=28, color=style.MUTED)
        betas.next_to(kernel, DOWN, buff=0.25)
        src = label(f"image: {describe_source()}, {RES}×{RES} grayscale", style.SMALL_SIZE, style.MUTED).to_corner(DOWN + RIGHT, buff=0.3)

        self.next_beat("Start from a real image, x_0, and apply the same small noising kernel again and again.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), FadeIn(items[0]), FadeIn(names[0]), FadeIn(src))
        self.play(Write(kernel))
        self.wait(1.5)
        self.next_beat("Each arrow is one draw from q(x_t | x_{t-1}): shrink the image slightly, add a little noise.", 4.2)
        k = 0
        for i, it in enumerate(items[1:], start=1):
            anims = [Create(arrows[i - 1])]
            if (i - 1) in kernel_labels:
                anims.append(FadeIn(arrow_labels[list(kernel_labels).index(i - 1)]))
            anims.append(FadeIn(it))
            if shown[i] is not None:
                k += 1
                anims.append(FadeIn(names[k]))
            self.play(*anims, run_time=0.8)
        self.wait(1)
        self.next_beat(f"One step adds very little: beta_1 = {b1:.4f} is the variance of its noise, a standard "
                       f"deviation of {b1 ** 0.5:.2f}. After {T} steps nothing of the image is left.", 5.5)
        self.play(FadeIn(betas))
        self.wait(4.5)
        self.hold_narration()
        self.play(FadeOut(Group(kernel, betas, heading, src)))
        return Group(group, arrow_labels, names)

    # ------------------------------------------------------------------------------------------
    def walk(self, row):
        from manim import Axes

        self.play(FadeOut(row))             # the walk below shows the same chain, large
        t = ValueTracker(0)
        k_of = lambda: int(round(t.get_value()))

        big = framed(pixel_image(self.chain[0], BIG), style.STATE).to_edge(LEFT, buff=0.6).shift(DOWN * 0.2)
        big.add_updater(lambda m: m[0].become(pixel_image(self.chain[k_of()], BIG).move_to(m[0])))
        t_lab = math("t =", size=32, color=style.HIGHLIGHT)
        t_num = GlyphNumber(0, size=32, color=style.HIGHLIGHT, kind="tex").next_to(t_lab, RIGHT, buff=0.15)
        t_num.add_updater(lambda m: m.set_value(k_of()))
        t_read = VGroup(t_lab, t_num).next_to(big, UP, buff=0.2)

        dens0, _ = np.histogram(self.x0, bins=EDGES, density=True)
        y_max = float(np.clip(np.ceil(dens0.max() * 2) / 2, 0.5, 2.0))
        axes = Axes(x_range=[-4, 4, 1], y_range=[0, y_max, 0.5], x_length=6.0, y_length=3.6, tips=False,
                    axis_config=dict(color=style.MUTED, stroke_width=2, font_size=style.TICK_SIZE),
                    x_axis_config=dict(include_numbers=True), y_axis_config=dict(include_numbers=True))
        axes.x_axis.numbers.set_color(style.MUTED)
        axes.y_axis.numbers.set_color(style.MUTED).set_opacity(0)   # only the shape matters here
        axes.y_axis.set_stroke(opacity=0.35)
        axes.to_edge(RIGHT, buff=0.6).shift(DOWN * 0.3)
        x_lab = label("pixel value", style.SMALL_SIZE, style.MUTED).next_to(axes.x_axis, DOWN, buff=0.38)
        hist = density_histogram(axes, self.chain[0], EDGES, style.STATE, y_max=y_max)
        hist.add_updater(lambda m: m.become(density_histogram(axes, self.chain[k_of()], EDGES, style.STATE,
                                                              y_max=y_max)))
        normal = density_overlay(axes, color=style.HIGHLIGHT)
        normal_lab = math(r"\mathcal{N}(0, 1)", size=28, color=style.HIGHLIGHT)
        normal_lab.next_to(axes.c2p(1.2, 0.3), RIGHT, buff=0.15)

        def stat(tex, fn, sign):
            lab = math(tex, size=28, color=style.TEXT)
            num = GlyphNumber(fn(self.chain[0]), decimals=2, size=28, color=style.TEXT, kind="tex",
                              sign=sign).next_to(lab, RIGHT, buff=0.12)
            num.add_updater(lambda m: m.set_value(fn(self.chain[k_of()])))
            return VGroup(lab, num)
        stats = VGroup(label("all pixels of x_t", style.SMALL_SIZE, style.MUTED),
                       stat(r"\text{mean} =", np.mean, True), stat(r"\text{std} =", np.std, False))
        stats.arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        stats.move_to([(big.get_right()[0] + axes.get_left()[0]) / 2, big.get_y(), 0])
        hist_title = label(f"histogram of the {RES * RES} pixel values", style.SMALL_SIZE, style.MUTED)
        hist_title.next_to(axes, UP, buff=0.2)
        src = label(describe_source(), style.SMALL_SIZE, style.MUTED).next_to(big, DOWN, buff=0.12)

        self.next_beat("Follow one chain. Left, the current state x_t; right, the histogram of its pixel values.", 4)
        self.play(FadeIn(big), FadeIn(t_read), FadeIn(src), Create(axes), FadeIn(x_lab), FadeIn(hist_title))
        self.add(hist)
        self.play(FadeIn(stats))
        self.wait(2)
        self.next_beat("The standard normal density, for reference.", 2)
        self.play(Create(normal), FadeIn(normal_lab))
        self.wait(1)
        self.next_beat(f"Walk the chain: {T} draws from the one-step kernel. "
                       "The image fades and the histogram spreads towards N(0, 1).", 13)
        self.play(t.animate.set_value(T), run_time=12, rate_func=lambda a: a ** 2)
        self.wait(1)
        end = self.chain[T]
        self.next_beat(f"At t = T the pixels have mean {end.mean():+.2f} and standard deviation {end.std():.2f}: "
                       "pure noise, whatever image we started from.", 5)
        self.wait(5)
        for m in (big, t_num, hist, *[s[1] for s in stats[1:]]):
            m.clear_updaters()
        self.hold_narration()
        self.play(FadeOut(Group(big, t_read, axes, x_lab, hist, normal, normal_lab, stats, hist_title, src)))

    # ------------------------------------------------------------------------------------------
    def compare(self):
        st = measured(self.x0)
        n_values = N_CHAINS * RES * RES
        heading = label("Walk the chain, or jump straight there?", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        walk = math(rf"\text{{walk: }}{N_CHAINS}\text{{ chains }}x_0 \to x_1 \to \cdots \to x_t", size=28,
                    color=style.STATE)
        jump = math(rf"\text{{jump: }}{N_CHAINS}\text{{ draws }}x_t = \sqrt{{\bar\alpha_t}}\,x_0 + "
                    rf"\sqrt{{1-\bar\alpha_t}}\,\epsilon", size=28, color=style.TEXT)
        jump[0][-12:].set_color(style.NOISE)
        routes = VGroup(walk, jump).arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(heading, DOWN, buff=0.3)

        rows = table_rows(st)
        header = [math(c, size=27, color=style.MUTED) for c in COLUMNS]
        cells = [[Text(v, font_size=24, color=style.TEXT) for v in r] for r in rows]
        col_x = np.array([-6.35, -4.8, -3.2, -1.65, -0.05, 1.5, 2.95, 4.35, 5.85])
        y0 = routes.get_bottom()[1] - 0.55
        for j, h in enumerate(header):
            h.move_to([col_x[j], y0, 0])
        for i, r in enumerate(cells):
            for j, c in enumerate(r):
                c.move_to([col_x[j], y0 - 0.6 * (i + 1), 0])
                if j in (1, 4):
                    c.set_color(style.STATE)
                if j == 7:
                    c.set_color(style.HIGHLIGHT)
                if j == 8:
                    c.set_color(style.MUTED)
        header = VGroup(*header)
        rule = Line([-6.8, y0 - 0.3, 0], [6.8, y0 - 0.3, 0], color=style.GRID, stroke_width=2)
        body = VGroup(*[VGroup(*r) for r in cells])
        crit = float(st["ks_crit"][0])
        foot = VGroup(
            label("mean over all chains and pixels;  var: across chains, averaged over the pixels", style.SMALL_SIZE, style.MUTED),
            label(f"KS D: two-sample Kolmogorov–Smirnov, {n_values:,} pixel values per method;  "
                  f"5 % critical value {crit:.4f}", style.SMALL_SIZE, style.MUTED),
            label("D: wrong — the walk against a wrong jump with the square roots dropped, "
                  "ᾱ_t x₀ + (1 − ᾱ_t) ε, for scale", style.SMALL_SIZE, style.MUTED),
        )
        for line in foot:                   # inside the frame; 13.6 units keeps 22-pt text above 11 px
            if line.width > 13.6:
                line.scale_to_fit_width(13.6)
        foot.arrange(DOWN, aligned_edge=LEFT, buff=0.12).to_edge(DOWN, buff=0.35)

        self.next_beat("Does walking the chain give the same distribution as the closed-form jump? Measure it.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading))
        self.play(FadeIn(walk))
        self.play(FadeIn(jump))
        self.wait(1.5)
        self.next_beat(f"{N_CHAINS} independent chains against {N_CHAINS} independent jumps, at {len(st['t'])} values of t.", 4)
        self.play(FadeIn(header), Create(rule))
        self.play(*[FadeIn(r, shift=UP * 0.1) for r in body], run_time=2, lag_ratio=0.3)
        self.wait(2)
        self.next_beat("The means agree with each other and with square root alpha-bar times the image mean, "
                       f"to sampling error; but {self.facts['means_cannot_tell_wrong_form'].text}.", 6)
        self.play(*[Create(SurroundingRectangle(VGroup(*[r[j] for r in cells], header[j]), color=style.STATE,
                                                buff=0.08, stroke_width=2)) for j in (1, 2, 3)], run_time=1)
        self.wait(3.5)
        self.next_beat("The variances match one minus alpha-bar.", 4)
        boxes = [SurroundingRectangle(VGroup(*[r[j] for r in cells], header[j]), color=style.NOISE, buff=0.08,
                                      stroke_width=2) for j in (4, 5, 6)]
        self.play(*[Create(b) for b in boxes])
        self.wait(3.5)
        self.next_beat(f"Between walk and jump, {self.facts['ks_over_critical'].text} (critical value {crit:.4f}).", 6.5)
        self.play(FadeIn(foot[:2]), Create(SurroundingRectangle(VGroup(*[r[7] for r in cells], header[7]),
                                                                color=style.HIGHLIGHT, buff=0.08, stroke_width=2)))
        self.wait(6)
        self.next_beat(f"For scale: a wrong closed form with the square roots dropped is far off, D up to "
                       f"{st['ks_wrong'].max():.2f}, except at t = T where both are pure noise.", 5.5)
        self.play(FadeIn(foot[2]))
        self.wait(5.5)
        self.hold_narration()
        self.play(*[FadeOut(m) for m in self.mobjects])

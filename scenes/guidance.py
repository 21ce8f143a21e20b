"""Guidance — ask the class-conditional digits model for a class and turn up classifier-free guidance:
one row per requested class from one x_T, w growing to the right; then the measured trade-off between
getting the requested class and the variety of the samples (diffusion.studies.guidance)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Axes, Create, Dot, FadeIn, FadeOut, Group, LaggedStart, MathTex, Star,
                   VGroup, VMobject, Write)

from scenes.kit import style
from scenes.kit.data import guidance
from scenes.kit.data.guidance import cond_model, formula_tex, guidance_sweep, measure, w_str
from scenes.kit.images import framed, pixel_image
from scenes.kit.layout import NOTE_Y, box_points, fit, footnote, place_clear, region
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

N_SPREAD = 8                # samples of one class shown at w = 0 and at the largest w
HIT, MISS = style.SIGNAL, style.FIXED
COND, NULL = style.PREDICTION, style.MUTED


def formula(size: int = 40):
    m = MathTex(*formula_tex(), font_size=size, color=style.TEXT)
    m[2].set_color(style.HIGHLIGHT); m[5].set_color(style.HIGHLIGHT)        # the w's
    m[3].set_color(COND); m[6].set_color(NULL)
    return m


def tradeoff_labels(pts, ws, plot_box, real_dot):
    """The real digits' label, then the w labels of the curve's points: points closer than a label's
    width share one label ("w = 3, 5, 8"); every label goes on the first side of its points where it
    stays inside the plot and clear of the curve, the dots, the star and the labels placed before it."""
    groups = [[0]]
    for k in range(1, len(pts)):
        if np.linalg.norm(pts[k] - pts[groups[-1][0]]) < 0.9:
            groups[-1].append(k)
        else:
            groups.append([k])
    along = np.concatenate([np.linspace(a, b, 40)[:, :2] for a, b in zip(pts[:-1], pts[1:])] or [np.zeros((0, 2))])
    avoid = [along, np.array(pts)[:, :2], box_points(real_dot)]
    real_l = place_clear(label("held-out real digits", style.LABEL_SIZE, style.SIGNAL), real_dot.get_center(),
                         plot_box, np.concatenate(avoid))
    avoid.append(box_points(real_l))
    w_labels = VGroup()
    for g in groups:
        where = np.mean([pts[k] for k in g], axis=0)
        spread = max(np.linalg.norm(pts[k] - where) for k in g)
        txt = math("w = " + ", ".join(w_str(ws[k]) for k in g), size=style.LABEL_SIZE, color=style.HIGHLIGHT)
        w_labels.add(place_clear(txt, where, plot_box, np.concatenate(avoid), buff=0.25 + spread))
        avoid.append(box_points(txt))
    return real_l, w_labels


class Guidance(DiffusionScene):
    description = "Classifier-free guidance on a class-conditional digits model: rows of w, the measured trade-off"
    data = guidance

    def construct(self):
        tm = cond_model()
        s = guidance_sweep()
        self.s, self.tm = s, tm
        self.m = measure()
        self.ws = [r["w"] for r in s["rows"]]
        self.intro()
        self.rows_of_w()
        self.variety()
        self.tradeoff()

    def below_formula(self):
        """The frame below the formula line (and above the footnote line)."""
        return region(top=self.formula.get_bottom()[1] - 0.25, note=True)

    # --- 1. one network, two predictions ------------------------------------------------------
    def intro(self):
        drop = self.tm.config.label_drop
        self.beat("Every popular image generator is conditional: you ask for something. "
                  "Here we ask a digits model for a class, and push it with classifier-free guidance.", 5)
        title = self.title_card("Asking for a digit", "classifier-free guidance, measured")
        self.play(FadeIn(title))
        self.wait(2.5)
        self.play(FadeOut(title))

        f = formula(44).shift(UP * 1.6)
        c_note = VGroup(math(r"\varepsilon_\theta(x_t, t, c)", size=40, color=COND),
                        label("the network told the class c", style.LABEL_SIZE)).arrange(RIGHT, buff=0.3)
        n_note = VGroup(math(r"\varepsilon_\theta(x_t, t, \varnothing)", size=40, color=NULL),
                        label(f"the same network with the null label ∅,\nshown instead of the class "
                              f"on {drop:.0%} of training examples", style.LABEL_SIZE)).arrange(RIGHT, buff=0.3)
        w_note = label("w = 0: the plain conditional model;  w > 0: pushed away from ∅", style.LABEL_SIZE,
                       style.HIGHLIGHT)
        notes = VGroup(c_note, n_note, w_note).arrange(DOWN, aligned_edge=LEFT, buff=0.45).next_to(f, DOWN, buff=0.7)
        if notes.width > 12.8:
            notes.scale_to_fit_width(12.8)
        notes.set_x(0)
        self.next_beat(f"One network gives two predictions of the noise: with the class, and with the null label "
                  f"it saw on {drop:.0%} of its training examples. Guidance mixes them.", 8)
        self.play(Write(f), run_time=2)
        self.play(FadeIn(c_note, shift=RIGHT * 0.2))
        self.wait(1.5)
        self.play(FadeIn(n_note, shift=RIGHT * 0.2))
        self.wait(2)
        self.next_beat("With w = 0 it is the plain conditional model; a larger w steps further away from what "
                  "the model would draw without being told the class.", 5)
        self.play(FadeIn(w_note))
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(VGroup(c_note, n_note, w_note)), f.animate.scale(0.72).to_edge(UP, buff=0.25))
        self.formula = f

    # --- 2. one row per class, one x_T per row, w growing -----------------------------------------
    def rows_of_w(self):
        s, ws, m, f = self.s, self.ws, self.m, self.facts
        classes, picks = m["classes"], [0 if j is None else j for j in m["picks"]]
        size, gap = 1.05, 0.3
        rows = Group()
        for r, (c, j) in enumerate(zip(classes, picks)):
            x_T = framed(pixel_image(s["x_T"][j], size), style.STATE, buff=0.03)
            tiles = Group(*[framed(pixel_image(s["samples"][k, c, j], size), HIT if m["hit"][r, k] else MISS, buff=0.03)
                            for k in range(len(ws))]).arrange(RIGHT, buff=gap)
            row = Group(label(f"ask for {c}", style.LABEL_SIZE), x_T, tiles).arrange(RIGHT, buff=0.35)
            tiles.shift(RIGHT * 0.35)
            rows.add(row)
        rows.arrange(DOWN, buff=0.22, aligned_edge=RIGHT)
        heads = VGroup(*[math(rf"w = {w_str(w)}", size=30, color=style.HIGHLIGHT).next_to(t, UP, buff=0.15)
                         for w, t in zip(ws, rows[0][2])])
        xt_head = math(r"x_T", size=30, color=style.STATE).next_to(rows[0][1], UP, buff=0.15)
        grid = fit(Group(heads, xt_head, rows), self.below_formula())
        arrows = VGroup(*[Arrow(row[1].get_right(), row[2].get_left(), buff=0.06, color=style.MUTED, stroke_width=3,
                                max_tip_length_to_length_ratio=0.4) for row in rows])
        legend = VGroup(label("frame: the classifier reads", style.SMALL_SIZE, style.MUTED),
                        label("the requested class", style.SMALL_SIZE, HIT),
                        label("another class", style.SMALL_SIZE, MISS)).arrange(RIGHT, buff=0.3)
        legend.move_to([0, NOTE_Y, 0])                     # the footnote line (helpers.footnote), in three colours
        total = len(classes) * len(ws)
        worst = ", ".join(str(c) for c in classes)
        self.next_beat(f"The classes the plain conditional model misses most often: {worst}. "
                       f"Each row starts from one noise x_T, the first of the {s['n_per_class']} on which the plain "
                       f"model missed that class, and runs the same sampler for every w.", 7)
        self.play(FadeIn(xt_head), LaggedStart(*[FadeIn(Group(row[0], row[1])) for row in rows], lag_ratio=0.2),
                  run_time=1.5)
        self.play(Create(arrows), FadeIn(legend))
        for k in range(len(ws)):
            self.play(FadeIn(heads[k]), LaggedStart(*[FadeIn(row[2][k]) for row in rows], lag_ratio=0.15),
                      run_time=0.8)
        self.next_beat(f"Turning up w moves each row towards the class asked for: {f['rows_read_right'].text}; "
                       f"{f['smallest_w_that_gets_it'].text} ({m['hits']} of {total} in the grid).", 8)
        self.wait(8)
        self.hold_narration()
        self.play(FadeOut(Group(grid, arrows, legend)))
        self.classes = classes

    # --- 3. what it costs: variety within a class ----------------------------------------------
    def variety(self):
        s, ws, m, f = self.s, self.ws, self.m, self.facts
        div = np.array([r["diversity_per_class"] for r in s["rows"]])       # (W, classes)
        c = int(self.classes[0])
        n = min(N_SPREAD, s["n_per_class"])
        size = 1.1
        blocks = Group()
        for k in (0, len(ws) - 1):
            tiles = Group(*[framed(pixel_image(s["samples"][k, c, j], size),
                                   HIT if int(s["pred"][k, c, j]) == c else MISS, buff=0.03) for j in range(n)])
            tiles.arrange(RIGHT, buff=0.18)
            head = VGroup(math(rf"w = {w_str(ws[k])}", size=32, color=style.HIGHLIGHT),
                          label(f"mean distance between the {s['n_per_class']} samples: {div[k, c]:.2f}",
                                style.SMALL_SIZE, style.MUTED)).arrange(RIGHT, buff=0.4)
            blocks.add(Group(head, tiles).arrange(DOWN, buff=0.2, aligned_edge=LEFT))
        blocks.arrange(DOWN, buff=0.55, aligned_edge=LEFT)
        fit(blocks, self.below_formula())
        caption = footnote(f"{n} of the {s['n_per_class']} samples asked to be a {c}", color=style.TEXT)
        all0, allw = s["rows"][0]["diversity"], s["rows"][-1]["diversity"]
        self.next_beat(f"The price: asked for a {c}, the plain model draws {c}s of many shapes; "
                       f"{f['shown_class_variety'].text}. The mean distance between samples of one class "
                       f"{f['variety_change'].text} from {all0:.2f} to {allw:.2f}, averaged over all ten classes.", 9)
        self.play(FadeIn(caption), FadeIn(blocks[0]))
        self.wait(2)
        self.play(FadeIn(blocks[1]))
        self.wait(7)
        self.hold_narration()
        self.play(FadeOut(Group(blocks, caption)))

    # --- 4. the measured trade-off -----------------------------------------------------------------
    def tradeoff(self):
        s, ws, m, f = self.s, self.ws, self.m, self.facts
        share, div, fd = m["share"], m["div"], m["fd"]
        real = s["real"]
        ax, xl, yl, plot_box = self.tradeoff_axes(div, share, real)
        pts = [ax.c2p(x, y) for x, y in zip(div, share)]
        curve = VMobject(color=style.HIGHLIGHT, stroke_width=4).set_points_as_corners(pts)
        dots = VGroup(*[Dot(p, radius=0.08, color=style.HIGHLIGHT) for p in pts])
        real_dot = Star(n=5, outer_radius=0.16, color=style.SIGNAL, fill_opacity=1).move_to(
            ax.c2p(real["diversity"], real["share"] * 100))
        real_l, w_labels = tradeoff_labels(pts, ws, plot_box, real_dot)
        best = m["best"]
        self.next_beat(f"Measured on {s['n_per_class']} samples per class and w: the requested class goes from "
                       f"{share[0]:.0f} % at w = 0 to {share[-1]:.0f} % at w = {w_str(ws[-1])}, "
                       f"{f['share_never_falls'].text}, while the variety {f['variety_change'].text} from "
                       f"{div[0]:.2f} to {div[-1]:.2f}.", 9)
        self.play(Create(ax), FadeIn(xl), FadeIn(yl))
        self.play(Create(curve), LaggedStart(*[FadeIn(d) for d in dots], lag_ratio=0.2),
                  LaggedStart(*[FadeIn(t) for t in w_labels], lag_ratio=0.2), run_time=3)
        self.wait(5)
        self.next_beat(f"Real held-out digits: the classifier reads {real['share']:.0%} of them right, with variety "
                       f"{real['diversity']:.2f}. Against the real digits of each class, the Fréchet distance of the "
                       f"classifier features is {fd[0]:.0f} at w = 0 and {fd[-1]:.0f} at w = {w_str(ws[-1])}, lowest "
                       f"here at w = {w_str(ws[best])}; from {s['n_per_class']} samples per class, with no seed-to-seed "
                       f"spread measured, that ranks no w.", 10)
        self.play(FadeIn(real_dot), FadeIn(real_l))
        self.play(dots[best].animate.scale(1.8).set_color(style.SIGNAL))
        self.wait(9)
        self.next_beat(f["trade_off"].text, 4)
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(Group(ax, xl, yl, curve, dots, w_labels, real_dot, real_l, self.formula)))

    def tradeoff_axes(self, div, share, real):
        """Variety against the requested class's share, ranges from the data and the real digits, in the
        box under the formula; with the axis names and the plot's box (x0, y0, x1, y1)."""
        xs = np.concatenate([div, [real["diversity"]]])
        ys = np.concatenate([share, [real["share"] * 100]])
        x_lo, x_hi = np.floor(xs.min() * 2 - 1) / 2, np.ceil(xs.max() * 2 + 1) / 2
        y_lo = max(0.0, np.floor(ys.min() / 10 - 1) * 10)
        x_step = 0.5 if x_hi - x_lo <= 4 else 1.0
        x0, y0, x1, y1 = self.below_formula()
        # the axes take the box less the numbers and the axis labels below and left
        ax = Axes(x_range=[x_lo, x_hi, x_step], y_range=[y_lo, 100, 10], x_length=x1 - x0 - 2.3,
                  y_length=y1 - y0 - 1.3, tips=False,
                  axis_config=dict(color=style.GRID, font_size=style.LABEL_SIZE, include_numbers=True),
                  x_axis_config=dict(decimal_number_config=dict(num_decimal_places=1)),
                  y_axis_config=dict(decimal_number_config=dict(num_decimal_places=0)))
        ax.move_to([(x0 + x1) / 2 + 0.75, (y0 + y1) / 2 + 0.5, 0])
        for axis in (ax.x_axis, ax.y_axis):
            axis.numbers.set_color(style.TEXT)              # manim's default white vanishes on THEME=light
        xl = label("variety: mean distance between samples of a class", style.LABEL_SIZE, style.MUTED)
        xl.next_to(ax.x_axis, DOWN, buff=0.3)
        yl = label("requested class (%)", style.LABEL_SIZE, style.MUTED).rotate(np.pi / 2)
        yl.next_to(ax.y_axis, LEFT, buff=0.3)
        return ax, xl, yl, (*ax.c2p(x_lo, y_lo)[:2], *ax.c2p(x_hi, 100)[:2])

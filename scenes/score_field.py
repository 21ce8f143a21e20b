"""ScoreField — the score grad log q_t of the 2D spiral as arrows on a grid, exact beside learned,
morphing from t = T to 0; the identity eps* = -sqrt(1 - alpha_bar_t) grad log q_t checked on screen; and
where the learned field is wrong, measured. Everything is loaded from diffusion.models.toy2d (cached)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, FadeIn, FadeOut, Transform, VGroup, Write)

from diffusion.models.toy2d.mixture import Spiral, alpha_bar_at, sample_marginal
from scenes.kit import style
from scenes.kit.data import score_field
from scenes.kit.data.score_field import FIELD_GRID, MASS, TWEEDIE, measure, scores, tweedie
from scenes.kit.layout import fit, footnote, heading, region, split
from scenes.kit.numbers import GlyphNumber
from scenes.kit.plots import curve_from_array
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math
from scenes.kit.plane import PlanePanel, arrow_field, density_image, heat_image, point_cloud, polyline

# the panels show the grid plus half a cell on every side, so the edge arrows stay inside the frame
PANEL_LIM = FIELD_GRID["lim"] * FIELD_GRID["n"] / (FIELD_GRID["n"] - 1)


def spiral_curve(mix: Spiral, n: int = 300) -> np.ndarray:
    """The spiral the component means sit on (the curve of Spiral.params)."""
    u = np.linspace(0, 1, n)
    theta = mix.start_angle + 2 * np.pi * mix.turns * u
    r = mix.r_start + (mix.r_end - mix.r_start) * u
    return np.stack([r * np.cos(theta), r * np.sin(theta)], 1)


class ScoreField(DiffusionScene):
    description = "The score field of a 2D spiral: exact vs learned arrows from t=T to 0, eps* = -sqrt(1-ab) grad log q."
    data = score_field

    def construct(self):
        m = measure()
        self.m, self.fields, self.mix, self.sched = m, m["fields"], m["mix"], m["sched"]
        self.intro()
        self.identity()
        self.morph()
        self.where_wrong()

    def retitle(self, text: str):
        """Transform the title line into `text` (an animation)."""
        return Transform(self.heading, heading(text))

    # --- beats ----------------------------------------------------------------------------
    def intro(self):
        mix, sched = self.mix, self.sched
        self.beat(f"A diffusion in the plane whose truth we know: {mix.components} small Gaussians on a spiral.", 4)
        self.title_card("The score field", "which way is the data more likely?")
        pts = sample_marginal(mix, sched, -1, 900, seed=0)
        self.heading = heading(f"The data: {mix.components} Gaussians on a spiral (σ = {mix.std})")
        panel = PlanePanel.fitted(FIELD_GRID["lim"], region())
        cloud = point_cloud(panel, pts, style.SIGNAL, radius=0.03)
        curve = polyline(panel, spiral_curve(mix), style.MUTED, 2.0, 0.8)
        self.play(FadeIn(self.heading), Create(panel.frame), FadeIn(cloud, lag_ratio=0.002), run_time=2)
        self.play(Create(curve), run_time=1.5)
        # the closed form beside the picture: the panel moves left, the density formula sits right
        left, right = split(region(), [1, 1], gap=0.6)
        picture = VGroup(panel.frame, cloud, curve)
        q = VGroup(math(r"q(x_t) = \frac{1}{" + str(mix.components) + r"}\sum_k \mathcal N\!\big(\sqrt{\bar\alpha_t}\,\mu_k,\ "
                        r"s_t^2\, I\big)", size=style.TITLE_SIZE),
                   math(r"s_t^2 = \bar\alpha_t\sigma^2 + 1 - \bar\alpha_t", size=style.TITLE_SIZE),
                   label("exact at every t:\ndensity, score, ideal ε", style.LABEL_SIZE, style.MUTED)
                   ).arrange(DOWN, buff=0.5)
        q.move_to([(right[0] + right[2]) / 2, (right[1] + right[3]) / 2, 0])
        if q.width > right[2] - right[0]:
            fit(q, right)
        self.next_beat("Noising keeps a mixture a mixture, so the density q_t, its gradient, the score, "
                       "and the ideal noise prediction are known in closed form at every t.", 6)
        self.play(self.retitle("Noised, it stays a mixture: qₜ in closed form"),
                  picture.animate.scale(min((left[2] - left[0]) / picture.width, 1.0)).move_to(
                      [(left[0] + left[2]) / 2, (left[1] + left[3]) / 2, 0]))
        self.play(Write(q)); self.wait(4)
        self.hold_narration()
        self.play(FadeOut(picture), FadeOut(q))

    def identity(self):
        """eps* = E[eps | x_t] = -sqrt(1 - alpha_bar_t) grad log q_t, checked two ways, with the arrows."""
        idc, f = self.m["identity"], self.facts
        tw = tweedie()
        k = len(tw["t"]) // 2                                   # the middle t of the Monte Carlo check
        t = int(tw["t"][k])
        eq = math(r"\varepsilon^*(x_t, t) \;=\; \mathbb{E}[\,\varepsilon \mid x_t\,] \;=\; "
                  r"-\sqrt{1-\bar\alpha_t}\;\nabla_{x}\log q_t(x_t)", size=style.TITLE_SIZE + 4)
        x0, y0, x1, y1 = region()
        if eq.width > x1 - x0:
            eq.scale_to_fit_width(x1 - x0)
        eq.move_to([(x0 + x1) / 2, y1 - eq.height / 2, 0])
        left, right = split(region(top=eq.get_bottom()[1] - 0.35), [1.45, 1], gap=0.5)
        what = label("best prediction: the average noise\nthat could have made xₜ", style.LABEL_SIZE, style.MUTED)
        check = label(f"finite differences of log qₜ at t = {idc['t'] + 1},\n{idc['n']} points: "
                      f"largest gap {idc['gap']:.0e}", style.LABEL_SIZE, style.TEXT)
        mc = label(f"Monte Carlo, t = {t + 1}, {TWEEDIE['n']:,} draws:\n"
                   f"median gap {f['tweedie_mc_is_eps_star'].value:.2f} standard errors", style.LABEL_SIZE,
                   style.HIGHLIGHT)
        key = VGroup(label("arrows: −ε*, exact", style.LABEL_SIZE, style.SIGNAL),
                     label("−E[ε | xₜ], Monte Carlo", style.LABEL_SIZE, style.HIGHLIGHT)).arrange(DOWN, aligned_edge=LEFT,
                                                                                               buff=0.15)
        body = VGroup(what, check, mc, key).arrange(DOWN, buff=0.4, aligned_edge=LEFT)
        body.move_to([(left[0] + left[2]) / 2, (left[1] + left[3]) / 2, 0])
        if body.width > left[2] - left[0] or body.height > left[3] - left[1]:
            fit(body, left)
        panel, shade, a_star, a_mc = self.tweedie_picture(tw, k, right)
        self.next_beat("The ideal noise prediction is the average of the noise that could have made x_t; Tweedie's "
                       "formula turns that average into the score, scaled and turned around.", 7)
        self.play(self.retitle("The noise predictor is a score estimator"), Write(eq), FadeIn(panel), FadeIn(shade))
        self.play(FadeIn(what), FadeIn(key[0]), Create(a_star))
        self.wait(2)
        self.next_beat(f"Checked two ways: against finite differences of the exact log-density, and by Monte Carlo: "
                       f"{f['tweedie_mc_is_eps_star'].text}.", 9)
        self.play(FadeIn(check))
        self.play(FadeIn(mc), FadeIn(key[1]), Create(a_mc)); self.wait(5)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in (eq, what, check, mc, key, panel, shade, a_star, a_mc)])

    def tweedie_picture(self, tw, k, box):
        """The exact eps* arrows and the Monte Carlo average of the noise at the check's k-th t, turned
        around (toward the data), on the same grid over q_t, in `box`."""
        t = int(tw["t"][k])
        ok = tw["ess"][k] >= TWEEDIE["min_ess"]
        panel = PlanePanel.fitted(PANEL_LIM, box, f"t = {t + 1}, over qₜ", style.TEXT)
        cell = panel.size * FIELD_GRID["lim"] / PANEL_LIM / (FIELD_GRID["n"] - 1)
        pts = self.fields["points"][ok]
        star, mean = -tw["eps_star"][k][ok], -tw["eps_mc"][k][ok]
        scale = float(np.median(np.linalg.norm(star, axis=1)))
        shade = density_image(panel, self.mix, alpha_bar_at(self.sched, t))
        a_star = arrow_field(panel, pts, star, scale, style.SIGNAL, cell)
        a_mc = arrow_field(panel, pts, mean, scale, style.HIGHLIGHT, cell).set_stroke(width=1.5)
        return panel, shade, a_star, a_mc

    def frame(self, k):
        """Density images and both arrow fields at frame k of the cached fields."""
        t = int(self.fields["t"][k])
        ab = alpha_bar_at(self.sched, t)
        exact, learned = scores(self.fields, k, ab)
        scale = float(np.median(np.linalg.norm(exact, axis=1)))
        pts = self.fields["points"]
        shade = density_image(self.left, self.mix, ab)                 # the same q_t behind both fields
        return (shade, shade.copy().move_to(self.right.frame),
                arrow_field(self.left, pts, exact, scale, style.SIGNAL, self.cell),
                arrow_field(self.right, pts, learned, scale, style.PREDICTION, self.cell))

    def morph(self):
        fields, m, f = self.fields, self.m, self.facts
        ts = fields["t"]
        boxes = split(region(note=True), [1, 1], gap=0.6)
        self.left = PlanePanel.fitted(PANEL_LIM, boxes[0], "exact  ∇log qₜ", style.SIGNAL)
        self.right = PlanePanel.fitted(PANEL_LIM, boxes[1], "learned  −ε̂ / √(1−ᾱₜ)", style.PREDICTION)
        self.cell = self.left.size * FIELD_GRID["lim"] / PANEL_LIM / (FIELD_GRID["n"] - 1)
        title = "The score as t runs from T to 0"
        img_l, img_r, arr_l, arr_r = self.frame(0)

        t_text = GlyphNumber(ts[0] + 1, "t = {}", size=style.LABEL_SIZE, color=style.HIGHLIGHT)
        t_text.next_to(heading(title), RIGHT, buff=0.8)
        key = footnote("arrows: direction of the score, length ∝ strength (capped); shade: exact qₜ")
        self.next_beat("Left, the exact score on a grid; right, what the trained network's noise prediction says it is. "
                       f"At t = T both point to the origin (q_T is a plain Gaussian); median angle between them "
                       f"{m['angle0']:.1f}°.", 6)
        self.play(self.retitle(title), FadeIn(self.left), FadeIn(self.right), FadeIn(img_l), FadeIn(img_r),
                  FadeIn(arr_l), FadeIn(arr_r), FadeIn(t_text), FadeIn(key))
        self.bring_to_front(arr_l, arr_r)
        self.wait(3)
        self.next_beat(f"As t falls, the field bends toward the spiral arms and, at the end, into each of the "
                       f"{self.mix.components} Gaussians; {f['median_angle_at_most'].text}.", 9)
        for k in range(1, len(ts)):
            new = self.frame(k)
            self.remove(img_l, img_r)
            img_l, img_r = new[0], new[1]
            self.add(img_l, img_r); self.bring_to_front(arr_l, arr_r)
            t_text.set_value(ts[k] + 1)
            self.play(Transform(arr_l, new[2]), Transform(arr_r, new[3]), run_time=0.28)
        self.wait(2.5)
        self.hold_narration()
        self.play(FadeOut(arr_l), FadeOut(arr_r), FadeOut(img_l), FadeOut(img_r), FadeOut(t_text), FadeOut(key),
                  FadeOut(self.left), FadeOut(self.right))

    def error_plot(self, box):
        """Relative error of eps_hat against t (both log scales), fitted to `box`."""
        err = self.m["err"]
        rel, et = np.asarray(err["rel"]), np.asarray(err["t"])
        order = np.argsort(et)
        ax = Axes(x_range=[0, 3, 1], y_range=[-4, 1, 1], x_length=4.4, y_length=5.4, tips=False,
                  axis_config=dict(color=style.MUTED, stroke_width=2, include_ticks=True))
        xs = np.log10(et[order] + 1); ys = np.log10(np.maximum(rel[order], 1e-4))
        curve = curve_from_array(ax, ys, style.PREDICTION, xs=xs)
        ticks = VGroup(*[label(s, style.LABEL_SIZE, style.MUTED).next_to(ax.c2p(v, -4), DOWN, buff=0.12)
                         for v, s in ((0, "1"), (1, "10"), (2, "100"), (3, "1000"))],
                       *[label(s, style.LABEL_SIZE, style.MUTED).next_to(ax.c2p(0, v), LEFT, buff=0.12)
                         for v, s in ((-4, "10⁻⁴"), (-2, "10⁻²"), (0, "1"))])
        xl = label("t", style.LABEL_SIZE, style.MUTED).next_to(ticks[3], RIGHT, buff=0.2)
        yl = label("relative error of ε̂ over x ~ qₜ", style.LABEL_SIZE, style.PREDICTION).next_to(ax, UP, buff=0.3)
        return fit(VGroup(ax, curve, ticks, xl, yl), box)

    def where_wrong(self):
        m, f = self.m, self.facts
        fields = self.fields
        k, t = m["k_map"], m["t_map"]
        e = np.linalg.norm(fields["eps_hat"][k] - fields["eps_star"][k], axis=1)
        boxes = split(region(note=True), [1, 1], gap=0.8)
        plot = self.error_plot(boxes[1])
        beside_map = plot.get_center()
        x0, _, x1, _ = region(note=True)
        plot.set_x((x0 + x1) / 2)               # alone, the plot stands in the middle; it moves over for the map
        left = PlanePanel.fitted(FIELD_GRID["lim"], boxes[0], f"|ε̂ − ε*| on the grid, t = {t + 1}", style.NOISE)
        heat = heat_image(left, e, FIELD_GRID["n"], float(np.percentile(e, 98)), style.NOISE)
        self.next_beat(f"The error of the learned noise prediction over points drawn from q_t, relative to the size of "
                       f"eps*: {m['rel_T']:.4f} at t = {m['t_T'] + 1}, {m['rel_small']:.0%} at t = {m['t_small'] + 1}, "
                       f"{f['error_largest_at'].text}.", 7)
        self.play(self.retitle("Where the learned field is wrong"), FadeIn(plot))
        self.wait(4)
        note = footnote(f"mean |ε̂ − ε*|: {m['hi']:.3f} where qₜ holds {MASS:.0%} of its mass, {m['lo']:.3f} elsewhere "
                        f"({m['lo'] / m['hi']:.1f}×)", color=style.TEXT)
        self.next_beat(f"On the grid at t = {t + 1}, the error is {f['error_off_the_data'].text}.", 6)
        self.play(plot.animate.move_to(beside_map), FadeIn(left), FadeIn(heat)); self.add(left.frame)
        self.play(FadeIn(note))
        self.wait(5)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in self.mobjects])

"""ScoreField — the score grad log q_t of the 2D spiral as arrows on a grid, exact beside learned,
morphing from t = T to 0; the identity eps* = -sqrt(1 - alpha_bar_t) grad log q_t checked on screen; and
where the learned field is wrong, measured. Everything is loaded from diffusion.models.toy2d (cached)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, DashedLine, FadeIn, FadeOut, Transform, VGroup, Write)

from diffusion.models.toy2d import Spiral, alpha_bar_at, get_toy2d_model, log_density, sample_marginal
from diffusion.models.toy2d.measure import error_by_density
from diffusion.models.toy2d.views import FIELD_GRID, score_field_data
from scenes import style
from scenes.helpers import DiffusionScene, curve_from_array, label, math
from scenes.plane_helpers import PlanePanel, arrow_field, density_image, heat_image, point_cloud, polyline

SIZE = 5.5                  # panel side on screen
ERROR_T = 18                # 0-based step whose error map is shown (the field is sharpest near t = 0)


def toy2d_model():
    """the 2D spiral MLP eps-model of the active preset"""
    return get_toy2d_model(progress=False)


def field_data() -> dict:
    """learned and exact eps on the grid at every shown t, and the field error against t (toy2d model)"""
    return score_field_data(toy2d_model())


def spiral_curve(mix: Spiral, n: int = 300) -> np.ndarray:
    """The spiral the component means sit on (the curve of Spiral.params)."""
    u = np.linspace(0, 1, n)
    theta = mix.start_angle + 2 * np.pi * mix.turns * u
    r = mix.r_start + (mix.r_end - mix.r_start) * u
    return np.stack([r * np.cos(theta), r * np.sin(theta)], 1)


def median_angle(fields, k) -> float:
    """Median angle (degrees) between the learned and the exact arrows over the grid at frame k."""
    a, b = fields["eps_hat"][k], fields["eps_star"][k]
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    return float(np.degrees(np.median(np.arccos(np.clip(cos, -1, 1)))))


def scores(fields, k, ab):
    """Exact and learned scores at frame k: s = -eps / sqrt(1 - alpha_bar)."""
    c = -1.0 / np.sqrt(1.0 - ab)
    return c * fields["eps_star"][k], c * fields["eps_hat"][k]


class ScoreField(DiffusionScene):
    description = "The score field of a 2D spiral: exact vs learned arrows from t=T to 0, eps* = -sqrt(1-ab) grad log q."
    needs = (toy2d_model, field_data)

    def construct(self):
        tm = toy2d_model()
        mix, sched = tm.config.mixture, tm.schedule
        data = field_data()
        fields, err = data["fields"], data["error"]
        self.fields, self.mix, self.sched = fields, mix, sched
        self.left = PlanePanel(FIELD_GRID["lim"], SIZE, "exact  ∇log q_t", style.SIGNAL)
        self.right = PlanePanel(FIELD_GRID["lim"], SIZE, "learned  −ε̂ / √(1−ᾱ_t)", style.PREDICTION)
        VGroup(self.left, self.right).arrange(RIGHT, buff=0.9).shift(DOWN * 0.2)
        self.cell = SIZE / (FIELD_GRID["n"] - 1)

        self.intro(mix, sched)
        self.identity(fields, mix, sched)
        self.morph(fields, sched)
        self.where_wrong(fields, err, sched)

    # --- beats ----------------------------------------------------------------------------
    def intro(self, mix, sched):
        self.beat(f"A diffusion in the plane whose truth we know: {mix.components} small Gaussians on a spiral.", 4)
        self.title_card("The score field", "which way is the data more likely?")
        pts = sample_marginal(mix, sched, -1, 900, seed=0)
        self.heading = label(f"The data: {mix.components} Gaussians on a spiral (σ = {mix.std})", style.LABEL_SIZE)
        self.heading.to_edge(UP, buff=0.3)
        panel = PlanePanel(FIELD_GRID["lim"], 6.2).move_to(DOWN * 0.35)
        cloud = point_cloud(panel, pts, style.SIGNAL, radius=0.025)
        curve = polyline(panel, spiral_curve(mix), style.MUTED, 2.0, 0.8)
        self.play(FadeIn(self.heading), Create(panel.frame), FadeIn(cloud, lag_ratio=0.002), run_time=2)
        self.play(Create(curve), run_time=1.5)
        self.beat("Noising keeps a mixture a mixture, so the density q_t, its gradient, the score, "
                  "and the ideal noise prediction are known in closed form at every t.", 6)
        q = math(r"q(x_t) = \tfrac{1}{" + str(mix.components) + r"}\sum_k \mathcal N\!\big(\sqrt{\bar\alpha_t}\,\mu_k,\ "
                 r"(\bar\alpha_t\sigma^2 + 1 - \bar\alpha_t)\,I\big)", size=style.LABEL_SIZE + 8)
        q.next_to(panel.frame, DOWN, buff=0.15)
        self.play(Write(q)); self.wait(4)
        self.play(FadeOut(cloud), FadeOut(curve), FadeOut(panel.frame), FadeOut(q))

    def identity(self, fields, mix, sched):
        # the identity, checked here against a finite difference of the closed-form log q_t
        t = int(fields["t"][len(fields["t"]) // 2])
        ab = alpha_bar_at(sched, t)
        x = fields["points"]
        h = 1e-5
        fd = np.stack([(log_density(mix, x + h * e, ab) - log_density(mix, x - h * e, ab)).numpy() / (2 * h)
                       for e in np.eye(2)], 1)
        gap = float(np.abs(fields["eps_star"][list(fields["t"]).index(t)] + np.sqrt(1 - ab) * fd).max())
        eq = math(r"\varepsilon^*(x_t, t) \;=\; -\sqrt{1-\bar\alpha_t}\;\nabla_{x}\log q_t(x_t)",
                  size=style.TITLE_SIZE)
        what = label("the best possible noise prediction points against the score", style.LABEL_SIZE, style.MUTED)
        check = label(f"checked at t = {t + 1} on {len(x)} grid points vs finite differences: max gap {gap:.0e}",
                      style.SMALL_SIZE, style.TEXT)
        VGroup(eq, what, check).arrange(DOWN, buff=0.45).move_to(DOWN * 0.2)
        h2 = label("The noise predictor is a score estimator", style.LABEL_SIZE).move_to(self.heading)
        self.beat("The ideal noise prediction is the score, scaled and turned around: "
                  "minus root one minus alpha-bar times the gradient of log q_t.", 6)
        self.play(Transform(self.heading, h2), Write(eq)); self.play(FadeIn(what)); self.wait(2)
        self.beat(f"Checked against finite differences of the exact log-density on {len(x)} points: "
                  f"they agree to {gap:.0e}.", 4)
        self.play(FadeIn(check)); self.wait(3.5)
        self.play(FadeOut(eq), FadeOut(what), FadeOut(check))

    def frame(self, k):
        """Density images and both arrow fields at frame k of the cached fields."""
        t = int(self.fields["t"][k])
        ab = alpha_bar_at(self.sched, t)
        exact, learned = scores(self.fields, k, ab)
        scale = float(np.median(np.linalg.norm(exact, axis=1)))
        pts = self.fields["points"]
        return (density_image(self.left, self.mix, ab), density_image(self.right, self.mix, ab),
                arrow_field(self.left, pts, exact, scale, style.SIGNAL, self.cell),
                arrow_field(self.right, pts, learned, scale, style.PREDICTION, self.cell))

    def morph(self, fields, sched):
        ts = fields["t"]
        h3 = label("The score as t runs from T to 0", style.LABEL_SIZE).move_to(self.heading)
        img_l, img_r, arr_l, arr_r = self.frame(0)
        t_text = label(f"t = {ts[0] + 1}", style.LABEL_SIZE, style.HIGHLIGHT).to_corner(UP + RIGHT, buff=0.35)
        key = label("arrows: direction of the score, length ∝ strength (capped); shade: exact q_t",
                    style.SMALL_SIZE, style.MUTED).to_edge(DOWN, buff=0.1)
        a0 = median_angle(fields, 0)
        self.beat("Left, the exact score on a grid; right, what the trained network's noise prediction says it is. "
                  f"At t = T both point to the origin (q_T is a plain Gaussian); median angle between them {a0:.1f}°.", 6)
        self.play(Transform(self.heading, h3), FadeIn(self.left), FadeIn(self.right), FadeIn(img_l), FadeIn(img_r),
                  FadeIn(arr_l), FadeIn(arr_r), FadeIn(t_text), FadeIn(key))
        self.bring_to_front(arr_l, arr_r)
        self.wait(3)
        angles = [median_angle(fields, k) for k in range(len(ts))]
        self.beat(f"As t falls, the field bends toward the spiral arms and, at the end, into each of the "
                  f"{self.mix.components} Gaussians; the median angle between learned and exact arrows stays "
                  f"at most {max(angles):.0f}° on the way.", 9)
        for k in range(1, len(ts)):
            new = self.frame(k)
            self.remove(img_l, img_r)
            img_l, img_r = new[0], new[1]
            self.add(img_l, img_r); self.bring_to_front(arr_l, arr_r)
            self.play(Transform(arr_l, new[2]), Transform(arr_r, new[3]),
                      Transform(t_text, label(f"t = {ts[k] + 1}", style.LABEL_SIZE, style.HIGHLIGHT).move_to(t_text, aligned_edge=RIGHT)),
                      run_time=0.28)
        self.wait(2.5)
        self.play(FadeOut(arr_l), FadeOut(arr_r), FadeOut(img_l), FadeOut(img_r), FadeOut(t_text), FadeOut(key),
                  FadeOut(self.left), FadeOut(self.right))

    def where_wrong(self, fields, err, sched):
        ts = list(fields["t"])
        k = int(np.argmin(np.abs(np.array(ts) - ERROR_T)))
        t = ts[k]
        where = error_by_density(fields)
        e = np.linalg.norm(fields["eps_hat"][k] - fields["eps_star"][k], axis=1)
        hi, lo = where["high_density"][k], where["low_density"][k]
        h4 = label("Where the learned field is wrong", style.LABEL_SIZE).move_to(self.heading)
        left = PlanePanel(FIELD_GRID["lim"], SIZE, f"|ε̂ − ε*| on the grid, t = {t + 1}", style.NOISE)
        # relative error against t: E|eps_hat - eps*|^2 / E|eps*|^2 over x ~ q_t
        rel = np.asarray(err["rel"]); et = np.asarray(err["t"])
        order = np.argsort(et)
        ax = Axes(x_range=[0, 3, 1], y_range=[-4, 1, 1], x_length=SIZE, y_length=SIZE * 0.8, tips=False,
                  axis_config=dict(color=style.MUTED, stroke_width=2, include_ticks=True))
        xs = np.log10(et[order] + 1); ys = np.log10(np.maximum(rel[order], 1e-4))
        curve = curve_from_array(ax, ys, style.PREDICTION, xs=xs)
        ticks = VGroup(*[label(s, style.SMALL_SIZE, style.MUTED).next_to(ax.c2p(v, -4), DOWN, buff=0.12)
                         for v, s in ((0, "1"), (1, "10"), (2, "100"), (3, "1000"))],
                       *[label(s, style.SMALL_SIZE, style.MUTED).next_to(ax.c2p(0, v), LEFT, buff=0.12)
                         for v, s in ((-4, "10⁻⁴"), (-2, "10⁻²"), (0, "1"))])
        xl = label("t", style.SMALL_SIZE, style.MUTED).next_to(ax.c2p(3, -4), RIGHT, buff=0.15)
        yl = label("relative error of ε̂ over x ~ q_t", style.SMALL_SIZE + 2, style.PREDICTION).next_to(ax, UP, buff=0.25)
        plot = VGroup(ax, curve, ticks, xl, yl)
        VGroup(left, plot).arrange(RIGHT, buff=1.1).shift(DOWN * 0.45)
        heat = heat_image(left, e, FIELD_GRID["n"], float(np.percentile(e, 98)), style.NOISE)
        i_small = int(np.argmin(np.abs(et - ERROR_T)))
        peak = int(et[np.argmax(rel)]) + 1
        self.beat(f"The error of the learned noise prediction over points drawn from q_t, relative to the size of "
                  f"eps*: {rel[np.argmax(et)]:.4f} at t = {int(et.max()) + 1}, {rel[i_small]:.0%} at t = {et[i_small] + 1}, "
                  f"largest at t = {peak}.", 7)
        self.play(Transform(self.heading, h4), FadeIn(plot))
        self.wait(4)
        ratio = lo / hi
        where_words = ("off the data, where the network almost never saw a training point" if ratio > 1
                       else "on the data than off it")
        note = label(f"mean |ε̂ − ε*|: {hi:.3f} where q_t holds 90% of its mass, {lo:.3f} elsewhere "
                     f"({ratio:.1f}×)", style.SMALL_SIZE, style.TEXT).to_edge(DOWN, buff=0.25)
        self.beat(f"On the grid at t = {t + 1}, the error is {max(ratio, 1 / ratio):.1f} times larger {where_words}.", 6)
        self.play(FadeIn(left), FadeIn(heat)); self.add(left.frame)
        self.play(FadeIn(note))
        self.wait(5)
        self.play(*[FadeOut(m) for m in self.mobjects])

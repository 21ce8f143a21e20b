"""Trajectories1D — particles of a 1D diffusion flow from N(0, 1) to a two-bump mixture. DDPM paths
(stochastic, crossing) and DDIM paths (smooth; their crossings counted) from the same starting points, over
the exact density q(x_t) of every t, with the particles' histogram checked against it."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, DashedLine, FadeIn, FadeOut, ImageMobject,
                   Rectangle, ReplacementTransform, Transform, VGroup, VMobject, Write, color_to_rgb, linear)

from diffusion.models.toy1d.mixture import (density_grid, marginal_pdf, mode_boundary,
                                            mode_weights, order_flip_share, state_at, wasserstein1)
from scenes.kit import style
from scenes.kit.data import trajectories_1d
from scenes.kit.data.trajectories_1d import toy1d_model, trajectories
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

N_PATHS = 36                # paths drawn
X_RANGE = (-3.6, 3.6)
SHOW_T = (1000, 700, 400, 200, 60, 0)   # paper's 1-based t where the histogram is checked
MODE_COLORS = (style.SIGNAL, style.HIGHLIGHT)
D_MAX = 0.6                 # density axis of the side panel


def hist_bars(side, x, color) -> VGroup:
    """Histogram of particles x as horizontal bars on the side panel (density units)."""
    edges = np.linspace(*X_RANGE, 37)
    dens, _ = np.histogram(x, edges)
    dens = dens / (len(x) * (edges[1] - edges[0]))
    bars = VGroup()
    for d, lo, hi in zip(dens, edges[:-1], edges[1:]):
        if d <= 0:
            continue
        p0, p1 = side.c2p(0, lo), side.c2p(min(d, D_MAX), hi)
        bars.add(Rectangle(width=p1[0] - p0[0], height=p1[1] - p0[1], stroke_width=0.5, stroke_color=style.BG,
                           fill_color=color, fill_opacity=0.55).move_to((p0 + p1) / 2))
    return bars


def density_image(mix, schedule, width_px: int = 400, height_px: int = 240) -> ImageMobject:
    """q(x_t) over (t, x) as an image: columns from t = T (left) to t = 0 (right), x upwards."""
    T = schedule.T
    ts = np.round(np.linspace(T - 1, -1, width_px)).astype(int)
    xs = np.linspace(X_RANGE[1], X_RANGE[0], height_px)
    d = density_grid(mix, schedule, ts, xs).T                  # (height, width)
    a = (d / d.max()) ** 0.6
    bg, fg = np.array(color_to_rgb(style.BG)), np.array(color_to_rgb(style.STATE))
    rgb = bg + (fg - bg) * 0.55 * a[..., None]
    img = ImageMobject((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    return img


class Trajectories1D(DiffusionScene):
    description = "1D diffusion: DDPM paths cross, DDIM paths keep their order; histograms match the exact q(x_t)."
    data = trajectories_1d

    def construct(self):
        tm = toy1d_model()
        trajs = trajectories()
        s = SimpleNamespace(mix=tm.config.mixture, sched=tm.schedule, T=tm.schedule.T,
                            ddpm=trajs["ddpm"], ddim=trajs["ddim"])
        s.n_particles = s.ddpm.x.shape[1]
        self.beat("A one-dimensional diffusion, where every density is known exactly.", 3)
        self.title_card("Particles in one dimension", "DDPM and DDIM paths over the exact density q(x_t)")
        self.the_data(s)
        self.exact_marginals(s)
        self.ddpm_paths(s)
        self.histograms(s)
        self.ddim_paths(s)
        self.hold_narration()
        self.play(*[FadeOut(m) for m in self.mobjects])

    # --- axes: time left to right (t = T ... 0), x upwards; a side panel for densities ----
    def the_data(self, s):
        T = s.T
        s.ax = Axes(x_range=[0, T, T / 4], y_range=[*X_RANGE, 1], x_length=8.0, y_length=5.2, tips=False,
                    axis_config=dict(color=style.GRID, include_ticks=False, stroke_width=2))
        s.ax.to_edge(LEFT, buff=0.6).shift(DOWN * 0.35)
        s.side = Axes(x_range=[0, D_MAX, 0.2], y_range=[*X_RANGE, 1], x_length=2.9, y_length=5.2, tips=False,
                      axis_config=dict(color=style.GRID, include_ticks=False, stroke_width=2))
        s.side.next_to(s.ax, RIGHT, buff=0.45)
        s.heading = label("The data: two Gaussian bumps on a line", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        s.u_of = lambda t0: T - (t0 + 1)            # 0-based step t0 -> horizontal position (t0 = -1: data)
        s.data_curve = self.density_curve(s, -1, style.SIGNAL)
        w, mu, sd = s.mix.weights, s.mix.means, s.mix.stds
        s.mix_eq = math(rf"p(x_0) = {w[0]:.2f}\,\mathcal N({mu[0]:g}, {sd[0]:g}^2) + {w[1]:.2f}\,\mathcal N({mu[1]:g}, {sd[1]:g}^2)",
                        size=style.LABEL_SIZE, color=style.SIGNAL).next_to(s.heading, DOWN, buff=0.15)
        self.next_beat(f"The data distribution: a mixture of two Gaussians with weights {w[0]:.2f} and {w[1]:.2f}.", 4)
        self.play(FadeIn(s.heading), Write(s.mix_eq), Create(s.side), Create(s.data_curve))
        self.wait(2)

    def density_curve(self, s, t0, color=style.TEXT):
        xs_curve = np.linspace(*X_RANGE, 400)
        pdf = marginal_pdf(s.mix, s.sched, t0, xs_curve)
        c = VMobject(stroke_color=color, stroke_width=3)
        c.set_points_smoothly([s.side.c2p(p, x) for p, x in zip(pdf, xs_curve)])
        return c

    # --- the exact forward marginals as a heat map ------------------------------------------
    def exact_marginals(self, s):
        ax, T = s.ax, s.T
        t_left = math(r"t = T", size=style.SMALL_SIZE + 4, color=style.MUTED).next_to(ax.c2p(0, X_RANGE[0]), DOWN, buff=0.15)
        t_right = math(r"t = 0", size=style.SMALL_SIZE + 4, color=style.MUTED).next_to(ax.c2p(T, X_RANGE[0]), DOWN, buff=0.15)
        x_lab = math(r"x", size=style.LABEL_SIZE, color=style.MUTED).next_to(ax.c2p(0, X_RANGE[1]), LEFT, buff=0.15)
        heat = density_image(s.mix, s.sched)
        heat.stretch_to_fit_width(ax.x_length).stretch_to_fit_height(ax.y_length).move_to(ax.c2p(T / 2, 0))
        q_eq = math(r"q(x_t) = \sum_k w_k\,\mathcal N\!\big(\sqrt{\bar\alpha_t}\,\mu_k,\ \bar\alpha_t\sigma_k^2 + 1 - \bar\alpha_t\big)",
                    size=style.LABEL_SIZE, color=style.TEXT)
        new_heading = label("Noising keeps it a mixture, with a closed-form density", style.LABEL_SIZE).move_to(s.heading)
        q_eq.next_to(new_heading, DOWN, buff=0.2)
        self.next_beat("Under the forward process a mixture stays a mixture, so the density at every t is exact.", 5)
        self.play(FadeIn(heat), Create(ax), FadeIn(t_left), FadeIn(t_right), FadeIn(x_lab),
                  Transform(s.heading, new_heading), Transform(s.mix_eq, q_eq))
        self.wait(2.5)

    def paths(self, s, traj, every):
        """N_PATHS of the particles' paths (the same particles for both samplers), coloured by the bump they end in."""
        boundary = mode_boundary(s.mix)
        order = np.argsort(s.ddpm.x[0, :, 0])
        pick = order[(np.linspace(0.01, 0.99, N_PATHS) * (s.n_particles - 1)).round().astype(int)]
        steps = [int(t) for t in traj.timesteps] + [-1]
        ks = list(range(0, len(steps), every)) + ([len(steps) - 1] if (len(steps) - 1) % every else [])
        group = VGroup()
        for i in pick:
            pts = [s.ax.c2p(s.u_of(steps[k]), float(np.clip(traj.x[k, i, 0], *X_RANGE))) for k in ks]
            col = MODE_COLORS[int(traj.final[i, 0] > boundary)]
            group.add(VMobject(stroke_color=col, stroke_width=1.6, stroke_opacity=0.85).set_points_as_corners(pts))
        return group

    # --- DDPM paths ---------------------------------------------------------------------
    def ddpm_paths(self, s):
        ddpm = s.ddpm
        s.ddpm_paths = self.paths(s, ddpm, 8)
        h2 = label("DDPM: every step adds fresh noise", style.LABEL_SIZE).move_to(s.heading)
        s.legend = label("colour: the bump a particle ends in", style.SMALL_SIZE, style.MUTED).move_to(s.mix_eq)
        self.next_beat(f"Start particles from N(0, 1) and run the trained model's DDPM sampler, {len(ddpm.timesteps)} steps.", 4)
        self.play(Transform(s.heading, h2), FadeOut(s.mix_eq), FadeIn(s.legend))
        self.play(Create(s.ddpm_paths, lag_ratio=0), run_time=6, rate_func=linear)
        flips_ddpm = order_flip_share(ddpm.x[0], ddpm.final)
        s.flip_txt = label(f"order swaps: {100 * flips_ddpm:.1f}% of pairs", style.SMALL_SIZE, style.NOISE)
        s.flip_txt.next_to(s.ax, DOWN, buff=0.45).align_to(s.ax, LEFT)
        self.next_beat(self.facts["ddpm_order_swaps"].text, 4)
        self.play(FadeIn(s.flip_txt))
        self.wait(3)

    # --- histogram of the particles against the exact density, at several t --------------
    def histograms(self, s):
        ddpm, side, ax = s.ddpm, s.side, s.ax
        hist = lambda t0: hist_bars(side, state_at(ddpm, t0), style.NOISE)

        def w1_text(t0):
            w1 = wasserstein1(state_at(ddpm, t0), s.mix, s.sched, t0)
            return label(f"t = {t0 + 1}:  W1 = {w1:.3f}", style.SMALL_SIZE, style.TEXT).next_to(side, UP, buff=0.2)

        cursor_at = lambda t0: DashedLine(ax.c2p(s.u_of(t0), X_RANGE[0]), ax.c2p(s.u_of(t0), X_RANGE[1]),
                                          color=style.HIGHLIGHT)
        h3 = label(f"{s.n_particles} particles vs the exact density q(xₜ)", style.LABEL_SIZE).move_to(s.heading)
        side_note = label("bars: particles   line: exact", style.SMALL_SIZE, style.MUTED).next_to(side, DOWN, buff=0.45)
        t0 = SHOW_T[0] - 1
        s.cursor = cursor_at(t0)
        s.bars, s.curve, s.wt = hist(t0), self.density_curve(s, t0), w1_text(t0)
        self.next_beat(f"Check the sampler against the truth: at each t, the histogram of {s.n_particles} particles "
                       "against the exact density. W1 is the 1-Wasserstein distance between them.", 6)
        self.play(Transform(s.heading, h3), FadeOut(s.legend), FadeOut(s.data_curve), FadeIn(side_note),
                  Create(s.cursor), FadeIn(s.bars), Create(s.curve), FadeIn(s.wt),
                  s.ddpm_paths.animate.set_stroke(opacity=0.35))
        self.wait(2)
        for tp in SHOW_T[1:]:
            t0 = tp - 1
            self.play(Transform(s.cursor, cursor_at(t0)), Transform(s.bars, hist(t0)),
                      Transform(s.curve, self.density_curve(s, t0)), Transform(s.wt, w1_text(t0)), run_time=1.2)
            self.wait(1.6)
        mw, w = mode_weights(ddpm.final, s.mix), s.mix.weights
        s.weights_txt = label(f"weights {mw[0]:.2f} / {mw[1]:.2f} (true {w[0]:.2f} / {w[1]:.2f})",
                              style.SMALL_SIZE, style.TEXT).move_to(s.flip_txt).align_to(side, RIGHT)
        self.play(FadeOut(side_note), FadeIn(s.weights_txt))
        self.wait(2.5)

    # --- DDIM paths from the same starting points -----------------------------------------
    def ddim_paths(self, s):
        ddim, side = s.ddim, s.side
        ddim_paths = self.paths(s, ddim, 1)
        h4 = label(f"DDIM (η = 0, {len(ddim.timesteps)} steps): the same starts, a deterministic flow",
                   style.LABEL_SIZE).move_to(s.heading)
        flips_ddim = order_flip_share(ddim.x[0], ddim.final)
        flip2 = label(f"order swaps: {100 * flips_ddim:.1f}% of pairs", style.SMALL_SIZE,
                      style.STATE).move_to(s.flip_txt, aligned_edge=LEFT)
        mw2 = mode_weights(ddim.final, s.mix)
        w1_ddim = wasserstein1(ddim.final, s.mix)
        weights2 = label(f"weights {mw2[0]:.2f} / {mw2[1]:.2f},  W1 = {w1_ddim:.3f}", style.SMALL_SIZE,
                         style.TEXT).move_to(s.weights_txt).align_to(side, RIGHT)
        self.next_beat("Now DDIM with eta = 0 from exactly the same starting points: no noise is added along the way.", 5)
        self.play(Transform(s.heading, h4), FadeOut(s.bars), FadeOut(s.curve), FadeOut(s.wt), FadeOut(s.cursor))
        self.play(ReplacementTransform(s.ddpm_paths, ddim_paths), run_time=3)
        f = self.facts
        self.next_beat(f"{f['ddim_order_swaps'].text}, {f['ddim_split_points'].text}", 6)
        self.play(Transform(s.flip_txt, flip2), Transform(s.weights_txt, weights2))
        end_curve = self.density_curve(s, -1, style.SIGNAL)
        self.play(Create(end_curve), FadeIn(hist_bars(side, ddim.final[:, 0], style.STATE)))
        self.wait(4)

"""ProbabilityFlow — the same starting particles run by DDPM (stochastic, jittery) and by DDIM eta = 0
(a deterministic flow: Euler steps of the probability-flow ODE), their marginals against the exact q(x_t),
DDIM's update (Song et al. 2021, eq. 12), and sample quality against the number of steps. Everything is
loaded from diffusion.models.toy2d (cached)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, DashedLine, Dot, FadeIn, FadeOut, Rectangle, Transform,
                   VGroup, VMobject, Write, linear)

from diffusion.models.toy2d.mixture import alpha_bar_at, axis_marginal_pdf
from scenes.kit import style
from scenes.kit.data import probability_flow
from scenes.kit.data.probability_flow import DDIM_PF_TEX, EULER_TEX, PF_ODE_TEX, measure
from scenes.kit.layout import fit, footnote, heading, region, split
from scenes.kit.paths import GrowPaths
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math
from scenes.kit.plane import PlanePanel, density_image, point_cloud, polylines

LIM = 2.9
N_DRAWN = 40                 # DDIM paths drawn (of the cached 160)
N_DRAWN_DDPM = 14            # DDPM paths drawn: jitter fills the panel otherwise
HIST_EDGES = np.linspace(-3, 3, 49)
Y_MAX = 0.9                  # density axis of the histograms


def marginal_axes():
    """x from -3 to 3 against density 0..Y_MAX in the region above the footnote, less the key line above
    (DDPM, DDIM, exact q(x_t)) and the tick numbers; no drawn density axis (at x = 0 it would run
    through the bars; the shapes are compared)."""
    x0, y0, x1, y1 = region(note=True)
    key = VGroup(label("DDPM", style.LABEL_SIZE, style.NOISE), label("DDIM", style.LABEL_SIZE, style.STATE),
                 label("exact q(xₜ)", style.LABEL_SIZE, style.TEXT)).arrange(RIGHT, buff=0.6)
    ax = Axes(x_range=[-3, 3, 1], y_range=[0, Y_MAX, 0.3], x_length=x1 - x0 - 1.0, y_length=y1 - y0 - key.height - 1.0,
              tips=False, axis_config=dict(color=style.MUTED, stroke_width=2),
              x_axis_config=dict(include_numbers=True, font_size=style.TICK_SIZE),
              y_axis_config=dict(include_ticks=False, stroke_opacity=0))
    ax.x_axis.numbers.set_color(style.MUTED)
    ax.move_to([(x0 + x1) / 2, (y0 + y1) / 2 - key.height / 2, 0])
    key.next_to(ax, UP, buff=0.25).align_to(ax, RIGHT)
    return ax, key


def histogram_bars(ax, x, color, offset: int) -> VGroup:
    """The density histogram of x[:, 0] over HIST_EDGES, each bar half a bin wide: offset 0 the left
    half of its bin, 1 the right half (two histograms side by side)."""
    edges = HIST_EDGES
    dens, _ = np.histogram(x[:, 0], edges)
    dens = dens / (len(x) * (edges[1] - edges[0]))
    w = (edges[1] - edges[0]) / 2
    g = VGroup()
    for lo, v in zip(edges[:-1], dens):
        if v <= 0:
            continue
        p0, p1 = ax.c2p(lo + offset * w, 0), ax.c2p(lo + (offset + 1) * w, min(v, Y_MAX))
        g.add(Rectangle(width=p1[0] - p0[0], height=p1[1] - p0[1], stroke_width=0, fill_color=color,
                        fill_opacity=0.7).move_to((p0 + p1) / 2))
    return g


def quality_axes(box, top: float, steps):
    """log10(steps) against the distance (x the floor) in `box`, less the tick numbers and the axis
    label below and the numbers left; with the step ticks and the axis label."""
    y_max = float(np.ceil(top + 1))
    y_step = max(1, round(y_max / 5))
    x0, y0, x1, y1 = box
    ax = Axes(x_range=[0.5, 3.1, 0.5], y_range=[0, y_max, y_step], x_length=x1 - x0 - 1.0, y_length=y1 - y0 - 1.2,
              tips=False, axis_config=dict(color=style.MUTED, stroke_width=2),
              y_axis_config=dict(include_numbers=True, font_size=style.TICK_SIZE))
    ax.y_axis.numbers.set_color(style.MUTED)
    ax.move_to([(x0 + x1) / 2 + 0.5, (y0 + y1) / 2 + 0.6, 0])
    ticks = VGroup(*[label(str(s), style.LABEL_SIZE, style.MUTED).next_to(ax.c2p(np.log10(s), 0), DOWN, buff=0.15)
                     for s in steps])
    xl = label("steps (network calls), log scale", style.LABEL_SIZE, style.MUTED).next_to(ticks, DOWN, buff=0.15)
    return ax, ticks, xl


def quality_curve(ax, vals: dict, color) -> VGroup:
    """{steps: value} as a polyline with a dot at each measured step count."""
    pts = [ax.c2p(np.log10(s), vals[s]) for s in sorted(vals)]
    return VGroup(VMobject(stroke_color=color, stroke_width=3.5).set_points_as_corners(pts),
                  *[Dot(p, radius=0.07, color=color) for p in pts])


class ProbabilityFlow(DiffusionScene):
    description = "DDPM vs DDIM (eta=0) from the same particles: jitter vs a flow; marginals match q(x_t); quality vs steps."
    data = probability_flow

    def construct(self):
        self.m = measure()
        self.tm, self.d = self.m["tm"], self.m["d"]
        self.intro()
        left, right, pick = self.paths()
        self.crossings_and_the_ode(left, right, pick)
        self.marginals()
        self.update_rule()
        self.quality()

    def intro(self):
        self.beat("Two ways to run the same trained model backwards: with fresh noise at every step, or without.", 4)
        self.title_card("SDE or ODE", "DDPM jitters, DDIM flows")

    def paths(self):
        d, tm, m = self.d, self.tm, self.m
        ddpm, ddim = d["ddpm"], d["ddim"]
        n = m["n"]
        self.heading = heading(f"The same {n} starting points, two samplers")
        boxes = split(region(note=True), [1, 1], gap=0.7)
        left = PlanePanel.fitted(LIM, boxes[0], f"DDPM, {len(ddpm.timesteps)} steps (fresh noise)", style.NOISE)
        right = PlanePanel.fitted(LIM, boxes[1], f"DDIM η = 0, {len(ddim.timesteps)} steps (none)", style.STATE)
        data_l = density_image(left, tm.config.mixture, 1.0, strength=0.45, color=style.SIGNAL)
        data_r = density_image(right, tm.config.mixture, 1.0, strength=0.45, color=style.SIGNAL)
        start_l = point_cloud(left, ddpm.x[0], style.TEXT, radius=0.03)
        start_r = point_cloud(right, ddim.x[0], style.TEXT, radius=0.03)
        self.next_beat(f"{n} particles drawn from N(0, I); the shading is the data. Left DDPM, right DDIM with "
                       "eta = 0, from exactly the same points.", 5)
        self.play(FadeIn(self.heading), FadeIn(left), FadeIn(right), FadeIn(data_l), FadeIn(data_r))
        self.play(FadeIn(start_l), FadeIn(start_r)); self.wait(2)
        pick = np.linspace(0, n - 1, N_DRAWN).round().astype(int)
        pick_l = pick[np.linspace(0, N_DRAWN - 1, N_DRAWN_DDPM).round().astype(int)]
        p_l = polylines(left, ddpm.x[::10, pick_l].transpose(1, 0, 2), style.NOISE, 1.3, 0.75)
        p_r = polylines(right, ddim.x[:, pick].transpose(1, 0, 2), style.STATE, 1.6)
        end_l = point_cloud(left, ddpm.final, style.NOISE, radius=0.03)
        end_r = point_cloud(right, ddim.final, style.STATE, radius=0.03)
        self.next_beat(f"DDPM's paths ({len(pick_l)} drawn) are jittery random walks; DDIM's ({len(pick)} drawn) "
                       "are smooth curves, a flow along a vector field.", 8)
        self.play(GrowPaths(p_l), GrowPaths(p_r), run_time=6, rate_func=linear)
        self.play(FadeOut(start_l), FadeOut(start_r), FadeIn(end_l), FadeIn(end_r)); self.wait(1.5)
        return left, right, pick

    def crossings_and_the_ode(self, left, right, pick):
        """Under each panel, how often two moves cross in one step; then the ODE solved accurately, drawn
        over DDIM's paths from the same starting points."""
        ode, m, f = self.d["ode"], self.m, self.facts
        # one caption line under each panel, on the footnote line
        c_l = footnote(f"moves crossing in the same step: {m['cross_ddpm']}", color=style.NOISE).set_x(left.get_x())
        c_r = footnote(f"moves crossing in the same step: {m['cross_ddim']}", color=style.STATE).set_x(right.get_x())
        self.next_beat(f"Count, over the same {m['n_moments']} moments, how often two particles' moves cross: DDPM "
                       f"{m['cross_ddpm']} times, {f['ddim_crossings'].text}. A flow moves neighbours alike.", 6)
        self.play(FadeIn(c_l), FadeIn(c_r)); self.wait(4)
        ode_paths = polylines(right, ode[:, pick].transpose(1, 0, 2), style.HIGHLIGHT, 1.0, 0.9)
        self.next_beat(f"The probability-flow ODE solved accurately lands {m['ode_gap']:.3f} away on average "
                       f"(DDPM: {m['ddpm_ode_gap']:.2f}): DDIM with eta = 0 is a coarse solver of that ODE.", 6)
        self.play(GrowPaths(ode_paths), Transform(self.heading, heading(
            f"Yellow: the ODE solved with RK45 ({m['cross_ode']} crossings), {m['ode_gap']:.3f} from DDIM",
            color=style.HIGHLIGHT)), run_time=2)
        self.wait(3.5)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in self.mobjects if x is not self.heading])

    def marginals(self):
        d, m, f = self.d, self.m, self.facts
        steps, hp, hi = d["hist_steps"], d["hist_ddpm"], d["hist_ddim"]
        n = hp.shape[1]
        ax, key = marginal_axes()
        shown = [self.marginal_state(ax, k, steps[k], hp[k], hi[k]) for k in range(len(steps))]
        self.next_beat(f"Different paths, same crowd: at every t shown, both samplers' particles are "
                       f"{f['marginals_within'].text} from the exact marginal q(x_t). "
                       "SW1 is the sliced Wasserstein distance.", 8)
        g = shown[0]
        self.play(Transform(self.heading, heading(f"{n} particles each: the x-coordinate against the exact q(xₜ)")),
                  FadeIn(ax), FadeIn(key), FadeIn(g)); self.wait(2)
        for g2 in shown[1:]:
            self.play(Transform(g, g2), run_time=1.0); self.wait(1.6)
        self.wait(1.5)
        self.hold_narration()
        self.play(FadeOut(g), FadeOut(ax), FadeOut(key))

    def marginal_state(self, ax, k, t, x_ddpm, x_ddim) -> VGroup:
        """At the k-th step shown (paper's t - 1 = t): both samplers' x-coordinate histograms side by side,
        the exact marginal and the measured distances on the footnote line."""
        ab = alpha_bar_at(self.tm.schedule, t)
        xs = np.linspace(-3, 3, 300)
        curve = VMobject(stroke_color=style.TEXT, stroke_width=3).set_points_smoothly(
            [ax.c2p(x, y) for x, y in zip(xs, np.minimum(axis_marginal_pdf(self.tm.config.mixture, ab, xs), Y_MAX))])
        sw = self.m["sw"][k]
        txt = footnote(f"t = {t + 1 if t >= 0 else 0}:  SW₁ to q(xₜ)  DDPM {sw[0]:.3f}   DDIM {sw[1]:.3f}   "
                       f"(exact vs exact {sw[2]:.3f})", color=style.TEXT)
        return VGroup(histogram_bars(ax, x_ddpm, style.NOISE, 0), histogram_bars(ax, x_ddim, style.STATE, 1), curve, txt)

    def update_rule(self):
        # the formulas as shown; tests/test_claims.py checks each against the code that made the frames
        ode = math(PF_ODE_TEX, size=style.TITLE_SIZE + 2)
        eq = math(DDIM_PF_TEX[0], size=style.TITLE_SIZE)
        sig = math(DDIM_PF_TEX[1], size=style.TITLE_SIZE - 4, color=style.NOISE)
        euler = math(EULER_TEX, size=style.TITLE_SIZE - 4, color=style.STATE)
        prime = footnote(f"t′: the next of the {self.m['n_moments']} respaced steps (t′ < t); after the last, ᾱ = 1")
        left_box, right_box = split(region(note=True), [1.35, 1], gap=0.4)
        col = VGroup(ode, eq, sig, euler).arrange(DOWN, buff=0.45)
        fit(col, left_box)
        # the picture it is about: the DDIM paths (a flow) beside the formulas
        panel = PlanePanel.fitted(LIM, right_box, f"DDIM η = 0, {len(self.d['ddim'].timesteps)} steps", style.STATE)
        ddim = self.d["ddim"]
        pick = np.linspace(0, ddim.x.shape[1] - 1, N_DRAWN).astype(int)
        paths = polylines(panel, ddim.x[:, pick].transpose(1, 0, 2), style.STATE, 1.6)
        ends = point_cloud(panel, ddim.final[pick], style.STATE, radius=0.03)
        self.next_beat("The flow these paths follow is the probability-flow ODE: in x over root alpha-bar, against "
                       "s, the noise-to-signal ratio, its velocity is the predicted noise.", 7)
        self.play(Transform(self.heading, heading("The probability-flow ODE and DDIM's update (Song et al. 2021)")),
                  Write(ode), FadeIn(panel), GrowPaths(paths), run_time=3)
        self.play(FadeIn(ends)); self.wait(2)
        self.next_beat("DDIM's update: predict x0, step toward it, keep part of the predicted noise, and add sigma "
                       "times fresh noise. The steps are respaced, so the next step is t prime, not t minus one.", 8)
        self.play(Write(eq), FadeIn(prime)); self.wait(4)
        self.next_beat("Sigma is set by eta: eta = 1 gives DDPM's noise, eta = 0 gives none, and then the update is "
                       "exactly an Euler step of that ODE, which can take big steps.", 8)
        self.play(FadeIn(sig)); self.play(FadeIn(euler)); self.wait(5)
        self.hold_narration()
        self.play(FadeOut(VGroup(ode, eq, sig, euler, prime)), FadeOut(panel), FadeOut(paths), FadeOut(ends))

    def quality(self):
        m, f = self.m, self.facts
        net, exact, ddpm = m["net"], m["exact"], m["ddpm"]
        dd = m["ddpm_by_steps"]
        plot_box, key_box = split(region(), [3, 1.15], gap=0.5)
        ax, ticks, xl = quality_axes(plot_box, max(max(net.values()), max(exact.values()), max(dd.values())),
                                     sorted({*net, *dd}))
        c_net, c_ex = quality_curve(ax, net, style.STATE), quality_curve(ax, exact, style.SIGNAL)
        floor_line = DashedLine(ax.c2p(0.5, 1), ax.c2p(3.1, 1), color=style.MUTED)
        ddpm_dot = quality_curve(ax, dd, style.NOISE)              # measured at each step count it was run with
        key = VGroup(label("DDIM η = 0,\ntrained network", style.LABEL_SIZE, style.STATE),
                     label("DDIM η = 0,\nexact ε*", style.LABEL_SIZE, style.SIGNAL),
                     label("DDPM (η = 1),\nrespaced", style.LABEL_SIZE, style.NOISE),
                     label("dashed: the floor,\nexact vs exact", style.LABEL_SIZE, style.MUTED)
                     ).arrange(DOWN, aligned_edge=LEFT, buff=0.35)
        key.move_to([(key_box[0] + key_box[2]) / 2, (key_box[1] + key_box[3]) / 2, 0])
        if key.width > key_box[2] - key_box[0]:
            fit(key, key_box)
        s_min = m["s_min"]
        self.next_beat(f"Sliced Wasserstein distance to the exact spiral, divided by the floor of two exact sample "
                       f"sets. DDPM with all {max(dd)} steps lands {ddpm:.1f} times the floor; "
                       f"{f['ddim_vs_ddpm_same_steps'].text}.", 10)
        self.play(Transform(self.heading, heading(f"Distance to the data vs steps ({self.d['quality']['n']} samples; "
                                                  "1 = two exact sets)")),
                  FadeIn(ax), FadeIn(ticks), FadeIn(xl), Create(floor_line))
        self.play(Create(c_net), Create(ddpm_dot), FadeIn(key[0]), FadeIn(key[2]), FadeIn(key[3]), run_time=2)
        self.wait(5)
        self.next_beat(f"With {s_min} steps it breaks: {net[s_min]:.1f} times the floor. The exact noise predictor "
                       f"through the same sampler gives {exact[s_min]:.1f}: {f['few_step_error_cause'].text}.", 9)
        self.play(Create(c_ex), FadeIn(key[1]), run_time=2)
        self.wait(6)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in self.mobjects])

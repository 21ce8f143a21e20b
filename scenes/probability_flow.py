"""ProbabilityFlow — the same starting particles run by DDPM (stochastic, jittery) and by DDIM eta = 0
(a deterministic flow: Euler steps of the probability-flow ODE), their marginals against the exact q(x_t),
DDIM's update (Song et al. 2021, eq. 12), and sample quality against the number of steps. Everything is
loaded from diffusion.models.toy2d (cached)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, DashedLine, Dot, FadeIn, FadeOut, Rectangle, Transform,
                   VGroup, VMobject, Write, linear)

from diffusion.models.toy2d import alpha_bar_at, axis_marginal_pdf, get_toy2d_model, sample_marginal
from diffusion.models.toy2d.flow import segment_crossings
from diffusion.models.toy2d.measure import sliced_wasserstein
from diffusion.models.toy2d.views import flow_data
from scenes import style
from scenes.helpers import DiffusionScene, label, math
from scenes.plane_helpers import PlanePanel, density_image, point_cloud, polyline

LIM = 2.9
SIZE = 6.0
N_DRAWN = 40                 # DDIM paths drawn (of the cached 160)
N_DRAWN_DDPM = 14            # DDPM paths drawn: jitter fills the panel otherwise


def toy2d_model():
    """the 2D spiral MLP eps-model of the active preset"""
    return get_toy2d_model(progress=False)


def paths_and_quality() -> dict:
    """DDPM, DDIM and ODE paths of the same particles, histogram particles, quality vs steps (toy2d model)"""
    return flow_data(toy2d_model())


class ProbabilityFlow(DiffusionScene):
    description = "DDPM vs DDIM (eta=0) from the same particles: jitter vs a flow; marginals match q(x_t); quality vs steps."
    needs = (toy2d_model, paths_and_quality)

    def construct(self):
        tm = toy2d_model()
        d = paths_and_quality()
        self.tm, self.d = tm, d
        self.intro()
        self.paths()
        self.marginals()
        self.update_rule()
        self.quality()

    def intro(self):
        self.beat("Two ways to run the same trained model backwards: with fresh noise at every step, or without.", 4)
        self.title_card("SDE or ODE", "DDPM jitters, DDIM flows")

    def paths(self):
        d, tm = self.d, self.tm
        ddpm, ddim, ode = d["ddpm"], d["ddim"], d["ode"]
        # the same 101 moments for both: DDPM's state every 10th step, DDIM's every step (100 steps)
        ddpm_x = ddpm.x[np.r_[np.arange(0, 1000, 10), 1000]]
        ddim_x = ddim.x
        cross_ddpm, cross_ddim = segment_crossings(ddpm_x), segment_crossings(ddim_x)
        cross_ode = segment_crossings(ode)
        ode_gap = float(np.linalg.norm(ddim.final - ode[-1], axis=1).mean())
        n = ddim_x.shape[1]
        self.heading = label(f"The same {n} starting points, two samplers", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        left = PlanePanel(LIM, SIZE, "DDPM, 1000 steps (fresh noise)", style.NOISE)
        right = PlanePanel(LIM, SIZE, "DDIM η = 0, 100 steps (none)", style.STATE)
        VGroup(left, right).arrange(RIGHT, buff=0.7).shift(DOWN * 0.25)
        data_l = density_image(left, tm.config.mixture, 1.0, strength=0.45, color=style.SIGNAL)
        data_r = density_image(right, tm.config.mixture, 1.0, strength=0.45, color=style.SIGNAL)
        start_l = point_cloud(left, ddpm.x[0], style.TEXT, radius=0.03)
        start_r = point_cloud(right, ddim.x[0], style.TEXT, radius=0.03)
        self.beat(f"{n} particles drawn from N(0, I); the shading is the data. Left DDPM, right DDIM with eta = 0, "
                  "from exactly the same points.", 5)
        self.play(FadeIn(self.heading), FadeIn(left), FadeIn(right), FadeIn(data_l), FadeIn(data_r))
        self.play(FadeIn(start_l), FadeIn(start_r)); self.wait(2)
        pick = np.linspace(0, n - 1, N_DRAWN).round().astype(int)
        pick_l = pick[np.linspace(0, N_DRAWN - 1, N_DRAWN_DDPM).round().astype(int)]
        p_l = VGroup(*[polyline(left, ddpm.x[::10, i], style.NOISE, 1.3, 0.75) for i in pick_l])
        p_r = VGroup(*[polyline(right, ddim_x[:, i], style.STATE, 1.6) for i in pick])
        end_l = point_cloud(left, ddpm.final, style.NOISE, radius=0.03)
        end_r = point_cloud(right, ddim.final, style.STATE, radius=0.03)
        self.beat(f"DDPM's paths ({len(pick_l)} drawn) are jittery random walks; DDIM's ({len(pick)} drawn) are smooth "
                  "curves, a flow along a vector field.", 8)
        self.play(Create(p_l, lag_ratio=0), Create(p_r, lag_ratio=0), run_time=6, rate_func=linear)
        self.play(FadeOut(start_l), FadeOut(start_r), FadeIn(end_l), FadeIn(end_r)); self.wait(1.5)
        c_l = label(f"moves crossing in the same step: {cross_ddpm}", style.SMALL_SIZE, style.NOISE)
        c_r = label(f"moves crossing in the same step: {cross_ddim}", style.SMALL_SIZE, style.STATE)
        c_l.next_to(left.frame, DOWN, buff=0.1); c_r.next_to(right.frame, DOWN, buff=0.1)
        self.beat(f"Count, over the same 100 moments, how often two particles' moves cross: DDPM {cross_ddpm} times, "
                  f"DDIM {cross_ddim}. A flow moves neighbours alike.", 6)
        self.play(FadeIn(c_l), FadeIn(c_r)); self.wait(4)
        ode_txt = label(f"Yellow: the ODE solved with RK45 ({cross_ode} crossings), {ode_gap:.3f} from DDIM",
                        style.LABEL_SIZE, style.HIGHLIGHT).move_to(self.heading)
        ode_paths = VGroup(*[polyline(right, ode[:, i], style.HIGHLIGHT, 1.0, 0.9) for i in pick])
        self.beat(f"The probability-flow ODE solved accurately lands {ode_gap:.3f} away on average: "
                  "DDIM with eta = 0 is a coarse solver of that ODE.", 6)
        self.play(Create(ode_paths, lag_ratio=0), Transform(self.heading, ode_txt), run_time=2); self.wait(3.5)
        self.play(*[FadeOut(m) for m in self.mobjects if m is not self.heading])

    def marginals(self):
        d, tm = self.d, self.tm
        steps, hp, hi = d["hist_steps"], d["hist_ddpm"], d["hist_ddim"]
        n = hp.shape[1]
        h2 = label(f"{n} particles each: the x-coordinate against the exact q(x_t)", style.LABEL_SIZE).move_to(self.heading)
        ax = Axes(x_range=[-3, 3, 1], y_range=[0, 0.9, 0.3], x_length=10.5, y_length=4.6, tips=False,
                  axis_config=dict(color=style.MUTED, stroke_width=2, include_numbers=True, font_size=style.SMALL_SIZE))
        ax.shift(DOWN * 0.5)
        edges = np.linspace(-3, 3, 49)
        xs = np.linspace(-3, 3, 300)

        def bars(x, color, offset):
            dens, _ = np.histogram(x[:, 0], edges)
            dens = dens / (len(x) * (edges[1] - edges[0]))
            w = (edges[1] - edges[0]) / 2
            g = VGroup()
            for lo, v in zip(edges[:-1], dens):
                if v <= 0:
                    continue
                p0, p1 = ax.c2p(lo + offset * w, 0), ax.c2p(lo + (offset + 1) * w, min(v, 0.9))
                g.add(Rectangle(width=p1[0] - p0[0], height=p1[1] - p0[1], stroke_width=0, fill_color=color,
                                fill_opacity=0.7).move_to((p0 + p1) / 2))
            return g

        def state(k):
            t = steps[k]
            ab = alpha_bar_at(tm.schedule, t)
            curve = VMobject(stroke_color=style.TEXT, stroke_width=3).set_points_smoothly(
                [ax.c2p(x, y) for x, y in zip(xs, axis_marginal_pdf(tm.config.mixture, ab, xs))])
            ref = sample_marginal(tm.config.mixture, tm.schedule, t, n, seed=500 + k)
            ref2 = sample_marginal(tm.config.mixture, tm.schedule, t, n, seed=900 + k)
            sw = [sliced_wasserstein(hp[k], ref), sliced_wasserstein(hi[k], ref), sliced_wasserstein(ref2, ref)]
            txt = label(f"t = {t + 1 if t >= 0 else 0}:  SW₁ to q(x_t)  DDPM {sw[0]:.3f}   DDIM {sw[1]:.3f}   "
                        f"(exact vs exact {sw[2]:.3f})", style.SMALL_SIZE, style.TEXT).next_to(ax, DOWN, buff=0.5)
            return VGroup(bars(hp[k], style.NOISE, 0), bars(hi[k], style.STATE, 1), curve, txt), sw

        key = VGroup(label("DDPM", style.SMALL_SIZE, style.NOISE), label("DDIM", style.SMALL_SIZE, style.STATE),
                     label("exact", style.SMALL_SIZE, style.TEXT)).arrange(RIGHT, buff=0.5)
        key.next_to(ax, UP, buff=0.15).align_to(ax, RIGHT)
        shown = [state(k) for k in range(len(steps))]
        worst = max(max(sw[0], sw[1]) / sw[2] for _, sw in shown)
        self.beat("Different paths, same crowd: at every t shown, both samplers' particles are within "
                  f"{worst:.1f} times the distance of two exact samples from the exact marginal q(x_t). "
                  "SW1 is the sliced Wasserstein distance.", 8)
        g = shown[0][0]
        self.play(Transform(self.heading, h2), FadeIn(ax), FadeIn(key), FadeIn(g)); self.wait(2)
        for g2, _ in shown[1:]:
            self.play(Transform(g, g2), run_time=1.0); self.wait(1.6)
        self.wait(1.5)
        self.play(FadeOut(g), FadeOut(ax), FadeOut(key))

    def update_rule(self):
        h3 = label("DDIM's update (Song et al. 2021, eq. 12)", style.LABEL_SIZE).move_to(self.heading)
        eq = math(r"x_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\underbrace{\frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon}"
                  r"{\sqrt{\bar\alpha_t}}}_{\hat x_0} + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\;\hat\varepsilon"
                  r" + \sigma_t\, z", size=style.LABEL_SIZE + 12)
        sig = math(r"\sigma_t(\eta) = \eta\,\sqrt{\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}}\,"
                   r"\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_{t-1}}}", size=style.LABEL_SIZE + 10, color=style.NOISE)
        cases = VGroup(label("η = 1, every step: DDPM's fresh noise", style.SMALL_SIZE + 2, style.NOISE),
                       label("η = 0: no noise; divide by √ᾱ and it is an Euler step of the probability-flow ODE",
                             style.SMALL_SIZE + 2, style.STATE)).arrange(DOWN, buff=0.25)
        VGroup(eq, sig, cases).arrange(DOWN, buff=0.55).shift(DOWN * 0.3)
        self.beat("The update that made the right-hand paths: predict x0, step toward it, keep part of the predicted "
                  "noise, and add sigma times fresh noise.", 7)
        self.play(Transform(self.heading, h3), Write(eq)); self.wait(3)
        self.beat("Sigma is set by eta: eta = 1 gives DDPM's noise, eta = 0 gives none, and the update becomes a "
                  "step of an ordinary differential equation, which can take big steps.", 8)
        self.play(FadeIn(sig)); self.play(FadeIn(cases)); self.wait(5)
        self.play(FadeOut(eq), FadeOut(sig), FadeOut(cases))

    def quality(self):
        q = self.d["quality"]
        fl = q["floor"]["sw1"]
        rows = q["rows"]
        net = {r["steps"]: r["sw1"] for r in rows if r["sampler"] == "ddim" and r["model"] == "network"}
        exact = {r["steps"]: r["sw1"] for r in rows if r["sampler"] == "ddim" and r["model"] == "exact"}
        ddpm = next(r["sw1"] for r in rows if r["sampler"] == "ddpm" and r["model"] == "network")
        steps = sorted(net)
        y_max = float(np.ceil(max(max(net.values()), max(exact.values())) / fl + 1))
        h4 = label(f"Distance to the data vs steps ({q['n']} samples; 1 = two exact sets)",
                   style.LABEL_SIZE).move_to(self.heading)
        ax = Axes(x_range=[0.5, 3.1, 0.5], y_range=[0, y_max, max(1, round(y_max / 5))], x_length=9.5, y_length=4.8,
                  tips=False, axis_config=dict(color=style.MUTED, stroke_width=2),
                  y_axis_config=dict(include_numbers=True, font_size=style.SMALL_SIZE))
        ax.shift(DOWN * 0.4 + RIGHT * 0.3)
        ticks = VGroup(*[label(str(s), style.SMALL_SIZE, style.MUTED).next_to(ax.c2p(np.log10(s), 0), DOWN, buff=0.15)
                         for s in (5, 10, 20, 50, 100, 1000)])
        xl = label("steps (network calls)", style.SMALL_SIZE, style.MUTED).next_to(ticks, DOWN, buff=0.15)

        def curve(d, color):
            pts = [ax.c2p(np.log10(s), d[s] / fl) for s in steps]
            return VGroup(VMobject(stroke_color=color, stroke_width=3.5).set_points_as_corners(pts),
                          *[Dot(p, radius=0.06, color=color) for p in pts])

        c_net, c_ex = curve(net, style.STATE), curve(exact, style.SIGNAL)
        floor_line = DashedLine(ax.c2p(0.5, 1), ax.c2p(3.1, 1), color=style.MUTED)
        ddpm_dot = Dot(ax.c2p(3.0, ddpm / fl), radius=0.08, color=style.NOISE)
        key = VGroup(label("DDIM η = 0, trained network", style.SMALL_SIZE, style.STATE),
                     label("DDIM η = 0, exact ε*", style.SMALL_SIZE, style.SIGNAL),
                     label("DDPM, 1000 steps", style.SMALL_SIZE, style.NOISE),
                     label("floor: exact vs exact", style.SMALL_SIZE, style.MUTED)).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        key.next_to(ax.c2p(3.1, y_max), DOWN + LEFT, buff=0.1)
        s20 = 20 if 20 in net else steps[len(steps) // 2]
        self.beat(f"Sliced Wasserstein distance to the exact spiral, divided by the floor of two exact sample sets. "
                  f"DDPM needs 1000 steps for {ddpm / fl:.1f} times the floor; DDIM reaches {net[s20] / fl:.1f} "
                  f"with {s20}.", 9)
        self.play(Transform(self.heading, h4), FadeIn(ax), FadeIn(ticks), FadeIn(xl), Create(floor_line))
        self.play(Create(c_net), FadeIn(ddpm_dot), FadeIn(key[0]), FadeIn(key[2]), FadeIn(key[3]), run_time=2)
        self.wait(5)
        s_min = steps[0]
        share = exact[s_min] / net[s_min]
        cause = ("the error is the step size, not the network" if share > 0.8 else
                 f"the steps cause {share:.0%} of it, the network the rest")
        self.beat(f"With {s_min} steps it breaks: {net[s_min] / fl:.1f} times the floor. The exact noise predictor "
                  f"through the same sampler gives {exact[s_min] / fl:.1f}: {cause}.", 9)
        self.play(Create(c_ex), FadeIn(key[1]), run_time=2)
        self.wait(6)
        self.play(*[FadeOut(m) for m in self.mobjects])

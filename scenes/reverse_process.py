"""ReverseProcess — a grid of digits sampled from pure noise by the trained model, step by step,
then one sample's x_t, eps_hat and x0_hat side by side at chosen steps. All from one real trajectory."""
from __future__ import annotations

from types import SimpleNamespace

from manim import (Create, Dot, NumberLine, DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, Transform, ValueTracker,
                   VGroup, Write)

from scenes.kit import layout, style
from scenes.kit.data import reverse_process
from scenes.kit.data.reverse_process import FOLLOW, GRID, POSTERIOR_TEX, SHOW_STEPS, measure, reverse_trajectory
from scenes.kit.models import digits_model
from scenes.kit.images import framed, image_grid, pixel_image
from scenes.kit.numbers import GlyphNumber
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

EPS_RANGE = 2.5                        # eps panels map [-2.5, 2.5] to black..white
PANEL = 3.6                            # close-up panels: three across the frame


class ReverseProcess(DiffusionScene):
    description = "A trained U-Net turns pure noise into digits: DDPM from t=T to 0, with x_t, eps_hat and x0_hat."
    poster_beat = 4                    # blog poster: the grid of finished samples at t = 0 (its settled end)
    data = reverse_process

    def construct(self):
        traj = reverse_trajectory()
        T = digits_model().schedule.T
        self.title()
        grid = self.noise_grid(traj, T)
        self.denoise(grid, T)
        self.close_up(traj, T)

    def title(self):
        self.beat("The reverse process: a trained network turns pure noise into digits.", 3)
        self.title_card("The reverse process", "from pure noise to digits, one small step at a time")

    def noise_grid(self, traj, T):
        """The grid at x_T, a t readout and a time axis, all driven by one tracker of the step."""
        xs = traj.x[:, :, 0]                # (T+1, N, H, W): xs[k] is the state after k steps
        n = GRID * GRID
        g = SimpleNamespace(k=ValueTracker(0))
        g.heading = label(f"{n} samples from the trained model (DDPM, T = {T})", style.LABEL_SIZE).to_edge(UP, buff=0.35)
        left, right = layout.split(layout.region(), [1.0, 1.05], gap=0.6)
        g.grid = layout.sized_grid(xs[0], GRID, GRID, left)          # the picture: as tall as the frame allows
        g.grid.add_updater(lambda m: m.become(image_grid(xs[int(round(g.k.get_value()))], GRID, GRID,
                                                         height=g.grid.height, scale=8).move_to(m)))
        # "t =" once, and an Integer that updates (no LaTeX compile per frame); x[k] is x_{T-k}
        g.t_value = GlyphNumber(T, size=44, color=style.HIGHLIGHT, kind="tex")
        g.t_label = VGroup(math(r"t =", size=44, color=style.HIGHLIGHT), g.t_value).arrange(RIGHT, buff=0.2)
        g.t_label.move_to([right[0] + g.t_label.width / 2, g.grid.get_top()[1] - g.t_label.height / 2, 0])
        g.t_value.add_updater(lambda m: m.set_value(T - int(round(g.k.get_value()))))
        # a time axis running from T (left) to 0 (right), with a marker at the current step
        g.axis = NumberLine(x_range=[0, T, T // 4], length=right[2] - right[0] - 0.3, color=style.MUTED,
                            include_ticks=True)
        g.axis.next_to(g.t_label, DOWN, buff=0.55).align_to(g.t_label, LEFT)
        g.ends = VGroup(math("T", size=30, color=style.MUTED).next_to(g.axis.n2p(0), DOWN, buff=0.15),
                        math("0", size=30, color=style.MUTED).next_to(g.axis.n2p(T), DOWN, buff=0.15))
        g.marker = Dot(g.axis.n2p(0), color=style.HIGHLIGHT, radius=0.09)
        g.marker.add_updater(lambda m: m.move_to(g.axis.n2p(g.k.get_value())))
        g.start = math(r"x_T \sim \mathcal{N}(0, I)", size=38, color=style.STATE)
        g.start.next_to(g.axis, DOWN, buff=1.1).align_to(g.t_label, LEFT)
        g.step_eq = math(r"x_{t-1} \sim " + POSTERIOR_TEX[0], size=34, color=style.TEXT)
        if g.step_eq.width > right[2] - right[0]:
            g.step_eq.scale_to_fit_width(right[2] - right[0])
        g.step_eq.next_to(g.start, DOWN, buff=0.7).align_to(g.t_label, LEFT)
        g.post = VGroup(*[math(tex, size=30, color=style.TEXT) for tex in POSTERIOR_TEX[1:]]).arrange(
            DOWN, aligned_edge=LEFT, buff=0.3).next_to(g.step_eq, DOWN, buff=0.35).align_to(g.t_label, LEFT)
        if g.post.get_right()[0] > right[2]:
            g.post.scale_to_fit_width(right[2] - g.post.get_left()[0])
        self.next_beat(f"We start from pure Gaussian noise: {n} images of independent N(0, 1) pixels.", 3)
        self.play(FadeIn(g.heading), FadeIn(g.grid), Write(g.t_label), Create(g.axis), FadeIn(g.ends),
                  FadeIn(g.marker), Write(g.start))
        self.wait(2)
        return g

    def denoise(self, g, T):
        """Every step of the trajectory played on the grid, then the samples named."""
        self.next_beat("At every step the network predicts the noise, which gives a guess x0_hat of the clean image, and "
                       "the sampler draws x_{t-1} from the Gaussian that the forward process would have, given x_t and "
                       "that guess.", 6)
        self.play(Write(g.step_eq))
        self.wait(3)
        self.next_beat("Its mean weighs x0_hat and x_t by these coefficients of the schedule; its variance, beta-tilde, "
                       "is never more than beta_t (Ho et al. 2020, eq. 7).", 6)
        self.play(Write(g.post))
        self.wait(4.5)
        self.next_beat(self.facts["x_t_halfway_t"].text, 8)
        # ease in time: spend more screen time on the last steps, where digits appear
        self.play(g.k.animate.set_value(T), run_time=9, rate_func=lambda a: a ** 0.6)
        g.grid.clear_updaters(); g.t_value.clear_updaters(); g.marker.clear_updaters()
        done = math(r"x_0:\ \text{samples}", size=38, color=style.SIGNAL).align_to(g.t_label, LEFT)
        done.set_y(g.grid.get_bottom()[1] + done.height / 2)           # the column ends level with the grid
        self.next_beat(self.facts["confident_digits"].text + " Nothing here was drawn by hand.", 3)
        self.play(FadeOut(g.post), Write(done))
        self.wait(2.5)
        self.play(FadeOut(VGroup(g.heading, g.t_label, g.axis, g.ends, g.marker, g.start, g.step_eq, done)),
                  FadeOut(g.grid))

    def close_up(self, traj, T):
        """One sample of the grid: x_t, eps_hat and x0_hat side by side at the shown steps."""
        c = self.close_up_parts(traj, T)
        self.next_beat("Follow one sample. At each step the network sees x_t and predicts the noise in it.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(c.heading), FadeIn(c.row[0]), Write(c.names[0]), Write(c.t_text))
        self.play(FadeIn(c.row[1]), Write(c.names[1]), FadeIn(c.ops[0]))
        self.wait(2)
        self.next_beat("Removing that noise gives the network's current guess of the clean image, x0_hat, "
                       "clipped to the pixel range [-1, 1] as the sampler does.", 4)
        self.play(Write(c.eq))
        self.play(FadeIn(c.row[2]), Write(c.names[2]), FadeIn(c.ops[1]))
        self.wait(2)
        self.sweep_steps(c)
        self.hold_narration()
        self.play(FadeOut(Group(c.heading, c.eq, c.row, c.names, c.ops, c.t_text, c.read)))

    def close_up_parts(self, traj, T):
        i = FOLLOW                               # which sample of the grid to follow
        m = measure()
        c = SimpleNamespace()
        c.heading = label("One sample, up close", style.LABEL_SIZE).to_edge(UP, buff=0.35)
        c.eq = math(r"\hat x_0 = \mathrm{clip}_{[-1,1]}\!\left(\frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon_\theta(x_t, t)}"
                    r"{\sqrt{\bar\alpha_t}}\right)", size=38).next_to(c.heading, DOWN, buff=0.25)
        c.eq[0][0:3].set_color(style.PREDICTION)

        def panels(t_paper: int):
            k = T - t_paper                       # step index whose input is x_t
            imgs = [framed(pixel_image(traj.x[k, i, 0], PANEL), style.STATE),
                    framed(pixel_image(traj.eps_hat[k, i, 0], PANEL, -EPS_RANGE, EPS_RANGE), style.PREDICTION),
                    framed(pixel_image(traj.x0_hat[k, i, 0], PANEL), style.PREDICTION)]
            return Group(*imgs).arrange(RIGHT, buff=0.85).move_to([0, -0.6, 0])

        c.panels, c.row = panels, panels(SHOW_STEPS[0])
        c.names = VGroup(math(r"x_t", size=38, color=style.STATE),
                         math(r"\hat\epsilon_\theta(x_t, t)", size=38, color=style.PREDICTION),
                         math(r"\hat x_0", size=38, color=style.PREDICTION))
        for name, panel in zip(c.names, c.row):
            name.next_to(panel, UP, buff=0.2)
        c.ops = VGroup(math(r"\rightarrow", size=40), math(r"\rightarrow", size=40))
        c.ops[0].move_to((c.row[0].get_right() + c.row[1].get_left()) / 2)
        c.ops[1].move_to((c.row[1].get_right() + c.row[2].get_left()) / 2)
        c.t_text = math(rf"t = {SHOW_STEPS[0]}", size=40, color=style.HIGHLIGHT).next_to(c.row, DOWN, buff=0.35)

        def readout(t_paper: int):
            r = m["rows"][t_paper]
            # this sample's x0_hat, as in the panel: clipped share, RMS distance to the mean digit and to its end
            lab = label(f"x̂₀: {r['follow_clipped']:.0%} clipped · RMS to mean digit {r['follow_to_mean']:.2f}"
                        f" · to final {r['follow_to_final']:.2f}", style.SMALL_SIZE, style.MUTED)
            if lab.width > 12.5:
                lab.scale_to_fit_width(12.5)
            return lab.next_to(c.t_text, DOWN, buff=0.2)
        c.readout, c.read = readout, readout(SHOW_STEPS[0])
        return c

    def sweep_steps(self, c):
        """The three panels at each shown t, with this sample's x0_hat readout."""
        f = self.facts
        self.next_beat(f["x0_hat_clipped_at_T"].text + "; "
                       + f["x0_hat_nearer_final_from_t"].text + "; " + f["x0_hat_sharpens"].text + ".",
                       2.6 * (len(SHOW_STEPS) - 1))
        self.play(FadeIn(c.read))
        for t_paper in SHOW_STEPS[1:]:
            new = c.panels(t_paper)
            new_t = math(rf"t = {t_paper}", size=40, color=style.HIGHLIGHT).move_to(c.t_text)
            self.play(*[Transform(a[0], b[0]) for a, b in zip(c.row, new)], Transform(c.t_text, new_t),
                      Transform(c.read, c.readout(t_paper)), run_time=0.6)
            self.wait(2.0)
        self.wait(1.5)

"""ReverseProcess — a grid of digits sampled from pure noise by the trained model, step by step,
then one sample's x_t, eps_hat and x0_hat side by side at chosen steps. All from one real trajectory."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from manim import (Create, Dot, NumberLine, DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, ReplacementTransform, Transform, ValueTracker,
                   VGroup, Write, linear, rate_functions)

from diffusion.models.digits.classifier import classify, get_classifier
from diffusion.models.digits.data import load_dataset
from diffusion.studies.experiments import default_config
from scenes.kit import layout, style
from scenes.kit.claims import claim, worded
from scenes.kit.models import digits_model, digits_trajectory
from scenes.kit.images import framed, image_grid, pixel_image
from scenes.kit.numbers import GlyphNumber
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

GRID = 4                               # GRID x GRID samples
SHOW_STEPS = (1000, 800, 600, 400, 250, 100, 30, 1)   # paper's 1-based t shown in the close-up
EPS_RANGE = 2.5                        # eps panels map [-2.5, 2.5] to black..white
PANEL = 3.6                            # close-up panels: three across the frame
CONFIDENT = 0.9                        # a sample "is a digit" when the classifier is this sure of it
FOLLOW = 0                             # which sample of the grid the close-up follows


def reverse_trajectory():
    """one DDPM trajectory of GRID x GRID digits, every step kept (digits U-Net)"""
    return digits_trajectory(n=GRID * GRID, seed=0, sampler="ddpm", steps=1000)


@lru_cache(maxsize=1)
def digit_classifier():
    """the digit classifier that names the final samples (measure() reads its verdicts)"""
    return get_classifier(default_config().classifier)


@lru_cache(maxsize=1)
def train_set():
    """the digits training images (measure() compares x0_hat with their mean digit)"""
    tm = digits_model()
    return load_dataset(tm.config.dataset, tm.config.image_size, "train")


def _rms(a, b) -> np.ndarray:
    """Root-mean-square difference per image over the last two axes."""
    return np.sqrt(((np.asarray(a) - np.asarray(b)) ** 2).mean((-2, -1)))


@lru_cache(maxsize=2)
def measure() -> dict:
    """What the narration says about the run, measured on the trajectory the scene shows:
    the classifier's verdict on the final samples, and where the close-up's x0_hat panels stand
    (distance to the training-set mean digit and to the sample's own final image, share of clipped
    pixels) at each shown t."""
    tm = digits_model()
    traj = reverse_trajectory()
    T = tm.schedule.T
    final = np.clip(traj.final[:, 0], -1, 1)
    labels, conf, _ = classify(final, digit_classifier())
    x_train, _ = train_set()
    mean_digit = x_train[:, 0].numpy().mean(0)
    rows = {}
    for t in SHOW_STEPS:
        x0 = traj.x0_hat[T - t, :, 0]                                   # (N, H, W), clipped by the sampler
        rows[t] = dict(to_mean=float(_rms(x0, mean_digit).mean()), to_final=float(_rms(x0, final).mean()),
                       clipped=float((np.abs(x0) >= 1 - 1e-6).mean()),
                       follow_clipped=float((np.abs(x0[FOLLOW]) >= 1 - 1e-6).mean()),
                       follow_to_mean=float(_rms(x0[FOLLOW], mean_digit)),
                       follow_to_final=float(_rms(x0[FOLLOW], final[FOLLOW])))
    ab_T = tm.schedule.alpha_bar[-1].item()
    # how far x_t still is from where it ends, per step: the step where half that distance is gone
    dist = _rms(traj.x[:, :, 0], final[None]).mean(1)                  # (S+1,), dist[k] at t = T - k
    half_k = int(np.argmax(dist <= 0.5 * dist[0]))
    return dict(t_half=int(T - half_k), T=T, n=len(final), confident=int((conf > CONFIDENT).sum()), classes=len(set(labels[conf > CONFIDENT])),
                rows=rows, amplify_T=float(1 / np.sqrt(ab_T)),
                mean_to_final=float(_rms(mean_digit, final).mean()))


class ReverseProcess(DiffusionScene):
    description = "A trained U-Net turns pure noise into digits: DDPM from t=T to 0, with x_t, eps_hat and x0_hat."
    poster_beat = 4                    # blog poster: the grid of finished samples at t = 0 (its settled end)
    # built before manim starts (scenes/kit/registry.py); the last two are what measure() loads for claims()
    needs = (digits_model, reverse_trajectory, digit_classifier, train_set)

    @classmethod
    def claims(cls):
        m = measure()
        T, n, rows = m["T"], m["n"], m["rows"]
        first, last = rows[SHOW_STEPS[0]], rows[SHOW_STEPS[-1]]
        closer_t = None                                 # the largest shown t from which on (down to t = 1) x0_hat
        for t in sorted(SHOW_STEPS):                    # stays nearer its final image than the mean digit
            if rows[t]["to_final"] >= rows[t]["to_mean"]:
                break
            closer_t = t
        return [
            worded("x_t_halfway_t", m["t_half"], [
                (lambda t: t <= T / 2, f"Structure appears late: x_t is halfway to its final image only at "
                                       f"t = {m['t_half']}, with {m['t_half']} of the {T} steps left."),
                (lambda t: True, f"x_t is halfway to its final image at t = {m['t_half']}, with {m['t_half']} of "
                                 f"the {T} steps left.")]),
            worded("confident_digits", m["confident"], [
                (lambda k: k == n, f"At t = 0 all {n} samples are digits the classifier names with confidence "
                                   f"above {CONFIDENT:g}."),
                (lambda k: True, f"At t = 0, {m['confident']} of the {n} samples are digits the classifier names "
                                 f"with confidence above {CONFIDENT:g}.")]),
            worded("x0_hat_clipped_at_T", first["clipped"], [
                (lambda c: c >= 0.5, f"At t = {T}, x0_hat scales x_t minus the predicted noise up {m['amplify_T']:.0f}-fold: "
                                     f"{first['clipped']:.0%} of its pixels hit the clip at ±1."),
                (lambda c: True, f"At t = {T}, {first['clipped']:.0%} of x0_hat's pixels hit the clip at ±1.")]),
            worded("x0_hat_early_vs_mean", (first["to_mean"], first["to_final"]), [
                (lambda v: v[0] < v[1], "Early guesses are nearer the average digit than the digit the sample becomes"),
                (lambda v: True, "Early guesses are no nearer the average digit than the digit the sample becomes")]),
            worded("x0_hat_nearer_final_from_t", closer_t, [
                (lambda t: t is None, "x0_hat never comes nearer its final image than the average digit"),
                (lambda t: True, f"from t = {closer_t} on, x0_hat is nearer its own final image than the average digit")]),
            claim("x0_hat_sharpens", (first["to_final"], last["to_final"]), last["to_final"] < first["to_final"],
                  "they sharpen as t goes down: x0_hat approaches the final sample"),
        ]

    def construct(self):
        traj = reverse_trajectory()
        T = digits_model().schedule.T
        xs = traj.x[:, :, 0]                # (T+1, N, H, W): xs[k] is the state after k steps
        # t shown for state k: x[0] is x_T (t = T), x[k] is x_{T-k}
        t_of = lambda k: T - k

        # --- Title -----------------------------------------------------------------------
        self.beat("The reverse process: a trained network turns pure noise into digits.", 3)
        self.title_card("The reverse process", "from pure noise to digits, one small step at a time")

        # --- The grid at x_T ----------------------------------------------------------------
        n = GRID * GRID
        facts = self.facts
        heading = label(f"{n} samples from the trained model (DDPM, T = {T})", style.LABEL_SIZE).to_edge(UP, buff=0.35)
        k = ValueTracker(0)
        left, right = layout.split(layout.region(), [1.0, 1.05], gap=0.6)
        grid = layout.sized_grid(xs[0], GRID, GRID, left)          # the picture: as tall as the frame allows
        grid.add_updater(lambda m: m.become(image_grid(xs[int(round(k.get_value()))], GRID, GRID, height=grid.height,
                                                       scale=8).move_to(m)))
        # "t =" once, and an Integer that updates (no LaTeX compile per frame)
        t_value = GlyphNumber(T, size=44, color=style.HIGHLIGHT, kind="tex")
        t_label = VGroup(math(r"t =", size=44, color=style.HIGHLIGHT), t_value).arrange(RIGHT, buff=0.2)
        t_label.move_to([right[0] + t_label.width / 2, grid.get_top()[1] - t_label.height / 2, 0])
        t_value.add_updater(lambda m: m.set_value(t_of(int(round(k.get_value())))))
        # a time axis running from T (left) to 0 (right), with a marker at the current step
        axis = NumberLine(x_range=[0, T, T // 4], length=right[2] - right[0] - 0.3, color=style.MUTED, include_ticks=True)
        axis.next_to(t_label, DOWN, buff=0.55).align_to(t_label, LEFT)
        ends = VGroup(math("T", size=30, color=style.MUTED).next_to(axis.n2p(0), DOWN, buff=0.15),
                      math("0", size=30, color=style.MUTED).next_to(axis.n2p(T), DOWN, buff=0.15))
        marker = Dot(axis.n2p(0), color=style.HIGHLIGHT, radius=0.09)
        marker.add_updater(lambda m: m.move_to(axis.n2p(k.get_value())))
        start = math(r"x_T \sim \mathcal{N}(0, I)", size=38, color=style.STATE)
        start.next_to(axis, DOWN, buff=1.1).align_to(t_label, LEFT)
        step_eq = math(r"x_{t-1} \sim q(x_{t-1} \mid x_t, \hat x_0)", size=38, color=style.TEXT)
        step_eq.next_to(start, DOWN, buff=0.7).align_to(t_label, LEFT)
        self.hold_narration()
        self.beat(f"We start from pure Gaussian noise: {n} images of independent N(0, 1) pixels.", 3)
        self.play(FadeIn(heading), FadeIn(grid), Write(t_label), Create(axis), FadeIn(ends), FadeIn(marker), Write(start))
        self.wait(2)

        # --- Denoise step by step --------------------------------------------------------
        self.hold_narration()
        self.beat("At every step the network predicts the noise, and the sampler takes one small step back.", 4)
        self.play(Write(step_eq))
        self.wait(3)
        self.hold_narration()
        self.beat(facts["x_t_halfway_t"].text, 8)
        # ease in time: spend more screen time on the last steps, where digits appear
        self.play(k.animate.set_value(T), run_time=9, rate_func=lambda a: a ** 0.6)
        grid.clear_updaters(); t_value.clear_updaters(); marker.clear_updaters()
        done = math(r"x_0:\ \text{samples}", size=38, color=style.SIGNAL).align_to(t_label, LEFT)
        done.set_y(grid.get_bottom()[1] + done.height / 2)           # the column ends level with the grid
        self.hold_narration()
        self.beat(facts["confident_digits"].text + " Nothing here was drawn by hand.", 3)
        self.play(Write(done))
        self.wait(2.5)
        self.play(FadeOut(VGroup(heading, t_label, axis, ends, marker, start, step_eq, done)), FadeOut(grid))

        # --- One sample up close: x_t, eps_hat, x0_hat ---------------------------------------
        self.close_up(traj, T)

    def close_up(self, traj, T):
        i = FOLLOW                               # which sample of the grid to follow
        m = measure()
        heading = label("One sample, up close", style.LABEL_SIZE).to_edge(UP, buff=0.35)
        eq = math(r"\hat x_0 = \mathrm{clip}_{[-1,1]}\!\left(\frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon_\theta(x_t, t)}"
                  r"{\sqrt{\bar\alpha_t}}\right)", size=38).next_to(heading, DOWN, buff=0.25)
        eq[0][0:3].set_color(style.PREDICTION)

        def panels(t_paper: int):
            k = T - t_paper                       # step index whose input is x_t
            x_t = traj.x[k, i, 0]
            eps = traj.eps_hat[k, i, 0]
            x0 = traj.x0_hat[k, i, 0]
            imgs = [framed(pixel_image(x_t, PANEL), style.STATE),
                    framed(pixel_image(eps, PANEL, -EPS_RANGE, EPS_RANGE), style.PREDICTION),
                    framed(pixel_image(x0, PANEL), style.PREDICTION)]
            row = Group(*imgs).arrange(RIGHT, buff=0.85).move_to([0, -0.6, 0])
            return row

        row = panels(SHOW_STEPS[0])
        names = VGroup(math(r"x_t", size=38, color=style.STATE),
                       math(r"\hat\epsilon_\theta(x_t, t)", size=38, color=style.PREDICTION),
                       math(r"\hat x_0", size=38, color=style.PREDICTION))
        for name, panel in zip(names, row):
            name.next_to(panel, UP, buff=0.2)
        ops = VGroup(math(r"\rightarrow", size=40), math(r"\rightarrow", size=40))
        ops[0].move_to((row[0].get_right() + row[1].get_left()) / 2)
        ops[1].move_to((row[1].get_right() + row[2].get_left()) / 2)
        t_text = math(rf"t = {SHOW_STEPS[0]}", size=40, color=style.HIGHLIGHT).next_to(row, DOWN, buff=0.35)

        def readout(t_paper: int):
            r = m["rows"][t_paper]
            # this sample's x0_hat, as in the panel: clipped share, RMS distance to the mean digit and to its end
            lab = label(f"x̂₀: {r['follow_clipped']:.0%} clipped · RMS to mean digit {r['follow_to_mean']:.2f}"
                        f" · to final {r['follow_to_final']:.2f}", style.SMALL_SIZE, style.MUTED)
            if lab.width > 12.5:
                lab.scale_to_fit_width(12.5)
            return lab.next_to(t_text, DOWN, buff=0.2)
        read = readout(SHOW_STEPS[0])

        self.hold_narration()
        self.beat("Follow one sample. At each step the network sees x_t and predicts the noise in it.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), FadeIn(row[0]), Write(names[0]), Write(t_text))
        self.play(FadeIn(row[1]), Write(names[1]), FadeIn(ops[0]))
        self.wait(2)
        self.hold_narration()
        self.beat("Removing that noise gives the network's current guess of the clean image, x0_hat, "
                  "clipped to the pixel range [-1, 1] as the sampler does.", 4)
        self.play(Write(eq))
        self.play(FadeIn(row[2]), Write(names[2]), FadeIn(ops[1]))
        self.wait(2)
        f = self.facts
        self.hold_narration()
        self.beat(f["x0_hat_clipped_at_T"].text + " " + f["x0_hat_early_vs_mean"].text + "; "
                  + f["x0_hat_nearer_final_from_t"].text + "; " + f["x0_hat_sharpens"].text + ".",
                  2.6 * (len(SHOW_STEPS) - 1))
        self.play(FadeIn(read))
        for t_paper in SHOW_STEPS[1:]:
            new = panels(t_paper)
            new_t = math(rf"t = {t_paper}", size=40, color=style.HIGHLIGHT).move_to(t_text)
            self.play(*[Transform(a[0], b[0]) for a, b in zip(row, new)], Transform(t_text, new_t),
                      Transform(read, readout(t_paper)), run_time=0.6)
            self.wait(2.0)
        self.wait(1.5)
        self.hold_narration()
        self.play(FadeOut(Group(heading, eq, row, names, ops, t_text, read)))

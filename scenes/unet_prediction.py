"""UNetNoisePrediction — what goes into the U-Net and what comes out, with real tensors from the
trained digits model: x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps goes in with t, feature maps (forward
hooks) travel down and up the U drawn from model.describe(), eps_hat comes out beside the true eps,
with the per-pixel error, the MSE and x0_hat; then several t, the measured error against t, and a
montage of the real training run (loss history and samples from its snapshots)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DashedLine, DL, DOWN, LEFT, RIGHT, UP, Axes, Create, Dot, FadeIn, FadeOut, Group, Indicate, Line, MathTex,
                   ReplacementTransform, Transform, VGroup, VMobject, Write, linear)

from diffusion.studies.noise_prediction import show_channels, smoothed_loss
from scenes.kit import style
from scenes.kit.data import unet_prediction
from diffusion.studies.noise_prediction import x0_references
from scenes.kit.data.unet_prediction import (MAIN_T, PREDICTION_WORDS, SNAPSHOT_STEPS, TABLE_T, format_mse, loss_window,
                                             noise_error_curve, predictions, training_snapshots)
from scenes.kit.models import digits_model
from scenes.kit.images import framed, image_grid, pixel_image, tile
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math
from scenes.kit.unet import unet_diagram

EPS_RANGE = 2.5                   # eps, eps_hat and the error map show [-2.5, 2.5] as black..white
CHANNELS = 3                      # feature-map channels shown per block (stacked in a column)


def eps_image(a, height):
    return pixel_image(a, height, -EPS_RANGE, EPS_RANGE)


def feature_mosaic(features: np.ndarray, height_per_pixel: float):
    """A few channels of one block's output stacked in a column, one pixel image sized by resolution."""
    ch = show_channels(features, CHANNELS)
    mosaic = tile(ch, len(ch), 1, scale=4)
    return pixel_image(mosaic, height=height_per_pixel * mosaic.shape[0] / 4, data_scale=4)


def prediction_row(p, h: float = 1.9):
    """x_t | eps_hat | eps | eps_hat - eps of one prediction, framed in their colours and named above."""
    row = Group(framed(pixel_image(p.x_t, h), style.STATE), framed(eps_image(p.eps_hat, h), style.PREDICTION),
                framed(eps_image(p.eps, h), style.NOISE), framed(eps_image(p.error, h), style.HIGHLIGHT))
    row.arrange(RIGHT, buff=0.9).shift(UP * 0.85)
    names = VGroup(math("x_t", color=style.STATE), math(r"\hat\epsilon \text{ (predicted)}", color=style.PREDICTION),
                   math(r"\epsilon \text{ (true)}", color=style.NOISE),
                   math(r"\hat\epsilon - \epsilon", color=style.HIGHLIGHT))
    for n_, im in zip(names, row):
        n_.next_to(im, UP, buff=0.2)
    return row, names


class UNetNoisePrediction(DiffusionScene):
    description = "The U-Net predicts the noise: x_t and t in, feature maps down and up the U, eps_hat out; error vs t; training."
    data = unet_prediction

    def construct(self):
        self.tm = tm = digits_model()
        self.preds = predictions(tm)
        self.desc = tm.model.describe(tm.config.image_size)

        self.beat(PREDICTION_WORDS[tm.config.prediction], 5)
        self.title_card("The U-Net predicts the noise", "real tensors from the trained digits model")

        self.training_example()
        self.forward_pass()
        self.compare()
        self.several_t()
        self.error_vs_t()
        self.training_montage()

    # --- 1. one training example -------------------------------------------------------------
    def training_example(self):
        p, s = self.preds[MAIN_T], self.tm.schedule
        ab = float(s.alpha_bar[MAIN_T - 1])
        heading = label("One training example", style.LABEL_SIZE).to_edge(UP, buff=0.35)
        h = 2.2
        x0 = framed(pixel_image(p.x0, h), style.SIGNAL)
        eps = framed(eps_image(p.eps, h), style.NOISE)
        xt = framed(pixel_image(p.x_t, h), style.STATE)
        plus, eq = math("+", 44), math("=", 44)
        c1 = math(rf"{np.sqrt(ab):.2f}\,\times", 34, style.SIGNAL)
        c2 = math(rf"{np.sqrt(1 - ab):.2f}\,\times", 34, style.NOISE)
        row = Group(c1, x0, plus, c2, eps, eq, xt).arrange(RIGHT, buff=0.3).shift(DOWN * 0.2)
        names = VGroup(math(r"x_0", color=style.SIGNAL).next_to(x0, UP, buff=0.2),
                       math(r"\epsilon \sim \mathcal{N}(0, I)", color=style.NOISE).next_to(eps, UP, buff=0.2),
                       math(rf"x_t,\ t = {MAIN_T}", color=style.STATE).next_to(xt, UP, buff=0.2))
        formula = MathTex(r"x_t", "=", r"\sqrt{\bar\alpha_t}", r"\,x_0", "+", r"\sqrt{1-\bar\alpha_t}", r"\,\epsilon",
                          font_size=36, color=style.TEXT)
        for i, c in ((0, style.STATE), (2, style.SIGNAL), (3, style.SIGNAL), (5, style.NOISE), (6, style.NOISE)):
            formula[i].set_color(c)
        formula.next_to(row, DOWN, buff=0.55)
        note = label("a held-out digit, seeded noise", style.SMALL_SIZE, style.MUTED).next_to(heading, DOWN, buff=0.2)

        self.next_beat("Training shows it a clean digit x_0 (this one was held out from training) and a draw of "
                       "Gaussian noise epsilon.", 4)
        self.layout_exempt("fill", "build-up: the next beats complete this picture")
        self.play(FadeIn(heading), FadeIn(note), FadeIn(x0), Write(names[0]))
        self.play(FadeIn(eps), Write(names[1]))
        self.wait(2)
        self.next_beat(f"It picks a step t, here t = {MAIN_T}, and mixes them: x_t is the noisy image the network sees.", 5)
        self.play(Write(formula))
        self.play(FadeIn(c1), FadeIn(plus), FadeIn(c2), FadeIn(eq), FadeIn(xt), Write(names[2]))
        self.wait(3)
        self.next_beat("The network gets x_t and t, never x_0 or epsilon. Its task: predict epsilon.", 3)
        self.wait(3)
        self.hold_narration()
        self.play(FadeOut(Group(heading, note, row, names, formula)))

    # --- 2. the architecture and the forward pass -----------------------------------------------
    def forward_pass(self):
        p = self.preds[MAIN_T]
        heading = label(f"A U-Net with {self.desc['parameters']:,} parameters, drawn from its own description",
                        style.LABEL_SIZE).to_edge(UP, buff=0.3)
        diagram = unet_diagram(self.desc, max_width=10.0)
        diagram.next_to(heading, DOWN, buff=0.35)
        self.diagram = diagram
        first, last = diagram.rects[diagram.names[0]], diagram.rects[diagram.names[-1]]
        h_in = 1.0
        xt = framed(pixel_image(p.x_t, h_in), style.STATE).next_to(first, LEFT, buff=0.35)
        xt_name = math("x_t", color=style.STATE).next_to(xt, UP, buff=0.15)
        t_tag = math(rf"t = {MAIN_T}", 30, style.HIGHLIGHT).next_to(diagram.time_box, LEFT, buff=0.2)
        if t_tag.get_left()[0] < -7.0:
            t_tag.next_to(diagram.time_box, DOWN, buff=0.15)
        self.show_diagram(heading, diagram)
        # x_t and t go in; every block's output appears (a few channels) and settles in a strip below
        self.next_beat("x_t goes in with t. What follows are the real feature maps of every block, caught with "
                       "forward hooks.", 3)
        self.play(FadeIn(xt), Write(xt_name), Write(t_tag))
        self.wait(2)
        self.mosaics = self.feature_maps(p, diagram)
        caption = label(f"Each block's output: its {CHANNELS} most varied channels (own grey scale)",
                        style.LABEL_SIZE).move_to(heading)
        self.play(ReplacementTransform(heading, caption), run_time=0.5)
        self.wait(0.5)
        heading = caption
        # eps_hat comes out
        out = framed(eps_image(p.eps_hat, h_in), style.PREDICTION).next_to(last, RIGHT, buff=0.35)
        out_name = math(r"\hat\epsilon", color=style.PREDICTION).next_to(out, UP, buff=0.15)
        self.next_beat("What comes out has the shape of the input: one number per pixel, the predicted noise "
                       "epsilon-hat.", 4)
        self.play(FadeIn(out, shift=RIGHT * 0.3), Write(out_name))
        self.wait(3)
        self.fp_out = (xt, xt_name, out, out_name)
        self.hold_narration()
        self.play(FadeOut(Group(heading, diagram, t_tag, *self.mosaics)))

    def show_diagram(self, heading, diagram):
        """The U-Net drawn, then its skips and its time embedding pointed out."""
        self.next_beat("The network is a small U-Net. This diagram is generated from the model's description of "
                       "itself: blocks, channels, resolutions, skips.", 5)
        self.play(FadeIn(heading), Create(diagram), run_time=2.5)
        self.wait(2.5)
        self.next_beat("Boxes grow with channels and with resolution. Skip connections jump over the U; the time "
                       "embedding of t feeds every residual block.", 5)
        for sk in diagram.skips.values():
            self.play(Indicate(sk, color=style.HIGHLIGHT, scale_factor=1.0), run_time=0.8)
        self.play(Indicate(diagram.time, color=style.HIGHLIGHT, scale_factor=1.0), run_time=1.0)
        self.wait(max(0.5, 5 - 1.0 - 0.8 * len(diagram.skips)))

    def feature_maps(self, p, diagram) -> list:
        """Each block lit in turn (with the skips into it) while its feature maps settle in a strip below."""
        # screen units per feature-map pixel: the widest mosaic (2 maps + gap) fills 90% of a column
        names = diagram.names
        col = abs(diagram.rects[names[1]].get_center()[0] - diagram.rects[names[0]].get_center()[0])
        max_res = max(b["resolution"] for b in self.desc["blocks"])
        strip_top = diagram.get_bottom()[1] - 0.3
        room = strip_top - (-4.0 + 0.25)
        px = min(0.8 * col / max_res, room / (CHANNELS * (max_res + 0.5)))
        mosaics = []
        self.next_beat("Down the U the maps shrink and gain channels; on the way up, the skips bring the fine "
                       "detail back.", 0.95 * len(diagram.names) + 1.5)
        for b in self.desc["blocks"]:
            name = b["name"]
            rect = diagram.rects[name]
            m = feature_mosaic(p.features[name], px)
            m.move_to(np.array([rect.get_center()[0], strip_top - m.height / 2, 0]))    # its slot below the block
            anims = [Indicate(rect, color=style.HIGHLIGHT, scale_factor=1.08)]
            anims += [Indicate(sk, color=style.HIGHLIGHT, scale_factor=1.0)
                      for (src, dst), sk in diagram.skips.items() if dst == name]
            self.play(*anims, FadeIn(m, shift=DOWN * 0.3), run_time=0.95)
            mosaics.append(m)
        return mosaics

    # --- 3. eps_hat against eps, the error, the MSE and x0_hat -------------------------------------
    def compare(self):
        p = self.preds[MAIN_T]
        xt, xt_name, out, out_name = self.fp_out
        heading = label(f"Did it find the noise?  t = {MAIN_T}", style.LABEL_SIZE).to_edge(UP, buff=0.35)
        row, names = prediction_row(p)
        mse = MathTex(r"\text{MSE} = \tfrac{1}{" + str(p.eps.size) + r"}\textstyle\sum_i (\hat\epsilon_i - \epsilon_i)^2 = ",
                      format_mse(p.mse), font_size=34, color=style.TEXT)
        mse[1].set_color(style.HIGHLIGHT)
        mse.next_to(row, DOWN, buff=0.45)
        loss_note = label("averaged over a batch, this is the training loss", style.SMALL_SIZE, style.MUTED)
        loss_note.next_to(mse, DOWN, buff=0.15)
        self.next_beat(f"Put the prediction beside the noise that was really added. {self.facts['eps_hat_close_at_main_t'].text}; "
                       "the difference is the per-pixel error.", 5)
        self.play(FadeIn(heading), ReplacementTransform(xt, row[0]), ReplacementTransform(xt_name, names[0]),
                  ReplacementTransform(out, row[1]), ReplacementTransform(out_name, names[1]))
        self.play(FadeIn(row[2]), Write(names[2]))
        self.wait(1)
        self.play(FadeIn(row[3]), Write(names[3]))
        self.wait(2)
        self.next_beat(f"Its mean square is the loss for this example: {format_mse(p.mse)}. Training makes this small "
                       "on average over digits, noises and t.", 5)
        self.play(Write(mse))
        self.play(FadeIn(loss_note))
        self.wait(3.5)
        bottom, lab_x0h, lab_x0 = self.x0_from_eps(p, loss_note)
        self.hold_narration()
        self.play(FadeOut(Group(heading, row, names, mse, bottom, lab_x0h, lab_x0)))

    def x0_from_eps(self, p, loss_note):
        """The mixing formula solved for x_0 with eps_hat, and x0_hat beside the real digit."""
        formula = MathTex(r"\hat x_0", "=", r"\frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon}{\sqrt{\bar\alpha_t}}",
                          font_size=34, color=style.TEXT)
        formula[0].set_color(style.PREDICTION)
        x0h = framed(pixel_image(p.x0_hat, 1.6), style.PREDICTION)
        x0 = framed(pixel_image(p.x0, 1.6), style.SIGNAL)
        bottom = Group(formula, x0h, x0).arrange(RIGHT, buff=0.6)
        bottom.move_to([0, -2.55, 0])
        lab_x0h = math(r"\hat x_0", 30, style.PREDICTION).next_to(x0h, LEFT, buff=0.1).shift(UP * 0.55)
        lab_x0 = math(r"x_0", 30, style.SIGNAL).next_to(x0, RIGHT, buff=0.15)
        self.next_beat("Knowing the noise means knowing the image: solve the mixing formula for x_0. The guess "
                       "x0-hat sits beside the real digit.", 5)
        self.hold_narration()
        self.play(FadeOut(loss_note), Write(formula))
        self.play(FadeIn(x0h), Write(lab_x0h))
        self.play(FadeIn(x0), Write(lab_x0))
        self.wait(3.5)
        return bottom, lab_x0h, lab_x0

    # --- 4. several t -----------------------------------------------------------------------------
    def several_t(self):
        heading = label("The same digit and noise at several t", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        h, pitch = 0.82, 1.08
        cols_x = np.array([-5.6, -3.9, -2.4, -0.9, 0.6, 2.4, 4.6])
        head_texts = [math("t", 30, style.HIGHLIGHT), math("x_t", 30, style.STATE), math(r"\epsilon", 30, style.NOISE),
                      math(r"\hat\epsilon", 30, style.PREDICTION), math(r"\hat\epsilon-\epsilon", 30, style.HIGHLIGHT),
                      math(r"\text{MSE}", 30, style.TEXT), math(r"\hat x_0", 30, style.PREDICTION)]
        top = 2.55
        header = VGroup(*[t.move_to([x, top, 0]) for t, x in zip(head_texts, cols_x)])
        self.next_beat(f"Now the same digit and the same noise at {len(TABLE_T)} steps, from small t to large t.", 3)
        self.play(FadeIn(heading), FadeIn(header))
        self.wait(2)
        rows = []
        narr = {0: "Small t: x_t is nearly the digit and the noise is a faint whisper. "
                   f"{self.facts['eps_error_small_vs_large_t'].text}, but a wrong guess barely changes x0-hat.",
                3: "Large t: x_t is almost pure noise, so predicting the noise is easy; guessing the digit "
                   "behind it is the hard part."}
        for i, t in enumerate(TABLE_T):
            p = self.preds[t]
            y = top - 0.75 - i * pitch
            cells = Group(math(str(t), 30, style.HIGHLIGHT), pixel_image(p.x_t, h), eps_image(p.eps, h),
                          eps_image(p.eps_hat, h), eps_image(p.error, h),
                          math(format_mse(p.mse), 30, style.TEXT), pixel_image(p.x0_hat, h))
            for c, x in zip(cells, cols_x):
                c.move_to([x, y, 0])
            hold = 2.3 if i not in narr else 5.3
            if i in narr:
                self.next_beat(narr[i], 0.7 + hold)
            self.play(FadeIn(cells), run_time=0.7)
            self.wait(hold)
            rows.append(cells)
        self.wait(1.5)
        self.hold_narration()
        self.play(FadeOut(Group(heading, header, *rows)))

    # --- 5. measured error against t --------------------------------------------------------------
    def error_vs_t(self):
        curve = noise_error_curve()
        heading = label(f"Error against t, measured on {curve.n_samples} held-out digits", style.LABEL_SIZE)
        heading.to_edge(UP, buff=0.3)
        ep = self.error_plot(curve)
        self.next_beat(f"Over {curve.n_samples} held-out digits, with real forward passes at {len(curve.t)} steps, "
                       f"{self.facts['eps_mse_falls_with_t'].text}.", 5)
        self.play(FadeIn(heading), Create(ep.axes), FadeIn(ep.xt_labels), FadeIn(ep.yt_labels), FadeIn(ep.x_name),
                  FadeIn(ep.y_name))
        self.play(Create(ep.eps_line), FadeIn(ep.eps_name), run_time=2.5, rate_func=linear)
        self.play(FadeIn(ep.ours), FadeIn(ep.ours_name))
        self.wait(2.5)
        self.next_beat(f"The error of the recovered image {self.facts['x0_mse_rises_with_t'].text}: near zero at small t. "
                       "Which t is hard depends on what you ask for.", 6)
        self.play(Create(ep.x0_line), FadeIn(ep.x0_name), FadeIn(ep.clip_note), run_time=2.5, rate_func=linear)
        self.wait(3.5)
        self.next_beat(f"Against two guesses that ignore x_t: {self.facts['x0_mse_at_T_vs_references'].text}.", 9)
        self.play(Create(ep.refs), FadeIn(ep.ref_names), run_time=1.5)
        self.wait(7.5)
        self.hold_narration()
        self.play(FadeOut(Group(heading, ep.axes, ep.xt_labels, ep.yt_labels, ep.x_name, ep.y_name, ep.eps_line,
                                ep.x0_line, ep.legend, ep.ours, ep.ours_name, ep.clip_note, ep.refs, ep.ref_names)))

    def error_plot(self, curve) -> SimpleNamespace:
        """Log-log axes of the measured eps and x0 errors against t (in decades, the x axis at 10^ymin),
        the table's digit as dots, and beside it the legend and two references."""
        T = self.tm.schedule.T
        lx = np.log10(curve.t + 1.0)
        ly_eps, ly_x0 = np.log10(curve.eps_mse), np.log10(curve.x0_mse)
        ymin = float(np.floor(min(ly_eps.min(), ly_x0.min())))
        ymax = float(np.ceil(max(ly_eps.max(), ly_x0.max())))
        axes = Axes(x_range=[0, np.log10(T), 1], y_range=[0, ymax - ymin, 1], x_length=7.8, y_length=4.9,
                    axis_config=dict(color=style.MUTED, include_ticks=True, stroke_width=2),
                    tips=False).move_to([-1.9, -0.35, 0])
        P = lambda lt, lv: axes.c2p(lt, lv - ymin)
        xt_labels = VGroup(*[math(str(10 ** k), style.TICK_SIZE, style.MUTED).next_to(P(k, ymin), DOWN, buff=0.15)
                             for k in range(int(np.log10(T)) + 1)])
        line = lambda ly, color: VMobject(color=color, stroke_width=4).set_points_as_corners(
            [P(a, b) for a, b in zip(lx, ly)])
        ep = SimpleNamespace(
            axes=axes, xt_labels=xt_labels,
            yt_labels=VGroup(*[math(rf"10^{{{int(k)}}}", style.TICK_SIZE + 2, style.MUTED).next_to(P(0, k), LEFT, buff=0.15)
                               for k in np.arange(ymin, ymax + 1)]),
            x_name=math("t", 30, style.HIGHLIGHT).next_to(xt_labels, DOWN, buff=0.1),
            y_name=label("mean squared error", style.SMALL_SIZE, style.MUTED).next_to(axes, UP, buff=0.15).align_to(axes, LEFT),
            eps_line=line(ly_eps, style.NOISE), x0_line=line(ly_x0, style.SIGNAL),
            eps_name=MathTex(r"\hat\epsilon \text{ vs } \epsilon \text{ (the loss)}", font_size=30, color=style.NOISE),
            x0_name=MathTex(r"\hat x_0 \text{ vs } x_0", font_size=30, color=style.SIGNAL),
            ours=VGroup(*[Dot(P(np.log10(t), np.log10(self.preds[t].mse)), radius=0.06, color=style.HIGHLIGHT)
                          for t in TABLE_T]))
        self.error_legend(ep, P, T)
        return ep

    def error_legend(self, ep, P, T):
        """Beside the axes: the two curves' names, the table's digit, the clipping note, and two
        references drawn across the plot (P maps log t and log error to the axes)."""
        ep.legend = VGroup(ep.eps_name, ep.x0_name).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        ep.legend.next_to(ep.axes, RIGHT, buff=0.35).shift(UP * 0.8)
        ep.ours_name = VGroup(Dot(radius=0.06, color=style.HIGHLIGHT),
                              label("our digit (the table)", style.SMALL_SIZE, style.HIGHLIGHT)).arrange(RIGHT, buff=0.15)
        ep.ours_name.next_to(ep.legend, DOWN, buff=0.35, aligned_edge=LEFT)
        ep.clip_note = math(r"\hat x_0 \text{ clipped to } [-1, 1]", 26, style.MUTED).next_to(ep.ours_name, DOWN, buff=0.3,
                                                                                             aligned_edge=LEFT)
        # what an x0 guess that ignores x_t scores: predicting 0, and predicting the mean digit (data variance)
        ref = x0_references(self.tm)
        ep.refs = VGroup(*[DashedLine(P(0, np.log10(v)), P(np.log10(T), np.log10(v)), color=c, stroke_width=2.5)
                           for v, c in ((ref["zero"], style.MUTED), (ref["mean"], style.FIXED))])
        ep.ref_names = VGroup(label(f"predict 0: {ref['zero']:.2f}", style.SMALL_SIZE, style.MUTED),
                              label(f"predict the mean digit: {ref['mean']:.2f}", style.SMALL_SIZE, style.FIXED)
                              ).arrange(DOWN, aligned_edge=LEFT, buff=0.15)
        ep.ref_names.next_to(ep.clip_note, DOWN, buff=0.3, aligned_edge=LEFT)

    # --- 6. the training run ----------------------------------------------------------------------
    def training_montage(self):
        lp = self.loss_plot()
        sg = self.snapshot_grid(lp)
        heading = label("How it learned: the real training run", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        self.next_beat(f"Finally, how the network learned this. The loss recorded at each of the {lp.n_steps} training steps "
                       f"of the real run {self.facts['loss_fast_then_slow'].text}.", 5)
        self.play(FadeIn(heading), Create(lp.axes), FadeIn(lp.x_labels), FadeIn(lp.y_labels), FadeIn(lp.y_ticks),
                  FadeIn(lp.x_name), FadeIn(lp.y_name))
        self.play(Create(lp.raw_line), Create(lp.s_line), FadeIn(lp.legend), run_time=3, rate_func=linear)
        self.wait(1)
        self.next_beat("Weights saved along the way, the optimiser's own (the averaged weights used elsewhere lag behind "
                       "early on), sampled from the same starting noise, show what each stage of the network can draw.",
                       3.5 + 2.6 * (len(sg.snaps) - 1))
        self.play(FadeIn(sg.frame), FadeIn(sg.title), FadeIn(sg.dot), FadeIn(sg.tag))
        self.wait(2.5)
        for step in sg.snaps[1:]:
            self.play(sg.dot.animate.move_to(lp.at(step)), Transform(sg.frame[0], sg.grid_at(step)),
                      Transform(sg.tag, sg.tag_at(step)), run_time=1.0)
            self.wait(1.6)
        self.next_beat(f"{self.facts['snapshots_become_digits'].text}. Everything in this video came from this one "
                       "training run of the digits model.", 6)
        self.wait(6)
        self.hold_narration()
        self.play(FadeOut(Group(heading, lp.axes, lp.x_labels, lp.y_labels, lp.y_ticks, lp.x_name, lp.y_name, lp.raw_line,
                                lp.s_line, lp.legend, sg.frame, sg.title, sg.dot, sg.tag)))

    def loss_plot(self) -> SimpleNamespace:
        """The run's loss per batch and its moving average against the step, log scale, on the left;
        at(step): the point of the average at that step."""
        hist = self.tm.history
        window = loss_window(hist)
        steps, smooth = smoothed_loss(hist, window=window)
        ly_raw, ly_s = np.log10(np.asarray(hist["loss"])), np.log10(smooth)
        ymin = float(np.floor(ly_raw.min() * 2) / 2)
        ymax = float(np.ceil(ly_raw.max() * 2) / 2)
        n_steps = int(steps[-1])
        axes = Axes(x_range=[0, n_steps, n_steps / 4], y_range=[0, ymax - ymin, 0.5], x_length=7.2, y_length=5.0,
                    axis_config=dict(color=style.MUTED, stroke_width=2), y_axis_config=dict(include_ticks=False),
                    tips=False).move_to([-2.6, -0.3, 0])
        P = lambda step, lv: axes.c2p(step, lv - ymin)        # log10(loss) -> screen, x axis at the bottom
        x_labels = VGroup(*[math(f"{int(v)}", style.TICK_SIZE, style.MUTED).next_to(P(v, ymin), DOWN, buff=0.12)
                            for v in np.linspace(0, n_steps, 5)])
        ticks = [v for v in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2) if ymin <= np.log10(v) <= ymax]
        stride = max(1, len(steps) // 800)
        polyline = lambda ly, **kw: VMobject(**kw).set_points_as_corners(
            [P(a, b) for a, b in zip(steps[::stride], ly[::stride])])
        return SimpleNamespace(
            n_steps=n_steps, axes=axes, x_labels=x_labels, smooth=smooth,
            at=lambda step: P(step, np.log10(float(smooth[int(step) - 1]))),
            y_labels=VGroup(*[math(f"{v:g}", style.TICK_SIZE, style.MUTED).next_to(P(0, np.log10(v)), LEFT, buff=0.12)
                              for v in ticks]),
            y_ticks=VGroup(*[Line(P(0, np.log10(v)), P(0, np.log10(v)) + RIGHT * 0.1, color=style.MUTED) for v in ticks]),
            x_name=label("training step", style.SMALL_SIZE, style.MUTED).next_to(x_labels, DOWN, buff=0.12),
            y_name=label("loss (MSE of the noise, log scale)", style.SMALL_SIZE, style.MUTED).next_to(axes, UP, buff=0.15)
            .align_to(axes, LEFT),
            raw_line=polyline(ly_raw, stroke_width=1, stroke_color=style.MUTED, stroke_opacity=0.6),
            s_line=polyline(ly_s, stroke_width=4, stroke_color=style.NOISE),
            legend=VGroup(label("per batch", style.SMALL_SIZE, style.MUTED),
                          label(f"moving average ({window} steps)", style.SMALL_SIZE, style.NOISE)).arrange(
                DOWN, aligned_edge=LEFT, buff=0.1).next_to(P(n_steps, ymax), DL, buff=0.1))

    def snapshot_grid(self, lp) -> SimpleNamespace:
        """Samples of the saved snapshots as a 4 x 4 grid on the right, the first snapshot's shown, with
        its step and loss under it and a dot on the loss curve; grid_at / tag_at: another snapshot's."""
        samples = training_snapshots()
        snaps = sorted(samples)
        grid_h, grid_pos = 4.2, np.array([4.2, -0.3, 0])
        grid_at = lambda step: image_grid(samples[step], 4, 4, height=grid_h).move_to(grid_pos)
        frame = framed(grid_at(snaps[0]), style.PREDICTION)
        tag_at = lambda step: label(f"step {step}   loss {format_mse(float(lp.smooth[int(step) - 1]))}", style.SMALL_SIZE,
                                    style.HIGHLIGHT).next_to(frame, DOWN, buff=0.25)
        return SimpleNamespace(
            snaps=snaps, frame=frame, grid_at=grid_at, tag_at=tag_at, tag=tag_at(snaps[0]),
            title=label(f"raw weights, same x_T, DDIM {SNAPSHOT_STEPS}", style.SMALL_SIZE, style.MUTED)
            .next_to(frame, UP, buff=0.2),
            dot=Dot(lp.at(snaps[0]), radius=0.08, color=style.HIGHLIGHT))

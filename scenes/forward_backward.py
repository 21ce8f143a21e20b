"""ForwardBackward — noise a real held-out digit to t = 0.2T ... 0.8T and let the model denoise it back,
several times: how much noise must be added before the result becomes a different digit? Measured with
the library's digit classifier (diffusion.experiments.run_forward_backward)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Arrow, Axes, Create, DashedLine, FadeIn, FadeOut, Group, LaggedStart,
                   Rectangle, VGroup, Write)

from diffusion.studies.experiments import default_config
from scenes.kit import layout, style
from scenes.kit.data import forward_backward as data
from scenes.kit.data.forward_backward import forward_backward, sampler_name, typical_digit
from scenes.kit.images import framed, pixel_image
from scenes.kit.preset import scene_preset
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

N_SHOWN = 4                 # denoised outputs shown per t (of cfg.fb_repeats)
X_SIZE, OUT_SIZE = 1.6, 1.0  # heights of x_t and of one denoised output (then fitted to the column)
KEPT, CHANGED = style.SIGNAL, style.FIXED


class ForwardBackward(DiffusionScene):
    description = "Noise a real digit to t = 0.2T..0.8T and denoise it back: when does it become another digit?"
    data = data

    def construct(self):
        r = forward_backward()
        d = typical_digit(r)
        s = SimpleNamespace(r=r, d=d, y=int(r["labels_true"][d]), R=r["labels"].shape[2],
                            sampler=sampler_name(default_config(scene_preset()), int(r["T"])))
        s.n_shown = min(N_SHOWN, s.R)
        self.beat("Take a real digit the model has never seen, add noise, and let the model remove it again: "
                  "SDEdit (Meng et al. 2022).", 4)
        self.title_card("Forward, then backward", "how much noise until the digit changes?")
        heading = layout.heading("Noise a held-out digit to t, then denoise it back (SDEdit)")
        self.one_digit(s, heading)
        self.share_chart(s, heading)

    def digit_column(self, s, i, box):
        """x_t of the shown digit at the i-th t, an arrow, n_shown of its denoisings and how many kept the class."""
        r, d, y, R = s.r, s.d, s.y, s.R
        x_t = framed(pixel_image(r["noised"][i, d, 0, 0], X_SIZE), style.STATE)
        t_l = math(rf"t = {int(r['t'][i])}", color=style.HIGHLIGHT).next_to(x_t, UP, buff=0.15)
        outs = Group()
        for j in range(s.n_shown):
            lab = int(r["labels"][i, d, j])
            img = framed(pixel_image(r["outputs"][i, d, j, 0], OUT_SIZE), KEPT if lab == y else CHANGED, buff=0.03)
            txt = label(str(lab), style.SMALL_SIZE, KEPT if lab == y else CHANGED).next_to(img, DOWN, buff=0.06)
            outs.add(Group(img, txt))
        outs.arrange_in_grid(cols=2, buff=(0.22, 0.12)).next_to(x_t, DOWN, buff=0.55)
        arrow = Arrow(x_t.get_bottom(), outs.get_top(), buff=0.05, color=style.MUTED, stroke_width=3,
                      max_tip_length_to_length_ratio=0.35)
        kept = int(round(r["share_kept_per_digit"][i, d] * R))
        k_l = label(f"kept {kept}/{R}", style.SMALL_SIZE, KEPT if kept * 2 >= R else CHANGED).next_to(outs, DOWN, buff=0.12)
        return layout.fit(Group(t_l, x_t, arrow, outs, k_l), box)

    def one_digit(self, s, heading):
        r, R = s.r, s.R
        boxes = layout.split(layout.region(note=True), [1] * (len(r["t"]) + 1), gap=0.3)
        orig = framed(pixel_image(r["digits"][s.d, 0], X_SIZE), KEPT)
        x0_l = math(r"x_0", color=style.SIGNAL).next_to(orig, UP, buff=0.15)
        orig_l = label(f"held-out digit\nclassifier: {s.y}", style.SMALL_SIZE, style.TEXT).next_to(orig, DOWN, buff=0.2)
        cols = Group(*[self.digit_column(s, i, boxes[i + 1]) for i in range(len(r["t"]))])
        # the original sits level with the noised digits, its label where theirs is
        first_col = Group(x0_l, orig, orig_l).scale(cols[0][1].height / orig.height)
        first_col.set_x((boxes[0][0] + boxes[0][2]) / 2).shift(UP * (cols[0][1].get_center()[1] - orig.get_center()[1]))
        note = layout.footnote(f"{s.n_shown} of {R} denoisings shown ({s.sampler}); colour: same class or not")
        self.play(FadeIn(heading), FadeIn(orig), Write(x0_l), FadeIn(orig_l))
        first = cols[0]
        self.next_beat(f"Noise it to t = {int(r['t'][0])} of {int(r['T'])}, then run the model's sampler back to t = 0 "
                       f"({s.sampler}), {R} times with different noise.", 5)
        # the forward half at every t at once (the frame's full width), then the way back from the first
        self.play(*[FadeIn(c[0]) for c in cols], *[FadeIn(c[1]) for c in cols])
        self.play(Create(first[2]), LaggedStart(*[FadeIn(o) for o in first[3]], lag_ratio=0.25), run_time=1.5)
        self.play(FadeIn(first[4]), FadeIn(note))
        self.wait(2)
        self.next_beat(f"{self.facts['share_kept_falls'].text}, and the model fills in a digit of its own.", 8)
        for col in cols[1:]:
            self.play(Create(col[2]), LaggedStart(*[FadeIn(o) for o in col[3]], lag_ratio=0.25), FadeIn(col[4]),
                      run_time=1.3)
            self.wait(1.2)
        self.wait(2)
        self.play(FadeOut(Group(orig, orig_l, x0_l, cols, note)))

    # --- the measured share over all held-out digits ----------------------------------------
    def share_chart(self, s, heading):
        r, R, share = s.r, s.R, s.r["share_kept"]
        n_dig = len(r["labels_true"])
        h2 = label(f"Share that keeps its class: {n_dig} held-out digits × {R} denoisings", style.LABEL_SIZE).move_to(heading)
        ax = Axes(x_range=[0, 1, 0.2], y_range=[0, 1, 0.25], x_length=9.6, y_length=4.7, tips=False,
                  axis_config=dict(color=style.GRID, font_size=style.TICK_SIZE),
                  x_axis_config=dict(numbers_to_include=[0.2, 0.4, 0.6, 0.8, 1.0], decimal_number_config=dict(num_decimal_places=1)),
                  y_axis_config=dict(numbers_to_include=[0, 0.25, 0.5, 0.75, 1.0], decimal_number_config=dict(num_decimal_places=2)))
        ax.move_to([-0.6, -0.2, 0])
        xl = math(r"t / T", size=style.TICK_SIZE + 4, color=style.MUTED).next_to(ax.x_axis, DOWN, buff=0.2)
        yl = label("kept class", style.SMALL_SIZE, style.MUTED).rotate(np.pi / 2).next_to(ax.y_axis, LEFT, buff=0.75)
        bars, vals = VGroup(), VGroup()
        for f, v in zip(r["fracs"], share):
            p0, p1 = ax.c2p(f - 0.06, 0), ax.c2p(f + 0.06, v)
            bars.add(Rectangle(width=p1[0] - p0[0], height=max(p1[1] - p0[1], 1e-3), stroke_width=0,
                               fill_color=KEPT, fill_opacity=0.85).move_to((p0 + p1) / 2))
            vals.add(label(f"{v:.2f}", style.LABEL_SIZE, style.TEXT).next_to(ax.c2p(f, max(v, 0.12)), UP, buff=0.1))
        chance = DashedLine(ax.c2p(0, 0.1), ax.c2p(1, 0.1), color=style.MUTED)
        chance_l = label("1 in 10 classes", style.SMALL_SIZE, style.MUTED).next_to(ax.c2p(1, 0.1), RIGHT, buff=0.15)
        self.beat(f"Over all the held-out digits: {'; '.join(c.text for k, c in self.facts.items() if k.startswith('share_kept_') and k != 'share_kept_falls')}.", 8)
        self.play(FadeOut(heading), FadeIn(h2), Create(ax), FadeIn(xl), FadeIn(yl))
        self.play(LaggedStart(*[FadeIn(b, shift=UP * 0.2) for b in bars], lag_ratio=0.3), FadeIn(vals), run_time=2)
        self.play(Create(chance), FadeIn(chance_l))
        self.wait(6)
        self.hold_narration()
        self.play(FadeOut(Group(h2, ax, xl, yl, bars, vals, chance, chance_l)))

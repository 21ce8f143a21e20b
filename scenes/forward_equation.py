"""ForwardEquation — from one noising step to the closed form x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps,
derived with transforms that carry the terms over; the schedules plotted from NoiseSchedule's own
arrays with the SNR = 1 crossing; one real image noised with one fixed eps as t moves."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, UR, Create, DashedLine, Dot, FadeIn, FadeOut, Group,
                   MathTex, ReplacementTransform, SurroundingRectangle, ValueTracker, VGroup,
                   Write, linear)

from diffusion.studies import forward as F
from diffusion.core.schedule import NoiseSchedule
from scenes.kit import layout, style
from scenes.kit.data import forward_equation
from scenes.kit.data.forward_equation import BETA_MAX, STRIP_T, T, describe_source, image_and_eps
from scenes.kit.images import framed, pixel_image
from scenes.kit.numbers import Tracked
from scenes.kit.plots import curve_from_array, schedule_axes
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

EQ_SIZE = 44                               # the derivation is the picture: as large as its widest line allows

# colours of the terms: the state, the signal part and the noise part
C_STATE, C_SIG, C_NOISE = style.STATE, style.SIGNAL, style.NOISE


def eq(*parts, colors=None, size=EQ_SIZE):
    """A MathTex with one submobject per part; colors maps part index -> colour."""
    m = MathTex(*parts, font_size=size, color=style.TEXT)
    for i, c in (colors or {}).items():
        m[i].set_color(c)
    return m


class ForwardEquation(DiffusionScene):
    description = ("The forward process derived: one noising step unrolled into x_t = sqrt(ab_t) x_0 + "
                   "sqrt(1-ab_t) eps; schedules plotted; one image noised with one eps as t moves.")
    data = forward_equation

    @classmethod
    def validate_inputs(cls):
        forward_equation.validate_inputs()

    def construct(self):
        self.lin, self.cos = NoiseSchedule("linear", T), NoiseSchedule("cosine", T)

        # --- Title -------------------------------------------------------------------------
        self.beat("The forward process: how diffusion turns an image into noise, and why one formula jumps to any step.", 3.4)
        self.title_card("The forward process", "from one small step to a closed form")

        self.derivation()
        self.schedules()
        self.same_eps()

    # ------------------------------------------------------------------------------------------
    def derivation(self):
        """From one noising step to the closed form, each term carried over by transforms."""
        d = SimpleNamespace(heading=label("One step of noise", style.LABEL_SIZE).to_edge(UP, buff=0.35))
        self.one_step(d)
        self.reparameterise(d)
        self.unroll(d)
        self.expand(d)
        self.merge_gaussians(d)
        self.down_to_x0(d)
        self.hold_narration()
        self.play(FadeOut(VGroup(d.heading, d.l1b, d.alpha_def, d.eps_note, d.l8, d.box, d.prod, d.not_sum, d.number)))

    def one_step(self, d):
        """q(x_t | x_{t-1}), then its betas written as alphas."""
        heading = d.heading
        l1 = eq(r"q(x_t \mid x_{t-1})", "=", r"\mathcal{N}\big(x_t;\ ", r"\sqrt{1-\beta_t}", r"\,x_{t-1}",
                r",\ ", r"\beta_t", r"\,\mathbf{I}\big)", colors={4: C_STATE, 3: C_SIG, 6: C_NOISE})
        l1.next_to(heading, DOWN, buff=0.6)
        self.next_beat("One step of the forward process: keep a little less of the previous image, add a little Gaussian noise.", 4)
        self.layout_exempt("fill", "one formula alone: the formula is the picture")
        self.play(FadeIn(heading), Write(l1))
        self.wait(2)

        alpha_def = eq(r"\alpha_t = 1-\beta_t", size=32).to_corner(DOWN + LEFT, buff=0.6)
        l1b = eq(r"q(x_t \mid x_{t-1})", "=", r"\mathcal{N}\big(x_t;\ ", r"\sqrt{\alpha_t}", r"\,x_{t-1}",
                 r",\ ", r"(1-\alpha_t)", r"\,\mathbf{I}\big)", colors={4: C_STATE, 3: C_SIG, 6: C_NOISE})
        l1b.move_to(l1)
        self.next_beat("Write alpha_t for one minus beta_t.", 3)
        self.play(Write(alpha_def))
        # the same parts, index by index: the beta terms turn into their alpha forms in place
        self.play(*[ReplacementTransform(l1[i], l1b[i]) for i in range(len(l1b))], run_time=1.5)
        self.wait(1.5)
        d.l1b = l1b
        d.alpha_def = alpha_def

    def reparameterise(self, d):
        l1b = d.l1b
        l2 = eq("x_t", "=", r"\sqrt{\alpha_t}", r"\,x_{t-1}", "+", r"\sqrt{1-\alpha_t}", r"\,\epsilon_{t-1}",
                colors={0: C_STATE, 2: C_SIG, 3: C_STATE, 5: C_NOISE, 6: C_NOISE})
        l2.next_to(l1b, DOWN, buff=0.7)
        eps_note = eq(r"\epsilon_{t-1},\ \epsilon_{t-2},\ \ldots \sim \mathcal{N}(0, \mathbf{I})", size=30)
        eps_note.to_corner(DOWN + RIGHT, buff=0.6)
        eps_note[0].set_color(C_NOISE)
        self.next_beat("Sampling from that Gaussian is the same as scaling the mean and adding scaled standard noise.", 4)
        src = l1b.copy()
        self.play(ReplacementTransform(src[0], l2[0]), ReplacementTransform(src[1], l2[1]),
                  ReplacementTransform(src[3], l2[2]), ReplacementTransform(src[4], l2[3]),
                  ReplacementTransform(src[6], l2[5]), FadeOut(VGroup(src[2], src[5], src[7])),
                  FadeIn(l2[4]), FadeIn(l2[6], shift=LEFT * 0.3), run_time=1.8)
        self.play(FadeIn(eps_note))
        self.wait(2)
        d.l2 = l2
        d.eps_note = eps_note

    def unroll(self, d):
        """The previous state from the same rule, substituted in."""
        l2 = d.l2
        l3 = eq("x_{t-1}", "=", r"\sqrt{\alpha_{t-1}}", r"\,x_{t-2}", "+", r"\sqrt{1-\alpha_{t-1}}", r"\,\epsilon_{t-2}",
                colors={0: C_STATE, 2: C_SIG, 3: C_STATE, 5: C_NOISE, 6: C_NOISE})
        l3.next_to(l2, DOWN, buff=0.5)
        self.next_beat("The previous state came from the same rule, one step earlier.", 3)
        self.play(Write(l3))
        self.wait(1.5)

        l4 = eq("x_t", "=", r"\sqrt{\alpha_t}", r"\big(", r"\sqrt{\alpha_{t-1}}", r"\,x_{t-2}", "+",
                r"\sqrt{1-\alpha_{t-1}}", r"\,\epsilon_{t-2}", r"\big)", "+", r"\sqrt{1-\alpha_t}", r"\,\epsilon_{t-1}",
                colors={0: C_STATE, 2: C_SIG, 4: C_SIG, 5: C_STATE, 7: C_NOISE, 8: C_NOISE, 11: C_NOISE, 12: C_NOISE})
        l4.move_to(l2).shift(DOWN * 0.5)
        self.next_beat("Substitute it in: x_{t-1} is replaced by its own formula.", 3.4)
        self.play(ReplacementTransform(l2[0], l4[0]), ReplacementTransform(l2[1], l4[1]),
                  ReplacementTransform(l2[2], l4[2]), FadeOut(l2[3], shift=DOWN * 0.3),
                  *[ReplacementTransform(l3[i], l4[i + 2]) for i in range(2, 7)],
                  FadeOut(VGroup(l3[0], l3[1])), FadeIn(l4[3]), FadeIn(l4[9]),
                  ReplacementTransform(l2[4], l4[10]), ReplacementTransform(l2[5], l4[11]),
                  ReplacementTransform(l2[6], l4[12]), run_time=2)
        self.wait(1.5)
        d.l4 = l4

    def expand(self, d):
        l4 = d.l4
        l5 = eq("x_t", "=", r"\sqrt{\alpha_t\alpha_{t-1}}", r"\,x_{t-2}", "+", r"\sqrt{\alpha_t}\sqrt{1-\alpha_{t-1}}",
                r"\,\epsilon_{t-2}", "+", r"\sqrt{1-\alpha_t}", r"\,\epsilon_{t-1}",
                colors={0: C_STATE, 2: C_SIG, 3: C_STATE, 5: C_NOISE, 6: C_NOISE, 8: C_NOISE, 9: C_NOISE})
        l5.move_to(l4)
        self.next_beat("Multiply out the bracket.", 2.5)
        a_copy = l4[2].copy()
        self.play(ReplacementTransform(l4[0], l5[0]), ReplacementTransform(l4[1], l5[1]),
                  ReplacementTransform(VGroup(l4[2], l4[4]), l5[2]), ReplacementTransform(l4[5], l5[3]),
                  ReplacementTransform(l4[6], l5[4]), ReplacementTransform(VGroup(a_copy, l4[7]), l5[5]),
                  ReplacementTransform(l4[8], l5[6]), FadeOut(VGroup(l4[3], l4[9])),
                  ReplacementTransform(l4[10], l5[7]), ReplacementTransform(l4[11], l5[8]),
                  ReplacementTransform(l4[12], l5[9]), run_time=2)
        self.wait(1.5)
        d.l5 = l5

    def merge_gaussians(self, d):
        l5 = d.l5
        merge_note = VGroup(
            label("two independent Gaussians: variances add", style.SMALL_SIZE, style.MUTED),
            eq(r"\alpha_t(1-\alpha_{t-1}) + (1-\alpha_t) = 1-\alpha_t\alpha_{t-1}", size=32),
        ).arrange(DOWN, buff=0.2).next_to(l5, DOWN, buff=0.7)
        brace_box = SurroundingRectangle(VGroup(l5[5], l5[9]), color=style.NOISE, buff=0.08, stroke_width=2)
        self.next_beat("The two noise terms are independent Gaussians, so their variances add: "
                       "alpha_t (1 - alpha_{t-1}) + (1 - alpha_t) = 1 - alpha_t alpha_{t-1}.", 6)
        self.play(Create(brace_box))
        self.play(FadeIn(merge_note))
        self.wait(2.5)
        l6 = eq("x_t", "=", r"\sqrt{\alpha_t\alpha_{t-1}}", r"\,x_{t-2}", "+", r"\sqrt{1-\alpha_t\alpha_{t-1}}",
                r"\,\bar\epsilon", colors={0: C_STATE, 2: C_SIG, 3: C_STATE, 5: C_NOISE, 6: C_NOISE})
        l6.move_to(l5)
        self.play(*[ReplacementTransform(l5[i], l6[i]) for i in range(5)],
                  ReplacementTransform(VGroup(l5[5], l5[7], l5[8]), l6[5]),
                  ReplacementTransform(VGroup(l5[6], l5[9]), l6[6]), FadeOut(brace_box), run_time=2)
        self.next_beat("Two steps collapse into one Gaussian step with a product of alphas.", 2.5)
        self.wait(2.5)
        d.l6 = l6
        d.merge_note = merge_note

    def down_to_x0(self, d):
        """Down to x_0: the product alpha-bar, and its value at T."""
        l6 = d.l6
        merge_note = d.merge_note
        l7 = eq("x_t", "=", r"\sqrt{\alpha_t\alpha_{t-1}\cdots\alpha_1}", r"\,x_0", "+",
                r"\sqrt{1-\alpha_t\alpha_{t-1}\cdots\alpha_1}", r"\,\epsilon",
                colors={0: C_STATE, 2: C_SIG, 3: C_SIG, 5: C_NOISE, 6: C_NOISE})
        l7.move_to(l6)
        self.next_beat("Repeat the same merge all the way down to the clean image x_0.", 3)
        self.play(*[ReplacementTransform(l6[i], l7[i]) for i in range(7)], FadeOut(merge_note), run_time=2)
        self.wait(1.5)
        l8 = eq("x_t", "=", r"\sqrt{\bar\alpha_t}", r"\,x_0", "+", r"\sqrt{1-\bar\alpha_t}", r"\,\epsilon",
                colors={0: C_STATE, 2: C_SIG, 3: C_SIG, 5: C_NOISE, 6: C_NOISE}, size=46)
        l8.move_to(l7)
        prod = eq(r"\bar\alpha_t", "=", r"\prod_{s=1}^{t} \alpha_s", size=40).next_to(l8, DOWN, buff=0.6)
        prod[0].set_color(C_SIG)
        not_sum = label("a product of the alphas, not a sum", style.SMALL_SIZE, style.HIGHLIGHT)
        not_sum.next_to(prod, DOWN, buff=0.3)
        ab_T = self.lin.alpha_bar[-1].item()
        mant, expo = f"{ab_T:.2e}".split("e")
        number = eq(rf"\text{{linear, }}T={T}:\quad \bar\alpha_T = {mant}\times 10^{{{int(expo)}}}", size=30)
        number.next_to(not_sum, DOWN, buff=0.35)
        self.next_beat("Call the product alpha-bar. Then x_t is one Gaussian jump from x_0: "
                       "square root of alpha-bar times the image, plus square root of one minus alpha-bar times noise.", 6)
        self.play(*[ReplacementTransform(l7[i], l8[i]) for i in range(7)], run_time=2)
        box = SurroundingRectangle(l8, color=style.HIGHLIGHT, buff=0.15, stroke_width=2)
        self.play(Create(box), Write(prod))
        self.play(FadeIn(not_sum))
        self.wait(2)
        self.next_beat(f"With the linear schedule and {T} steps, alpha-bar at T is {ab_T:.1e}: almost no signal is left.", 4)
        self.play(FadeIn(number))
        self.wait(3)
        d.l8 = l8
        d.box = box
        d.prod = prod
        d.not_sum = not_sum
        d.number = number

    # ------------------------------------------------------------------------------------------
    def schedules(self):
        heading = label("How much signal is left at step t", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        legend = VGroup(*[VGroup(math(tex, size=30, color=c), ) for tex, c in (
            (r"\beta_t", style.TEXT), (r"\bar\alpha_t", style.STATE), (r"\sqrt{\bar\alpha_t}", C_SIG),
            (r"\sqrt{1-\bar\alpha_t}", C_NOISE))]).arrange(RIGHT, buff=0.8)
        legend.next_to(heading, DOWN, buff=0.2)          # its own row: the title line stays the title's
        panels = VGroup(*[self.schedule_panel(s) for s in (self.lin, self.cos)]).arrange(RIGHT, buff=1.0)
        layout.fit(panels, layout.region(top=legend.get_bottom()[1] - 0.25))
        for p in panels:
            self.decorate_panel(p)      # curves are placed on the axes where they now stand

        self.next_beat("Two common schedules, plotted from the library's own arrays: linear (DDPM) and cosine.", 4)
        self.play(FadeIn(heading), *[FadeIn(VGroup(p.name, p.beta_axes, p.axes)) for p in panels], FadeIn(legend))
        self.play(*[Create(p.beta) for p in panels], run_time=1.5)
        self.wait(1.5)
        bl = self.lin.betas
        self.next_beat(f"Beta is the variance of the noise added per step: the noise's standard deviation is root beta, "
                       f"{bl.min().sqrt().item():.2f} to {bl.max().sqrt().item():.2f} for the linear schedule. Linear beta "
                       f"stays small, at most {bl.max().item():.2f}; {self.facts['cosine_beta_small_share'].text}.", 7)
        self.wait(7)
        self.next_beat("Alpha-bar, the product, falls from one to zero; its square root weighs the image, "
                       "and the square root of one minus alpha-bar weighs the noise.", 5.5)
        self.play(*[Create(p.ab) for p in panels], run_time=1.5)
        self.play(*[Create(p.sig) for p in panels], *[Create(p.noi) for p in panels], run_time=2)
        self.wait(2)
        self.next_beat(f"Signal and noise weigh the same where SNR = 1: at t = {F.snr_crossing(self.lin)} for linear, "
                       f"at t = {F.snr_crossing(self.cos)} for cosine. The cosine schedule keeps the image longer.", 6)
        self.play(*[Create(p.cross) for p in panels], *[FadeIn(p.cross_label) for p in panels])
        self.wait(3.5)
        self.hold_narration()
        self.play(FadeOut(VGroup(heading, legend, *[VGroup(p.name, p.beta_axes, p.axes, p.beta, p.ab, p.sig, p.noi,
                                                           p.cross, p.cross_label) for p in panels])))

    def schedule_panel(self, s: NoiseSchedule):
        """Axes for beta_t (small, top) and for ab, sqrt(ab), sqrt(1-ab) (large), with the SNR = 1 mark."""
        beta_axes = schedule_axes(T, y_max=BETA_MAX, width=5.2, height=1.0, y_step=0.02)
        axes = schedule_axes(T, y_max=1.0, width=5.2, height=2.3, y_step=0.5)
        name = label(f"{s.name}", style.LABEL_SIZE, style.TEXT)
        panel = VGroup(name, beta_axes, axes).arrange(DOWN, buff=0.35)
        panel.add(math(r"\mathrm{SNR}=1", size=26).next_to(axes.x_axis, DOWN, buff=0.5).set_opacity(0))   # room for it
        panel.schedule, panel.name, panel.beta_axes, panel.axes = s, name, beta_axes, axes
        return panel

    def decorate_panel(self, panel):
        s, beta_axes, axes = panel.schedule, panel.beta_axes, panel.axes
        betas = s.betas.numpy()
        panel.beta = curve_from_array(beta_axes, np.minimum(betas, BETA_MAX), style.TEXT)
        ab = s.alpha_bar.numpy()
        panel.ab = curve_from_array(axes, ab, style.STATE)
        panel.ab.set_stroke(opacity=0.8, width=2)
        panel.sig = curve_from_array(axes, np.sqrt(ab), C_SIG)
        panel.noi = curve_from_array(axes, np.sqrt(1 - ab), C_NOISE)
        t_star = F.snr_crossing(s)
        y_star = float(np.sqrt(ab[t_star - 1]))
        line = DashedLine(axes.c2p(t_star, 0), axes.c2p(t_star, 1), color=style.HIGHLIGHT, stroke_width=2)
        dot = Dot(axes.c2p(t_star, y_star), color=style.HIGHLIGHT, radius=0.07)
        panel.cross = VGroup(line, dot)
        panel.cross_label = math(rf"\mathrm{{SNR}}=1,\ t={t_star}", size=26, color=style.HIGHLIGHT)
        panel.cross_label.next_to(axes.x_axis, DOWN, buff=0.5)
        panel.cross_label.set_x(max(axes.c2p(t_star, 0)[0], axes.get_left()[0] + panel.cross_label.width / 2))

        if betas.max() > BETA_MAX:
            note = label(f"off scale: β → {betas.max():.3f} at t = {int(np.argmax(betas)) + 1}", style.SMALL_SIZE, style.MUTED)
            # above the plot, right-aligned: inside it the note would cross the axis or the late rise
            note.next_to(beta_axes.c2p(T, BETA_MAX), UP, buff=0.04).align_to(beta_axes.c2p(T, 0), RIGHT)
            panel.beta = VGroup(panel.beta, note)

    # ------------------------------------------------------------------------------------------
    def same_eps(self):
        """One image and one fixed eps; t moves and only the two weights change; then six t at once."""
        se = self.same_eps_parts()
        self.next_beat("Now the closed form on a real image. Draw one noise image epsilon, and keep it fixed.", 4)
        self.play(FadeIn(se.heading), Write(se.formula))
        self.play(FadeIn(se.x0_img), FadeIn(se.names[0]), FadeIn(se.src), FadeIn(se.eps_img), FadeIn(se.names[1]),
                  FadeIn(se.fixed))
        self.play(FadeIn(se.xt_img), FadeIn(se.xt_name), FadeIn(se.reads))
        self.wait(1.5)
        self.next_beat("Move t: only the two weights change. The image fades and the same noise grows.", 8)
        self.play(se.t.animate.set_value(T), run_time=7, rate_func=lambda a: a ** 1.6)
        self.wait(1)
        t_star = F.snr_crossing(self.lin)
        self.next_beat(f"At t = {t_star} the two weights are equal: SNR = 1. The image is still visible.", 4.5)
        self.play(se.t.animate.set_value(t_star), run_time=2.5)
        self.wait(2)
        self.next_beat(f"The same epsilon at {len(STRIP_T)} steps. Each is one jump from x_0, no chain needed.", 5)
        self.play(FadeOut(Group(se.row, se.names, se.src, se.fixed, se.reads, se.xt_name)), FadeIn(se.strip),
                  FadeIn(se.strip_labels))
        self.wait(3.5)
        se.xt_img.clear_updaters()
        for r in se.reads:
            r.stop()
        self.hold_narration()
        self.play(FadeOut(Group(se.heading, se.formula, se.strip, se.strip_labels)))

    def same_eps_parts(self) -> SimpleNamespace:
        """The formula, the row x_0 | eps | x_t (x_t and the read-outs follow the tracker t) and the
        grid of STRIP_T steps that replaces the row."""
        s = self.lin
        x0, eps = image_and_eps()
        ab = s.alpha_bar.numpy()
        heading = label("One image, one ε, every t  (linear schedule)", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        formula = eq("x_t", "=", r"\sqrt{\bar\alpha_t}", r"\,x_0", "+", r"\sqrt{1-\bar\alpha_t}", r"\,\epsilon",
                     colors={0: C_STATE, 2: C_SIG, 3: C_SIG, 5: C_NOISE, 6: C_NOISE}, size=36)
        formula.next_to(heading, DOWN, buff=0.25)

        size = 2.6                             # 48 px images: 3.25 screen px a pixel at 480p
        x0_img = framed(pixel_image(x0, size), C_SIG)
        eps_img = framed(pixel_image(eps, size, -2.5, 2.5), C_NOISE)
        t = ValueTracker(1)
        k_of = lambda: int(round(t.get_value()))
        xt_array = lambda: F.closed_form(s, x0, k_of(), eps)
        xt_img = framed(pixel_image(xt_array(), 3.1), C_STATE)
        row = Group(x0_img, eps_img, xt_img).arrange(RIGHT, buff=0.7).next_to(formula, DOWN, buff=0.55)
        row.shift(LEFT * 1.2)
        xt_img.add_updater(lambda m: m[0].become(pixel_image(xt_array(), 3.1).move_to(m[0])))
        # read-outs: t, sqrt(ab_t), sqrt(1 - ab_t) from the schedule
        reads = VGroup(Tracked("t =", k_of, size=32, color=style.HIGHLIGHT),
                       Tracked(r"\sqrt{\bar\alpha_t} =", lambda: np.sqrt(ab[k_of() - 1]), 3, color=C_SIG),
                       Tracked(r"\sqrt{1-\bar\alpha_t} =", lambda: np.sqrt(1 - ab[k_of() - 1]), 3, color=C_NOISE))
        reads.arrange(DOWN, aligned_edge=LEFT, buff=0.3).next_to(xt_img, RIGHT, buff=0.4)
        strip, strip_labels = self.strip_grid(formula, x0, eps)
        return SimpleNamespace(
            heading=heading, formula=formula, x0_img=x0_img, eps_img=eps_img, t=t, xt_img=xt_img, row=row, reads=reads,
            names=VGroup(math("x_0", color=C_SIG).next_to(x0_img, UP, buff=0.15),
                         math(r"\epsilon", color=C_NOISE).next_to(eps_img, UP, buff=0.15)),
            src=label(describe_source(), style.SMALL_SIZE, style.MUTED).next_to(x0_img, DOWN, buff=0.15),
            fixed=label("fixed", style.SMALL_SIZE, style.MUTED).next_to(eps_img, DOWN, buff=0.15),
            xt_name=math("x_t", color=C_STATE).next_to(xt_img, UP, buff=0.15), strip=strip, strip_labels=strip_labels)

    def strip_grid(self, formula, x0, eps):
        """The six steps as a 2 x 3 grid as large as the space under the formula allows, with their t."""
        x_0, y_0, x_1, y_1 = layout.region(top=formula.get_bottom()[1] - 0.3)
        side = min((y_1 - y_0 - 2 * 0.5 - 0.3) / 2, (x_1 - x_0 - 2 * 0.6) / 3)
        strip_imgs = [pixel_image(F.closed_form(self.lin, x0, tt, eps), side) for tt in STRIP_T]
        strip = Group(*strip_imgs).arrange_in_grid(rows=2, cols=3, buff=(0.6, 0.6))
        strip.move_to([0, (y_0 + y_1) / 2 + 0.2, 0])
        strip_labels = VGroup(*[math(rf"t={tt}", size=style.TICK_SIZE, color=style.MUTED).next_to(im, DOWN, buff=0.08)
                                for tt, im in zip(STRIP_T, strip_imgs)])
        return strip, strip_labels

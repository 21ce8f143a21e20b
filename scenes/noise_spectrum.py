"""NoiseSpectrum — the forward process in frequency: a photo's power falls with frequency, the noise
is flat, so the noise drowns the fine detail first and the crossing frequency moves from fine to
coarse as t grows; the same for 8x8 digits (four radial bins); then the digits model's reverse
process, read band by band, settles coarse first. Storyboard only: every number comes from
scenes/kit/data/noise_spectrum.py (which reads diffusion/studies/spectrum.py)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, DashedLine, Dot, FadeIn, FadeOut, Group, Line, MathTex,
                   ValueTracker, VGroup, VMobject, Write)

from diffusion.studies import spectrum as S
from scenes.kit import layout, style
from scenes.kit.data import noise_spectrum as D
from scenes.kit.models import digits_model
from scenes.kit.images import image_grid, pixel_image
from scenes.kit.numbers import LiveValue
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

BAND_COLORS = (style.SIGNAL, style.STATE, style.PREDICTION, style.HIGHLIGHT)
LOG2_F = (-6, -1)               # x axis: 1/64 .. 1/2 cycle per pixel
LOG10_P = (-5, 3)               # y axis: power 1e-5 .. 1e3


class SpectrumAxes(VGroup):
    """Log-log axes for radially averaged power: frequency in cycles per pixel (octaves), power in
    decades. Curves are cut where they leave the plotted power range."""

    def __init__(self, width: float, height: float):
        super().__init__()
        # coordinates are octaves above 1/64 and decades above the floor, so the axes meet bottom-left
        self.axes = Axes(x_range=[0, LOG2_F[1] - LOG2_F[0], 1], y_range=[0, LOG10_P[1] - LOG10_P[0], 1], x_length=width,
                         y_length=height, tips=False,
                         axis_config=dict(color=style.MUTED, stroke_width=2, include_ticks=True))
        self.add(self.axes)
        self.xticks = VGroup(*[math(rf"1/{2 ** -e}", size=style.TICK_SIZE, color=style.MUTED)
                               .next_to(self.c2p(e, LOG10_P[0]), DOWN, buff=0.15) for e in range(LOG2_F[0], 0)])
        self.yticks = VGroup(*[math(rf"10^{{{e}}}", size=style.TICK_SIZE, color=style.MUTED)
                               .next_to(self.c2p(LOG2_F[0], e), LEFT, buff=0.12) for e in range(LOG10_P[0] + 1, LOG10_P[1] + 1, 2)])
        self.xname = label("frequency (cycles per pixel)", style.SMALL_SIZE, style.MUTED).next_to(self.xticks, DOWN, buff=0.12)
        self.yname = label("power", style.SMALL_SIZE, style.MUTED).next_to(self.c2p(LOG2_F[0], LOG10_P[1]), UP, buff=0.12)
        self.add(self.xticks, self.yticks, self.xname, self.yname)

    def c2p(self, log2_f, log10_p):
        return self.axes.c2p(log2_f - LOG2_F[0], log10_p - LOG10_P[0])

    def p(self, f, power):
        return self.c2p(np.log2(f), np.log10(power))

    def curve(self, freq, power, color, width: float = 4) -> VMobject:
        """A polyline through (f, P), cut at the bottom of the plot (power below the range is not drawn)."""
        lx, ly = np.log2(np.asarray(freq)), np.log10(np.maximum(np.asarray(power, dtype=float), 1e-300))
        lo = LOG10_P[0]
        pts = []
        for i in range(len(lx)):
            if ly[i] >= lo:
                if i and ly[i - 1] < lo:                         # re-entering: start at the cut
                    w = (lo - ly[i - 1]) / (ly[i] - ly[i - 1])
                    pts.append((lx[i - 1] + w * (lx[i] - lx[i - 1]), lo))
                pts.append((lx[i], min(ly[i], LOG10_P[1])))
            elif i and ly[i - 1] >= lo:                          # leaving: end at the cut
                w = (ly[i - 1] - lo) / (ly[i - 1] - ly[i])
                pts.append((lx[i - 1] + w * (lx[i] - lx[i - 1]), lo))
                break
        mob = VMobject(color=color, stroke_width=width)
        if len(pts) >= 2:
            mob.set_points_as_corners([self.c2p(x, y) for x, y in pts])
        return mob

    def level(self, power, color, f_range) -> Line:
        """A flat line at `power` across f_range (the white noise's power)."""
        y = float(np.clip(np.log10(power), *LOG10_P))
        return Line(self.c2p(np.log2(f_range[0]), y), self.c2p(np.log2(f_range[1]), y), color=color,
                    stroke_width=4)

    def dots(self, freq, power, color, radius: float = 0.05) -> VGroup:
        keep = (np.log10(power) >= LOG10_P[0]) & (np.log10(power) <= LOG10_P[1])
        return VGroup(*[Dot(self.p(f, p), radius=radius, color=color) for f, p in zip(freq[keep], power[keep])])


class Crossing(VGroup):
    """The crossing frequency f*: a dashed vertical line through the plot and a dot where the signal
    meets the noise; hidden when f* lies outside the plotted band."""

    def __init__(self, plot: SpectrumAxes):
        super().__init__()
        self.plot = plot
        self.line = DashedLine(plot.c2p(-3, LOG10_P[0]), plot.c2p(-3, LOG10_P[1] - 0.6), color=style.HIGHLIGHT,
                               stroke_width=3)
        self.dot = Dot(radius=0.08, color=style.HIGHLIGHT)
        self.name = math(r"f^*", size=30, color=style.HIGHLIGHT)
        self.add(self.line, self.dot, self.name)

    def show(self, fstar: float, noise: float, f_range) -> "Crossing":
        inside = np.isfinite(fstar) and f_range[0] <= fstar <= f_range[1]
        self.set_opacity(1.0 if inside else 0.0)
        if inside:
            x = self.plot.c2p(np.log2(fstar), 0)[0]
            self.line.set_x(x)
            self.dot.move_to(self.plot.p(fstar, noise))
            self.name.next_to(self.line, UP, buff=0.08)
        return self


def sweep_t(alpha: float, t0: int, t1: int) -> int:
    """The paper's t at sweep fraction alpha: geometric from t0 to t1 (equal screen time per factor)."""
    return int(round(t0 * (t1 / t0) ** alpha))


class Readouts(VGroup):
    """t, lambda_t and f* in a column under a picture, left-aligned with `left_edge` (default: the
    mobject above); f* shows only while it lies inside the band."""

    def __init__(self, under, t0: int, left_edge=None):
        t = LiveValue("t", t0, size=30, color=style.HIGHLIGHT)
        lam = LiveValue(r"\lambda_t", 0, decimals=2, size=30, color=style.TEXT)
        f = LiveValue(r"f^*", 0, decimals=3, size=30, color=style.HIGHLIGHT)
        super().__init__(t, lam, f)
        self.t, self.lam, self.f = t, lam, f
        self.arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(under, DOWN, buff=0.25)
        for v in self:
            v.align_to(under if left_edge is None else left_edge, LEFT)

    def show(self, t: int, lam: float, fstar: float) -> "Readouts":
        inside = bool(np.isfinite(fstar) and fstar > 0)
        self.t.set_value(t)
        self.lam.set_value(lam)
        self.f.set_value(fstar if inside else 0.0)
        self.f.set_opacity(1.0 if inside else 0.0)
        return self


def settle_ticks(plot: SpectrumAxes, freq) -> VGroup:
    """A dot per ring at the top of the plot, in the ring's colour, faint until the ring settles."""
    return VGroup(*[Dot(plot.p(f, 10 ** (LOG10_P[1] - 0.5)), radius=0.09, color=c).set_opacity(0.2)
                    for f, c in zip(freq, BAND_COLORS)])


def fit_width(mob, box):
    """`mob` shrunk to the width of `box` (x0, y0, x1, y1) when wider."""
    if mob.width > box[2] - box[0]:
        mob.scale_to_fit_width(box[2] - box[0])
    return mob


def sweep_equations(right):
    """The forward process in frequency and the crossing condition, at the top of the right column."""
    eq = MathTex(r"x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon", r"\;\Rightarrow\;",
                 r"P_t(f)", r"=", r"\bar\alpha_t P_0(f)", r"+", r"(1-\bar\alpha_t)", font_size=32, color=style.TEXT)
    eq[2].set_color(style.STATE); eq[4].set_color(style.SIGNAL); eq[6].set_color(style.NOISE)
    eq.move_to([(right[0] + right[2]) / 2, right[3] - 0.25, 0])
    fit_width(eq, right)
    cross_eq = MathTex(r"f^*:\ \bar\alpha_t P_0(f^*) = 1-\bar\alpha_t", r"\iff", r"P_0(f^*) = e^{-2\lambda_t},",
                       r"\lambda_t = \log(\alpha_t/\sigma_t)", font_size=30, color=style.TEXT)
    cross_eq[0].set_color(style.HIGHLIGHT)
    fit_width(cross_eq, right).next_to(eq, DOWN, buff=0.2)
    return eq, cross_eq


def settle_equation(right):
    """When a ring of the reverse process counts as settled, at the top of the right column."""
    eq = math(r"x_t^{(b)} = c\,x_0^{(b)} + r:\ \text{ring } b \text{ settled when } c^2\|x_0^{(b)}\|^2 \ge \|r\|^2", size=30)
    eq.move_to([(right[0] + right[2]) / 2, right[3] - 0.25, 0])
    return fit_width(eq, right)


def settle_table(settle, drowned) -> VGroup:
    """Ring | settles | drowned: where each ring settles in the reverse run beside where the forward
    process drowned it, each row in its ring's colour."""
    cells = [label(h, style.SMALL_SIZE, style.MUTED) for h in ("ring", "settles", "drowned")]
    for b in range(4):
        cells += [label(f"{b + 1}/8", style.SMALL_SIZE, BAND_COLORS[b]),
                  label(f"t = {settle[b]}", style.SMALL_SIZE, BAND_COLORS[b]),
                  label(f"t = {drowned[b]}", style.SMALL_SIZE, BAND_COLORS[b])]
    return VGroup(*cells).arrange_in_grid(rows=5, cols=3, buff=(0.35, 0.3), col_alignments="lrr")


class SharePlot(VGroup):
    """Each ring's share of power that is the final sample's against t (t = T on the left, 0 on the
    right), the one-half line and a dot where each ring settles. The axes are placed first (left edge
    at `left`, centred on height `y`), the labels on them."""

    def __init__(self, rev: dict, T: int, width: float, height: float, left: float, y: float):
        super().__init__()
        ax = Axes(x_range=[0, T, T // 4], y_range=[0, 1, 0.5], x_length=width, y_length=height, tips=False,
                  axis_config=dict(color=style.MUTED, stroke_width=2, include_numbers=False))
        ax.move_to([left + ax.width / 2, y, 0])
        to_x = lambda t: T - np.asarray(t, dtype=float)          # t = T on the left, 0 on the right
        tick = lambda tex, point, side: math(tex, size=style.TICK_SIZE, color=style.MUTED).next_to(point, side, buff=0.15)
        self.ax = ax
        self.ends = VGroup(tick(rf"t = {T}", ax.c2p(0, 0), DOWN), tick(r"t = 0", ax.c2p(T, 0), DOWN))
        self.yt = VGroup(*[tick(tex, ax.c2p(0, v), LEFT) for tex, v in (("0", 0), (r"\tfrac12", 0.5), ("1", 1))])
        self.half = DashedLine(ax.c2p(0, 0.5), ax.c2p(T, 0.5), color=style.MUTED, stroke_width=2)
        rows = np.unique(np.r_[np.arange(0, len(rev["t"]), 5), len(rev["t"]) - 1])
        self.curves = VGroup()
        for b in range(4):
            c = VMobject(color=BAND_COLORS[b], stroke_width=3)
            c.set_points_as_corners([ax.c2p(u, v) for u, v in zip(to_x(rev["t"][rows]), rev["share"][rows, b])])
            self.curves.add(c)
        self.marks = VGroup(*[Dot(ax.c2p(to_x(rev["settle"][b]), 0.5), radius=0.08, color=BAND_COLORS[b])
                              for b in range(4)])
        self.yname = label("share of the ring's power that is the final sample's", style.SMALL_SIZE, style.MUTED)
        self.yname.next_to(ax, UP, buff=0.2).align_to(ax, LEFT)
        self.add(ax, self.ends, self.yt, self.yname, self.half, self.curves, self.marks)


class NoiseSpectrum(DiffusionScene):
    description = ("The forward process in frequency: images' power falls with frequency, noise is flat, so noise "
                   "drowns fine detail first; the digits model's reverse process builds coarse first.")
    data = D                       # the data part: what the scene loads, measures and claims

    def construct(self):
        self.beat("Noise and images seen in frequency: why diffusion drowns fine detail first.", 3)
        self.title_card("Noise in frequency", "white noise is flat; images are not")
        plot, left = self.photo_spectrum()
        self.photo_sweep(plot, left)
        self.digits_sweep(plot)
        self.reverse_in_spectrum(plot)
        self.settle_order()

    # --- layout: a picture column on the left, the spectrum on the right -------------------------
    def frame_parts(self):
        left, right = layout.split(layout.region(note=True), [0.9, 2.1], gap=0.5)
        return left, right

    def picture_box(self, left):
        """Where the picture of the left column goes: its top part, above the readouts."""
        return (left[0], left[3] - 3.45, left[2], left[3])

    def make_plot(self, right, top):
        plot = SpectrumAxes(width=right[2] - right[0] - 1.7, height=top - right[1] - 1.0)
        plot.move_to([(right[0] + right[2]) / 2 + 0.2, (right[1] + top) / 2, 0])
        return plot

    def photo_spectrum(self):
        x0 = D.photo()
        spec = S.radial_power_spectrum(x0)
        left, right = self.frame_parts()
        heading = layout.heading("A photo's power spectrum: power falls with frequency")
        plot = self.make_plot(right, right[3] - 1.2)
        image = layout.fit(pixel_image(x0, 1.0), self.picture_box(left), align=UP)
        name = math(r"x_0", size=32, color=style.SIGNAL).next_to(image, DOWN, buff=0.15)
        p0 = plot.curve(spec.freq, spec.power, style.SIGNAL)
        slope, c = S.power_law_fit(spec)
        fit = DashedLine(plot.p(spec.freq[0], np.exp(c) * spec.freq[0] ** slope),
                         plot.p(spec.freq[-1], np.exp(c) * spec.freq[-1] ** slope), color=style.MUTED, stroke_width=3)
        fit_name = math(rf"P_0(f) \approx C\,f^{{{slope:.2f}}}", size=32, color=style.MUTED)
        fit_name.move_to(plot.c2p(-2.3, 1.8))
        src = layout.footnote(f"{D.PHOTO_SIZE}×{D.PHOTO_SIZE} grayscale; power |FFT|²/N² averaged over each ring of "
                              f"frequencies; fit: least squares")
        self.next_beat(f"Take a photo, {D.PHOTO_SIZE} by {D.PHOTO_SIZE} pixels, and measure how much power it has at each "
                  f"spatial frequency. It falls from coarse to fine: {self.facts['photo_power_falls'].text}.", 6)
        self.play(FadeIn(heading), FadeIn(image), FadeIn(name), Create(plot.axes), FadeIn(plot.xticks), FadeIn(plot.yticks),
                  FadeIn(plot.xname), FadeIn(plot.yname))
        self.play(Create(p0), run_time=1.5)
        self.play(Create(fit), Write(fit_name), FadeIn(src))
        self.wait(2)
        self.play(FadeOut(fit), FadeOut(fit_name), FadeOut(src), FadeOut(heading))
        self.p0 = p0
        return plot, dict(box=left, image=image, name=name)

    # --- the photo noised: the floor rises, the signal sinks, f* moves from fine to coarse ------------
    def photo_sweep(self, plot, left):
        sw = self.photo_sweep_parts(plot, left)
        self.noise_floor_beat(sw)
        self.crossing_beat(sw)
        with self.redrawn(sw.redraw):
            self.pause_sweep(sw.k)
        self.hold_narration()
        self.play(FadeOut(VGroup(sw.heading, sw.eq, sw.cross_eq, sw.note, sw.noise, sw.meas, sw.cross, *sw.readouts,
                                 sw.xt_name, sw.sig)), FadeOut(sw.image))
        self.p0 = plot.curve(sw.spec.freq, sw.spec.power, style.MUTED, width=3)

    def photo_sweep_parts(self, plot, left) -> SimpleNamespace:
        """The photo sweep's mobjects, its t tracker and its redraw(): x_t, the signal curve, the noise
        floor, the measured dots, f* and the readouts at the t the tracker gives."""
        sch, x0 = D.photo_schedule(), D.photo()
        spec = S.radial_power_spectrum(x0)
        eps = D.eps_like(x0.shape)
        f_range = (spec.freq[0], spec.freq[-1])
        eq, cross_eq = sweep_equations(self.frame_parts()[1])
        note = layout.footnote(f"αₜ = √ᾱₜ, σₜ = √(1−ᾱₜ); some texts write log(α²/σ²) = 2λₜ. "
                               f"t = 0 is the data, t = T = {sch.T} pure noise.")
        k = ValueTracker(0.0)
        t_of = lambda: sweep_t(k.get_value(), 1, D.SWEEP_END)
        image, name = left["image"], left["name"]
        xt_name = math(r"x_t", size=32, color=style.STATE).move_to(name)
        sw = SimpleNamespace(heading=layout.heading("Add noise: the flat noise floor rises, the signal sinks"),
                             spec=spec, eq=eq, cross_eq=cross_eq, note=note, k=k, image=image, name=name,
                             xt_name=xt_name, readouts=Readouts(xt_name, 1, image), sig=self.p0, noise=VMobject(),
                             meas=VGroup(), cross=Crossing(plot))

        def redraw(_):
            s = D.sweep_state(sch, x0, spec, t_of(), eps)
            image.become(pixel_image(s["x"], image.height).move_to(image))
            sw.sig.become(plot.curve(spec.freq, s["signal"], style.SIGNAL))
            sw.noise.become(plot.level(s["noise"], style.NOISE, f_range))
            sw.meas.become(plot.dots(spec.freq, s["measured"], style.STATE))
            sw.cross.show(s["fstar"], s["noise"], f_range)
            sw.readouts.show(t_of(), s["lam"], s["fstar"])

        sw.redraw = redraw
        return sw

    def noise_floor_beat(self, sw):
        self.next_beat("Now add noise. In frequency the forward process is simple: the signal's power is scaled by alpha_bar, "
                  "and white noise adds the same power, 1 - alpha_bar, at every frequency. "
                  + self.facts["xt_power_formula"].text.capitalize() + ".", 7)
        sw.redraw(None)
        self.play(FadeIn(sw.heading), Write(sw.eq), FadeOut(sw.name), FadeIn(sw.xt_name), FadeIn(sw.noise),
                  FadeIn(sw.meas), FadeIn(sw.readouts.t), FadeIn(sw.readouts.lam))
        self.add(sw.cross, sw.readouts.f)            # shown as redraw() set them (hidden until f* enters the band)
        self.wait(2)

    def crossing_beat(self, sw):
        self.next_beat("Where the rising noise floor meets the sinking signal is the crossing frequency f*: above it the noise "
                  "wins. We write lambda_t = log(alpha_t / sigma_t); the crossing is where P_0 equals e to the minus 2 "
                  "lambda_t. Time runs from the data at t = 0 to pure noise at t = T.", 9)
        self.play(Write(sw.cross_eq), FadeIn(sw.note))
        self.wait(2)

    def pause_sweep(self, k):
        """t from 1 to the end of the sweep, pausing at each of D.PAUSE_T (k: the sweep fraction)."""
        fstar_words = "; ".join(f"t = {t}: {'nothing drowned yet' if not np.isfinite(f) else f'f* = {f:.3f}'}"
                                for t, f in D.measure()["pause"])
        self.next_beat(f"As t grows, {self.facts['crossing_fine_to_coarse'].text}: {fstar_words}. x_t keeps its coarse shapes "
                  f"while its fine detail is gone under the noise.", 12)
        a = 0.0
        for t in D.PAUSE_T:
            b = np.log(t) / np.log(D.SWEEP_END)
            self.play(k.animate.set_value(b), run_time=2.0 * (b - a) + 0.8)
            self.wait(1.2)
            a = b
        self.play(k.animate.set_value(1.0), run_time=2.0)
        self.wait(1)

    # --- the training digits noised: four rings drown fine first ------------------------------------
    def digits_sweep(self, plot):
        ds = self.digits_sweep_parts(plot)
        self.digits_spectrum_beat(ds)
        ds.redraw(None)
        self.next_beat(f"Noise them: the finest ring drowns at t = {ds.drowned[-1]}, then {ds.drowned[-2]}, "
                       f"{ds.drowned[-3]}, and the coarsest at t = {ds.drowned[0]}. "
                       f"{self.facts['digits_drown_fine_first'].text.capitalize()}.", 8)
        self.play(FadeIn(ds.noise), FadeIn(ds.readouts.t), FadeIn(ds.readouts.lam), FadeOut(ds.gname),
                  FadeIn(ds.xt_name))
        self.add(ds.cross, ds.readouts.f)
        with self.redrawn(ds.redraw):
            self.play(ds.k.animate.set_value(1.0), run_time=7)
            self.wait(1)
        self.hold_narration()
        self.play(FadeOut(VGroup(ds.heading, ds.note, ds.noise, ds.cross, *ds.readouts, ds.xt_name, ds.sig, ds.d_dots,
                                 ds.photo_name, self.p0)), FadeOut(ds.grid))

    def digits_sweep_parts(self, plot) -> SimpleNamespace:
        """The digits sweep's mobjects, its t tracker and its redraw() (the noised grid, signal curve and
        dots, noise floor, f* and readouts at the t the tracker gives)."""
        sch = digits_model().schedule
        x0 = D.real_digits()
        spec = S.radial_power_spectrum(x0)
        f_range = (spec.freq[0], spec.freq[-1])
        box = self.picture_box(self.frame_parts()[0])
        shown = x0[:D.GRID ** 2]
        eps = D.eps_like(shown.shape, seed=D.EPS_SEED + 1)
        grid = layout.fit(image_grid(shown, D.GRID, D.GRID, height=1.0, scale=8), box, align=UP)
        gname = math(r"x_0", size=32, color=style.SIGNAL).next_to(grid, DOWN, buff=0.15)
        pspec = S.radial_power_spectrum(D.photo())
        k = ValueTracker(0.0)
        t_of = lambda: sweep_t(k.get_value(), 1, sch.T)
        xt_name = math(r"x_t", size=32, color=style.STATE).move_to(gname)
        ds = SimpleNamespace(
            heading=layout.heading("8×8 digits: only four radial frequency bins"), grid=grid, gname=gname,
            sig=plot.curve(spec.freq, spec.power, style.SIGNAL), d_dots=plot.dots(spec.freq, spec.power, style.SIGNAL, radius=0.08),
            photo_name=label("photo", style.SMALL_SIZE, style.MUTED).next_to(plot.p(pspec.freq[1], pspec.power[0]),
                                                                             UP + RIGHT, buff=0.1),
            drowned=D.measure()["drowned"], k=k, xt_name=xt_name, readouts=Readouts(xt_name, 1, grid),
            note=layout.footnote(f"rings at 1/8, 2/8, 3/8, 4/8 cycle per pixel; mean over {D.N_DIGITS} training digits"),
            cross=Crossing(plot), noise=VMobject())

        def redraw(_):
            t = t_of()
            grid.become(layout.fit(image_grid(D.x_t(sch, shown, t, eps), D.GRID, D.GRID, height=1.0, scale=8), box, align=UP))
            ds.sig.become(plot.curve(spec.freq, S.signal_power(sch, t - 1, spec.power), style.SIGNAL))
            ds.d_dots.become(plot.dots(spec.freq, S.signal_power(sch, t - 1, spec.power), style.SIGNAL, radius=0.08))
            ds.noise.become(plot.level(S.noise_power(sch, t - 1), style.NOISE, f_range))
            fstar = S.crossing_frequency(spec, float(S.crossing_level(sch, t - 1)))
            ds.cross.show(fstar, float(S.noise_power(sch, t - 1)), f_range)
            ds.readouts.show(t, float(sch.lam(t - 1)), fstar)

        ds.redraw = redraw
        return ds

    def digits_spectrum_beat(self, ds):
        self.next_beat(f"The digits the model learned are tiny: {self.facts['digit_bins'].text}, so their spectrum is four "
                  f"points, on the same axes as the photo's (grey); the photo shows the power law far better. "
                  f"{self.facts['digits_power_falls'].text.capitalize()}.", 8)
        self.play(FadeIn(ds.heading), FadeIn(ds.grid), FadeIn(ds.gname), FadeIn(self.p0), FadeIn(ds.photo_name))
        self.play(Create(ds.sig), FadeIn(ds.d_dots), FadeIn(ds.note))
        self.wait(2)

    # --- the digits model's reverse process, read ring by ring --------------------------------------
    def reverse_in_spectrum(self, plot):
        rs = self.reverse_parts(plot)
        rs.redraw(None)
        self.next_beat("Now run the trained digits model backwards, from pure noise at t = T. The dots are the measured spectrum "
                  "of its x_t; grey is the spectrum of the samples it ends with. A ring has settled once at least half of its "
                  "power is the final sample's, for good.", 9)
        self.play(FadeIn(rs.heading), FadeIn(rs.grid), FadeIn(rs.xt_name), FadeIn(rs.readouts.t), FadeIn(rs.readouts.lam),
                  FadeIn(rs.gname), FadeIn(rs.final_curve), FadeIn(rs.meas), FadeIn(rs.noise), FadeIn(rs.sig),
                  FadeIn(rs.settled), Write(rs.eq), FadeIn(rs.note))
        self.add(rs.ticks)
        self.wait(2)
        st = rs.settle
        self.next_beat(f"{self.facts['reverse_coarse_first'].text.capitalize()}: the coarsest ring at t = {st[0]}, then "
                  f"{st[1]}, {st[2]}, and the finest at t = {st[3]}.", 7)
        with self.redrawn(rs.redraw):
            self.play(rs.k.animate.set_value(rs.n_states - 1), run_time=10, rate_func=lambda a: a ** 0.7)
            self.wait(1.5)
        self.hold_narration()
        self.play(FadeOut(VGroup(rs.heading, rs.readouts.t, rs.readouts.lam, rs.xt_name, rs.gname, rs.meas, rs.sig,
                                 rs.noise, rs.final_curve, rs.ticks, rs.settled, rs.eq, rs.note, plot)), FadeOut(rs.grid))

    def reverse_parts(self, plot) -> SimpleNamespace:
        """The reverse run's mobjects, its state tracker and its redraw(): the grid of x_t, its measured
        dots, the signal and noise of the final samples' spectrum at t, and the settled rings."""
        sch, T = digits_model().schedule, digits_model().schedule.T
        traj = D.reverse_trajectory()
        rev = D.reverse_bands(traj)
        freq = np.arange(1, 5) / 8
        f_range = (freq[0], freq[-1])
        box = self.picture_box(self.frame_parts()[0])
        xs = traj.x[:, :, 0]
        grid = layout.fit(image_grid(xs[0], D.GRID, D.GRID, height=1.0, scale=8), box, align=UP)
        xt_name = math(r"x_t", size=32, color=style.STATE).next_to(grid, DOWN, buff=0.15)
        readouts = Readouts(xt_name, T, grid)
        ticks = settle_ticks(plot, freq)
        rs = SimpleNamespace(
            heading=layout.heading("The reverse process, seen in the same spectrum"), grid=grid, k=ValueTracker(0.0),
            n_states=len(xs), xt_name=xt_name, readouts=readouts, settle=rev["settle"],
            xs=xs, box=box, rev=rev, freq=freq, f_range=f_range, schedule=sch,
            gname=label("16 samples, DDPM", style.SMALL_SIZE, style.MUTED).next_to(readouts.lam, DOWN, buff=0.25)
            .align_to(grid, LEFT),
            meas=plot.dots(freq, S.radial_power_spectrum(xs[0]).power, style.STATE, radius=0.08),
            sig=plot.curve(freq, S.signal_power(sch, T - 1, rev["final_power"]), style.SIGNAL),
            noise=plot.level(S.noise_power(sch, T - 1), style.NOISE, f_range),
            final_curve=plot.curve(freq, rev["final_power"], style.MUTED, width=3), ticks=ticks,
            settled=label("settled rings:", style.SMALL_SIZE, style.TEXT).next_to(ticks, LEFT, buff=0.25),
            eq=settle_equation(self.frame_parts()[1]),
            note=layout.footnote("dots: measured power of xₜ; grey: of the final samples; "
                                 "coloured line: ᾱₜ × grey; orange: 1 − ᾱₜ"))
        rs.redraw = lambda _: self.show_reverse_state(plot, rs)
        return rs

    def show_reverse_state(self, plot, rs):
        """Redraw the reverse run at the state rs.k points to: its grid, its measured dots, the signal and
        noise at its t, and which rings have settled by then."""
        sch, rev, freq = rs.schedule, rs.rev, rs.freq
        i = min(int(round(rs.k.get_value())), rs.n_states - 1)
        t0 = int(rev["t"][i])                         # paper's t of the state shown
        rs.grid.become(layout.fit(image_grid(rs.xs[i], D.GRID, D.GRID, height=1.0, scale=8), rs.box, align=UP))
        rs.meas.become(plot.dots(freq, S.radial_power_spectrum(rs.xs[i]).power, style.STATE, radius=0.08))
        if t0 > 0:
            rs.sig.become(plot.curve(freq, S.signal_power(sch, t0 - 1, rev["final_power"]), style.SIGNAL))
            rs.noise.become(plot.level(S.noise_power(sch, t0 - 1), style.NOISE, rs.f_range))
            rs.readouts.lam.set_value(float(sch.lam(t0 - 1)))
        else:                                         # the sample itself: all signal, no noise left
            rs.sig.become(plot.curve(freq, rev["final_power"], style.SIGNAL))
            rs.noise.set_stroke(opacity=0)
            rs.readouts.lam.set_opacity(0)
        for b, dot in enumerate(rs.ticks):
            dot.set_opacity(1.0 if t0 <= rev["settle"][b] else 0.2)
        rs.readouts.t.set_value(t0)

    def settle_order(self):
        """The share of each ring's power that is the final sample's, against t, and where each settles
        beside where the forward process drowned it."""
        rev = D.reverse_bands(D.reverse_trajectory())
        heading = layout.heading("Coarse first: when each ring settles")
        x0, y0, x1, y1 = layout.region(note=True)
        table = settle_table(rev["settle"], D.measure()["drowned"])
        table.move_to([x1 - table.width / 2, (y0 + y1) / 2, 0])
        sp = SharePlot(rev, digits_model().schedule.T, table.get_left()[0] - x0 - 1.4, y1 - y0 - 1.3, left=x0 + 0.7, y=(y0 + y1) / 2 - 0.1)
        note = layout.footnote("settles: at least half from then on; drowned: where ᾱₜ P₀ = 1 − ᾱₜ for the training digits")
        self.next_beat(f"Ring by ring, the share of its power that is the final sample's, from t = T to 0: "
                  f"{self.facts['reverse_coarse_first'].text}. {self.facts['reverse_vs_forward'].text.capitalize()}.", 9)
        self.play(FadeIn(heading), Create(sp.ax), FadeIn(sp.ends), FadeIn(sp.yt), FadeIn(sp.yname), Create(sp.half),
                  FadeIn(note))
        self.play(Create(sp.curves), run_time=3)
        self.play(FadeIn(sp.marks), FadeIn(table))
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(VGroup(heading, sp, note, table)))

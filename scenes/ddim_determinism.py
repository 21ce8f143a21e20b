"""DDIMDeterminism — what DDIM (eta = 0) does with its starting noise x_T: the same x_T gives the same
image, bit for bit; changing a small patch of x_T changes the image gradually (how much is measured); eta > 0 spreads the
outputs; and a spherical path between two x_T gives a path of images. Every number is measured by
diffusion.experiments on the trained digits model."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, Axes, Create, DashedLine, Dot, FadeIn, FadeOut, Group, LaggedStart,
                   Rectangle, Transform, VGroup, VMobject, Write)

from diffusion.studies.experiments import default_config
from scenes.kit import layout, style
from scenes.kit.data import ddim_determinism
from scenes.kit.data.ddim_determinism import DDIM_TEX, experiments, measure
from scenes.kit.models import digits_model
from scenes.kit.preset import scene_preset
from scenes.kit.images import framed, image_grid, pixel_image
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

NOISE_RANGE = 2.5           # x_T panels map [-2.5, 2.5] to black..white
SHOW_AMOUNTS = (0.0, 0.1, 0.2, 0.4, 0.6, 1.0)   # amounts of change shown (those the config has)
SHOW_ETAS = (0.0, 0.1, 0.2, 0.5, 1.0)


def noise_image(x, height):
    return pixel_image(x, height, -NOISE_RANGE, NOISE_RANGE)


def patch_outline(img, cfg, size: int):
    """A rectangle around the perturbed patch on an image mobject of `size` x `size` pixels."""
    px = img.height / size
    r, c = cfg.patch_at
    rect = Rectangle(width=cfg.patch * px, height=cfg.patch * px, color=style.HIGHLIGHT, stroke_width=2.5)
    rect.move_to(img.get_corner(UP + LEFT) + RIGHT * (c + cfg.patch / 2) * px + DOWN * (r + cfg.patch / 2) * px)
    return rect


def patch_axes(r):
    """Axes whose ranges come from the data, so every measured point is on the plot; and the x range's end."""
    ymax = float(np.ceil(max(r["out_dist"].max(), float(r["unrelated_dist"])) * 1.1 / 0.1) * 0.1)
    xmax = float(np.ceil(r["noise_dist"].max() / 0.1) * 0.1)
    ax = Axes(x_range=[0, xmax, 0.1], y_range=[0, ymax, 0.2], x_length=10.0, y_length=4.6, tips=False,
              axis_config=dict(color=style.GRID, font_size=style.TICK_SIZE),
              x_axis_config=dict(numbers_to_include=np.arange(0, xmax + 1e-9, 0.2).round(1),
                                 decimal_number_config=dict(num_decimal_places=1)),
              y_axis_config=dict(numbers_to_include=np.arange(0, ymax, 0.2).round(1), decimal_number_config=dict(num_decimal_places=1)))
    return ax.move_to([0.5, -0.45, 0]), xmax


class DDIMDeterminism(DiffusionScene):
    description = "DDIM (eta=0) is a function of x_T: same noise, same digit; how far a changed patch of noise moves the digit; eta and slerp."
    data = ddim_determinism

    def construct(self):
        tm = digits_model()
        cfg = default_config(scene_preset())
        res = experiments()
        self.beat("DDIM with eta = 0 adds no noise while sampling: the image is a function of the starting noise.", 4)
        self.title_card("DDIM and its starting noise", "same noise, same digit; changed noise, how much change")
        self.update_rule(cfg)
        self.determinism(res["determinism"], cfg)
        self.patch(res["patch"], cfg)
        self.eta_sweep(res["eta_sweep"], cfg)
        self.interpolation(res["interpolation"], cfg)

    def update_rule(self, cfg):
        heading = layout.heading("One DDIM step (Song et al. 2021, eq. 12)")
        lines = VGroup(*[math(tex, size=34) for tex in DDIM_TEX]).arrange(DOWN, buff=0.45)
        layout.fit(lines, layout.region(note=True))   # as large as the space between title and footnote allows
        note = layout.footnote(f"t' is the next of {cfg.steps} evenly spaced steps; at the last one ᾱ_t' = 1")
        self.next_beat("Each DDIM step guesses the clean image, clipped to the pixel range, and re-derives the noise "
                       "from that clipped guess.", 5)
        self.layout_exempt("fill", "build-up: the next beats complete the update rule")
        self.play(FadeIn(heading), Write(lines[0]))
        self.wait(2)
        self.next_beat("Then it jumps to the earlier step t': the guess, the noise direction, and fresh noise z "
                       "scaled by sigma.", 5)
        self.play(Write(lines[1]), FadeIn(note))
        self.wait(2)
        self.next_beat("Sigma is set by eta: at eta = 0 no fresh noise is added, so the result is a function of x_T.", 5)
        self.play(Write(lines[2]))
        self.wait(3)
        self.hold_narration()
        self.play(FadeOut(Group(heading, lines, note)))

    def determinism(self, r, cfg):
        n = min(4, len(r["first"]))
        heading = label(f"The same noise, sampled twice with DDIM (η = 0, {cfg.steps} steps)", style.LABEL_SIZE)
        heading.to_edge(UP, buff=0.35)
        rows = [[framed(noise_image(r["x_T"][i, 0], 1.6), style.STATE) for i in range(n)],
                [framed(pixel_image(r["first"][i, 0], 1.6), style.GENERATED) for i in range(n)],
                [framed(pixel_image(r["second"][i, 0], 1.6), style.GENERATED) for i in range(n)]]
        grid = Group(*[Group(*row).arrange(RIGHT, buff=0.5) for row in rows]).arrange(DOWN, buff=0.35)
        names = VGroup(math(r"x_T", size=36, color=style.STATE), label("run 1"), label("run 2"))
        for name, row in zip(names, grid):
            name.next_to(row, LEFT, buff=0.5)
        layout.fit(Group(grid, names), layout.region(note=True))
        same = "identical, bit for bit" if r["identical"] else "NOT identical"
        result = layout.footnote(f"largest |run 1 − run 2| over {len(r['first'])} samples: {r['max_abs_diff']:g}  →  {same}",
                                 color=style.HIGHLIGHT)
        self.beat(f"Sample from {n} noise images, then do it again from the very same noise.", 4)
        self.play(FadeIn(heading), FadeIn(grid[0]), Write(names[0]))
        self.play(FadeIn(grid[1]), Write(names[1]))
        self.wait(1)
        self.play(FadeIn(grid[2]), Write(names[2]))
        self.next_beat("The two runs agree to the last bit: no randomness is left once x_T is fixed.", 4)
        self.play(Write(result))
        self.wait(3)
        self.hold_narration()
        self.play(FadeOut(Group(heading, grid, names, result)))

    def patch(self, r, cfg):
        heading = label(f"Change one {cfg.patch}×{cfg.patch} patch of the noise, more and more", style.LABEL_SIZE)
        heading.to_edge(UP, buff=0.35)
        self.patch_tiles(r, cfg, heading)
        self.patch_curve(r, cfg, heading)

    def patch_tiles(self, r, cfg, heading):
        """One typical x_T with its patch changed by growing amounts (top) and the digit each gives (bottom)."""
        sub = label("the patch is rotated towards new noise; the rest is untouched", style.SMALL_SIZE, style.MUTED)
        sub.next_to(heading, DOWN, buff=0.15)
        pt = self.patch_tile_parts(r, cfg, sub)
        note = layout.footnote("Δ: root-mean-square change per pixel from the first column")
        self.beat("Now change only a small square of the noise, by growing amounts, and keep the rest.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), FadeIn(sub), FadeIn(pt.top), Create(pt.outlines), Write(pt.names[0]))
        self.play(FadeIn(pt.nd))
        self.next_beat("The digit changes gradually as more of the patch is replaced. How much, against unrelated noise?", 5)
        self.play(LaggedStart(*[FadeIn(b) for b in pt.bots], lag_ratio=0.3), Write(pt.names[1]), run_time=2.5)
        self.play(FadeIn(pt.od), FadeIn(note))
        self.wait(3.5)
        self.hold_narration()
        self.play(FadeOut(Group(pt.top, pt.bot, pt.outlines, pt.nd, pt.od, pt.names, note, sub)))

    def patch_tile_parts(self, r, cfg, sub) -> SimpleNamespace:
        """The tiles under `sub`: x_T of the run whose curve is closest to the mean curve (a typical one,
        not a picked one) at each of SHOW_AMOUNTS with the patch outlined, the outputs, the distances."""
        size = r["x_T"].shape[-1]
        b = int(np.argmin(((r["out_dist"] - r["mean_out_dist"]) ** 2).sum(1)))
        amounts = list(np.round(r["amounts"], 3))
        shown = [amounts.index(a) for a in SHOW_AMOUNTS if a in amounts]
        side = min(1.75, (12.4 - 0.5 * (len(shown) - 1)) / len(shown))     # the tiles fill the width
        tops = [noise_image(r["x_T_all"][a, b, 0], side) for a in shown]
        bots = [framed(pixel_image(r["outputs_all"][a, b, 0], side), style.GENERATED) for a in shown]
        top = Group(*tops).arrange(RIGHT, buff=0.5)
        bot = Group(*bots).arrange(RIGHT, buff=0.5 - 0.08)
        Group(top, bot).arrange(DOWN, buff=0.95)
        x0, y0, x1, y1 = layout.region(top=sub.get_bottom()[1] - 0.3, note=True)
        Group(top, bot).move_to([(x0 + x1) / 2 + 0.45, (y0 + y1) / 2 + 0.2, 0])
        return SimpleNamespace(
            top=top, bot=bot, bots=bots, outlines=VGroup(*[patch_outline(img, cfg, size) for img in tops]),
            nd=VGroup(*[math(rf"\Delta x_T = {r['noise_dist'][b, a]:.2f}", style.TICK_SIZE, style.NOISE)
                        .next_to(t, DOWN, buff=0.12) for a, t in zip(shown, tops)]),
            od=VGroup(*[math(rf"\Delta x_0 = {r['out_dist'][b, a]:.2f}", style.TICK_SIZE, style.GENERATED)
                        .next_to(m, DOWN, buff=0.12) for a, m in zip(shown, bots)]),
            names=VGroup(math(r"x_T", size=36, color=style.STATE).next_to(top, LEFT, buff=0.35),
                         math(r"x_0", size=36, color=style.GENERATED).next_to(bot, LEFT, buff=0.35)))

    def patch_curve(self, r, cfg, heading):
        """The change of the image against the change of the noise, every x_T and their mean, beside
        the distance between the outputs of two unrelated noise images."""
        ax, xmax = patch_axes(r)
        xl = label("change of the noise (RMS)", style.SMALL_SIZE, style.NOISE).next_to(ax.x_axis, DOWN, buff=0.15)
        yl = label("change of the image (RMS)", style.SMALL_SIZE, style.GENERATED).rotate(np.pi / 2).next_to(ax.y_axis, LEFT, buff=0.25)
        dots = VGroup(*[Dot(ax.c2p(x, y), radius=0.025, color=style.MUTED, fill_opacity=0.6)
                        for xs, ys in zip(r["noise_dist"], r["out_dist"]) for x, y in zip(xs, ys)])
        mean_line = VMobject(stroke_color=style.GENERATED, stroke_width=4).set_points_as_corners(
            [ax.c2p(x, y) for x, y in zip(r["mean_noise_dist"], r["mean_out_dist"])])
        mean_dots = VGroup(*[Dot(ax.c2p(x, y), radius=0.05, color=style.GENERATED)
                             for x, y in zip(r["mean_noise_dist"], r["mean_out_dist"])])
        u = float(r["unrelated_dist"])
        ref = DashedLine(ax.c2p(0, u), ax.c2p(xmax, u), color=style.FIXED)
        ref_l = label(f"outputs of two unrelated noise images: {u:.2f}", style.SMALL_SIZE, style.FIXED).next_to(ref, UP, buff=0.1).align_to(ref, RIGHT)
        legend = label(f"grey: each of {cfg.n_base} noise images   blue: mean", style.SMALL_SIZE, style.MUTED)
        legend.next_to(heading, DOWN, buff=0.2)
        f = self.facts
        self.beat(f"Measured over {cfg.n_base} noise images: {f['patch_change_smooth'].text}, "
                  f"and {f['patch_amplified'].text}.", 9)
        self.play(Create(ax), FadeIn(xl), FadeIn(yl))
        self.play(FadeIn(dots), Create(mean_line), FadeIn(mean_dots), FadeIn(legend), run_time=2)
        self.play(Create(ref), FadeIn(ref_l))
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(Group(heading, ax, xl, yl, dots, mean_line, mean_dots, ref, ref_l, legend)))

    def eta_sweep(self, r, cfg):
        etas = list(np.round(r["etas"], 3))
        rows_idx = [etas.index(e) for e in SHOW_ETAS if e in etas]
        k = r["outputs"].shape[2]
        heading = label(f"One noise image, {k} different sampler seeds, growing η", style.LABEL_SIZE).to_edge(UP, buff=0.35)
        x0, y0, x1, y1 = layout.region(note=True)
        side = min((y1 - y0 - 0.6 - 0.2 * (len(rows_idx) - 1)) / len(rows_idx), (x1 - x0 - 3.6) / (k * 1.06))
        rows = Group()
        for i in rows_idx:
            rows.add(image_grid(r["outputs"][i, 0, :, 0], 1, k, height=side))
        rows.arrange(DOWN, buff=0.2).move_to([0, (y0 + y1) / 2 - 0.3, 0])
        eta_l = VGroup(*[math(rf"\eta = {r['etas'][i]:g}", size=30).next_to(row, LEFT, buff=0.35)
                         for i, row in zip(rows_idx, rows)])
        m = measure()
        spread_l = VGroup(*[label(f"{r['pairwise_rms'][i]:.2f}", color=style.HIGHLIGHT).next_to(row, RIGHT, buff=0.35)
                            for i, row in zip(rows_idx, rows)])
        spread_head = label("RMS", color=style.HIGHLIGHT).next_to(spread_l[0], UP, buff=0.3)
        note = layout.footnote(f"RMS between two seeds' outputs ({r['outputs'].shape[1]} noise images); unrelated noise: "
                               f"{m['unrelated']:.2f}")
        self.beat("With eta above zero DDIM adds fresh noise at each step, drawn from a sampler seed.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), FadeIn(rows[0]), Write(eta_l[0]))
        self.hold_narration()
        f = self.facts
        self.beat(f"At eta = 0 the seed does not matter: all {k} images are the same. {f['eta_spread_grows'].text}", 7)
        self.play(FadeIn(spread_head), FadeIn(spread_l[0]))
        for row, el, sl in zip(rows[1:], eta_l[1:], spread_l[1:]):
            self.play(FadeIn(row), Write(el), FadeIn(sl), run_time=0.9)
            self.wait(0.8)
        self.play(FadeIn(note))
        self.next_beat(f"{f['eta_mid_vs_unrelated'].text} {f['eta_max_vs_unrelated'].text}", 5)
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(Group(heading, rows, eta_l, spread_head, spread_l, note)))

    def interpolation(self, r, cfg):
        n = len(r["alphas"])
        h = min(1.6, (14.2 - 2 * layout.MARGIN - 1.0 - 0.18 * (n - 1)) / n)    # the strip spans the width
        heading = label("Between two noise images: spherical interpolation", style.LABEL_SIZE).to_edge(UP, buff=0.35)
        eq = math(r"x_T(\alpha) = \frac{\sin((1-\alpha)\theta)}{\sin\theta}\,x_T^{(0)} + \frac{\sin(\alpha\theta)}{\sin\theta}\,x_T^{(1)}",
                  size=30).next_to(heading, DOWN, buff=0.2)
        top = Group(*[noise_image(r["x_T"][i, 0], h) for i in range(n)]).arrange(RIGHT, buff=0.18)
        bot = Group(*[pixel_image(r["outputs"][i, 0], h) for i in range(n)]).arrange(RIGHT, buff=0.18)
        Group(top, bot).arrange(DOWN, buff=0.5).move_to([0.45, -0.35, 0])
        names = VGroup(math(r"x_T", size=36, color=style.STATE).next_to(top, LEFT, buff=0.25),
                       math(r"x_0", size=36, color=style.GENERATED).next_to(bot, LEFT, buff=0.25))
        labs = VGroup(*[label(str(int(l)), style.SMALL_SIZE, style.MUTED).next_to(b, DOWN, buff=0.1)
                        for l, b in zip(r["labels"], bot)])
        lab_name = label("class", style.SMALL_SIZE, style.MUTED).next_to(labs, LEFT, buff=0.25).align_to(names, RIGHT)
        mid = n // 2
        facts = VGroup(
            label(f"noise norm along the path: {r['slerp_norm'].min():.2f} to {r['slerp_norm'].max():.2f}; "
                  f"a straight line would dip to {r['lerp_norm'][mid]:.2f}", style.SMALL_SIZE, style.STATE),
            label(f"largest change between neighbours {r['step_dist'].max():.2f} RMS, "
                  f"first to last {r['end_dist']:.2f}", style.SMALL_SIZE, style.GENERATED),
        ).arrange(DOWN, buff=0.15).to_edge(DOWN, buff=0.3)
        self.beat("Walk from one noise image to another along the sphere where Gaussian noise lives.", 5)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), Write(eq))
        self.play(LaggedStart(*[FadeIn(m) for m in top], lag_ratio=0.15), Write(names[0]), run_time=2)
        self.next_beat(f"Decode every point with DDIM: along the path the classifier's label changes "
                       f"{measure()['n_switch']} times.", 6)
        self.play(LaggedStart(*[FadeIn(m) for m in bot], lag_ratio=0.15), Write(names[1]), run_time=3)
        self.play(FadeIn(labs), FadeIn(lab_name))
        self.wait(1)
        self.play(FadeIn(facts[0]))
        self.wait(2)
        self.next_beat(self.facts["slerp_largest_step_at_switch"].text, 4)
        self.play(FadeIn(facts[1]))
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(Group(heading, eq, top, bot, names, labs, lab_name, facts)))

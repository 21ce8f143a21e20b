"""ImageInpainting — the continuous cousin of the fixed subgraph: the top half of a held-out digit is
known, and the unconditionally trained image model fills in the rest by replacement (the known half is
re-noised to the current step after every step; RePaint without its resampling). Several completions
from different noise, from one real run."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, Rectangle, ReplacementTransform, ValueTracker, VGroup,
                   Write)

from diffusion.studies.inpaint import (InpaintSpec, SeamStudy, get_inpainting, get_seam_study, half_mask,
                                       known_image, known_region_error)

from scenes.kit import layout, style
from scenes.kit.claims import claim, worded
from scenes.kit.models import digits_model
from scenes.kit.images import framed, pixel_image
from scenes.kit.numbers import LiveValue
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

SPEC = InpaintSpec(image_index=0, keep="top", n=6, seed=0, sampler="ddpm", steps=1000)
SEAM = SeamStudy()                           # replacement vs RePaint resampling, measured
SEAM_SHOWN = 4                               # completions shown per method


def known_box(tile, color=style.FIXED) -> Rectangle:
    """A frame around the known (top) half of a square tile."""
    return Rectangle(width=tile.width, height=tile.height / 2, color=color, stroke_width=3).move_to(
        tile.get_top() + DOWN * tile.height / 4)


def inpainting():
    """completions of the top half of a held-out digit, every step kept (digits U-Net)"""
    return get_inpainting(digits_model(), SPEC)


def seam_study() -> dict:
    """replacement only vs RePaint resampling on the same held-out digits and noise (digits U-Net)"""
    return get_seam_study(digits_model(), SEAM)


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns for n completions: at most three columns."""
    cols = min(3, n)
    return int(np.ceil(n / cols)), cols


class ImageInpainting(DiffusionScene):
    description = "Inpainting digits: the top half of a real digit stays fixed, the model fills in the rest."
    needs = (digits_model, inpainting, seam_study)

    @classmethod
    def claims(cls):
        tm = digits_model()
        err = known_region_error(inpainting(), tm, SPEC)
        r = seam_study()
        return [claim("known_half_exact", err, err < 1e-5, "the known half is kept exactly in every completion"),
                worded("seam_jump_off_real", (round(abs(r["replace_jump"] - r["real_jump"]), 3),
                                              round(abs(r["repaint_jump"] - r["real_jump"]), 3)), [
                    (lambda v: v[1] < v[0], f"Across the boundary, resampling brings the jump to the real digits' own: "
                                            f"{r['repaint_jump']:.2f} with, {r['replace_jump']:.2f} without "
                                            f"(real digits: {r['real_jump']:.2f})."),
                    (lambda v: True, f"Across the boundary, resampling does not bring the jump closer to the real "
                                     f"digits' own: {r['repaint_jump']:.2f} with, {r['replace_jump']:.2f} without "
                                     f"(real digits: {r['real_jump']:.2f}).")]),
                worded("hidden_rms_replace_vs_repaint", (round(r["replace_hidden_rms"], 3), round(r["repaint_hidden_rms"], 3)), [
                    (lambda v: v[1] < v[0], f"The filled half comes closer to the real hidden half: RMS "
                                            f"{r['replace_hidden_rms']:.2f} without, {r['repaint_hidden_rms']:.2f} with."),
                    (lambda v: True, f"The filled half does not come closer to the real hidden half: RMS "
                                     f"{r['replace_hidden_rms']:.2f} without, {r['repaint_hidden_rms']:.2f} with.")])]

    def construct(self):
        tm = digits_model()
        T = tm.schedule.T
        traj = inpainting()
        image = known_image(tm, SPEC.image_index)[0].numpy()
        mask = half_mask(tm.config.image_size, SPEC.keep)[0].numpy()
        steps = len(traj.timesteps)

        self.beat("The same idea on images: keep part of a real digit fixed and let the model fill in the rest.", 3)
        self.title_card("Inpainting", "an unconditional image model, steered by replacement")

        heading = label("Known: the top half of a held-out digit", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        eq = math(r"x_{t-1} = \mathrm{mask} \odot \underbrace{q(x_{t-1} \mid x_0)}_{\text{known, re-noised}}"
                  r" + (1 - \mathrm{mask}) \odot \underbrace{p_\theta(x_{t-1} \mid x_t)}_{\text{model}}", size=30)
        eq.next_to(heading, DOWN, buff=0.3)
        # the completions fill the space under the equation, above the footnote line
        x0, y0, x1, y1 = layout.region(top=eq.get_bottom()[1] - 0.35, note=True)
        tile_h = min(2.2, (y1 - y0 - 0.3) / grid_shape(SPEC.n)[0])
        grid_y = (y0 + y1) / 2
        real = pixel_image(image, 1.45 * tile_h).move_to([x0 + 0.725 * tile_h + 0.2, grid_y, 0])
        real_name = label("real digit", style.SMALL_SIZE, style.MUTED).next_to(real, DOWN, buff=0.2)
        known_half = label("known half", style.SMALL_SIZE, style.MUTED).move_to(real_name)
        shown = pixel_image(np.where(mask > 0, image, 0.0), real.height).move_to(real)     # hidden half: flat grey
        box = known_box(shown)
        hidden = layout.on_image(label("?", style.TITLE_SIZE, style.TEXT).move_to(shown.get_bottom() + UP * shown.height / 4))
        known_name = label("kept", style.SMALL_SIZE, style.FIXED).next_to(box, UP, buff=0.12)
        self.hold_narration()
        self.beat("A digit the model never saw in training. We keep its top half and hide the rest.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), FadeIn(real), FadeIn(real_name))
        self.wait(1)
        self.play(FadeOut(real), FadeIn(shown), FadeIn(box), FadeIn(known_name), FadeIn(hidden),
                  ReplacementTransform(real_name, known_half))
        self.wait(1)


        # SPEC.n completions in a grid of at most three columns
        rows, cols = grid_shape(SPEC.n)
        k = ValueTracker(0)

        def tiles(i):
            x = np.clip(traj.x[i, :, 0], -1, 1)
            return [pixel_image(x[s], tile_h) for s in range(SPEC.n)]

        grid = Group(*tiles(0)).arrange_in_grid(rows=rows, cols=cols, buff=0.3)
        grid.move_to([real.get_right()[0] + 0.9 + grid.width / 2, grid_y, 0])
        for s, tile in enumerate(grid):
            tile.add_updater(lambda m, s=s: m.become(pixel_image(np.clip(traj.x[int(round(k.get_value())), s, 0], -1, 1),
                                                                 tile_h).move_to(m)))
        boxes = VGroup(*[known_box(t) for t in grid])
        t_label = LiveValue("t", T, size=30, color=style.HIGHLIGHT).next_to(grid, RIGHT, buff=0.35)

        def update_t(m):
            i = int(round(k.get_value()))
            m.set_value(T - i if i < steps else 0)
        t_label.add_updater(update_t)
        grid_name = layout.footnote(f"{SPEC.n} completions, each from its own noise (DDPM, T = {T})")

        self.hold_narration()
        self.beat("Every sample starts from its own noise. After each step the known half is replaced "
                  "by the real pixels, noised to the same step.", 5)
        self.play(Write(eq))
        self.play(FadeIn(grid), FadeIn(boxes), Write(t_label), FadeIn(grid_name))
        self.wait(1.5)
        self.hold_narration()
        self.beat("The model was trained without any conditioning. It sees the known half only through the "
                  "noisy x_t, and replacement does not force the two halves to agree; RePaint (Lugmayr et al. 2022) "
                  "adds resampling for that, not used here.", 9)
        self.play(k.animate.set_value(steps), run_time=9, rate_func=lambda a: a ** 0.6)
        for mob in (*grid, t_label):
            mob.clear_updaters()
        err = known_region_error(traj, tm, SPEC)
        result = layout.footnote(f"known half kept exactly (max pixel error {err:.1g}); the rest differs per sample",
                                 color=style.TEXT)
        self.hold_narration()
        self.beat("Different noise, different plausible completions of the same top half.", 4)
        self.play(FadeOut(grid_name), FadeIn(result))        # the footnote line: the measured result
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(Group(heading, eq, shown, box, hidden, known_name, known_half, grid, boxes, t_label, result)))
        self.seam()

    def seam(self):
        """Replacement only against RePaint's resampling, on the same held-out digits and noise."""
        r = seam_study()
        n = min(SEAM_SHOWN, SEAM.per_image)
        heading = layout.heading("Do the two halves agree? Replacement vs RePaint resampling")
        facts = VGroup(label(f"jump across the boundary: {r['replace_jump']:.2f} without, {r['repaint_jump']:.2f} with "
                             f"(real digits {r['real_jump']:.2f})", style.SMALL_SIZE, style.TEXT),
                       label(f"RMS of the filled half to the real one: {r['replace_hidden_rms']:.2f} without, "
                             f"{r['repaint_hidden_rms']:.2f} with", style.SMALL_SIZE, style.TEXT),
                       label(f"{SEAM.n_images} held-out digits × {SEAM.per_image} completions; jump: mean |difference|, "
                             "last kept row to first filled row", style.SMALL_SIZE, style.MUTED))
        for line in facts:
            if line.width > layout.FRAME_W - 2 * layout.MARGIN:
                line.scale_to_fit_width(layout.FRAME_W - 2 * layout.MARGIN)
        facts.arrange(DOWN, buff=0.15)
        facts.move_to([0, -layout.FRAME_H / 2 + layout.MARGIN + facts.height / 2, 0])
        # the two rows of completions fill the space between the title line and the measured lines
        name_box, rows_box = layout.split(layout.region(bottom=facts.get_top()[1] + 0.35), [1, 3.2], gap=0.35)
        rows = Group()
        for key in ("replace", "repaint"):
            tiles = Group(*[pixel_image(r[f"{key}_samples"][i], 1.0) for i in range(n)]).arrange(RIGHT, buff=0.2)
            rows.add(Group(tiles, *[known_box(t_) for t_ in tiles]))
        rows.arrange(DOWN, buff=0.45)
        layout.fit(rows, rows_box, align=LEFT)
        names = VGroup(label("replacement only", style.SMALL_SIZE, style.TEXT),
                       label(f"RePaint ({SEAM.resample}× per step)", style.SMALL_SIZE, style.TEXT))
        for name, row in zip(names, rows):
            if name.width > name_box[2] - name_box[0]:
                name.scale_to_fit_width(name_box[2] - name_box[0])
            name.move_to([name_box[2] - name.width / 2, row.get_y(), 0])
        f = self.facts
        self.hold_narration()
        self.beat(f"RePaint's fix: every {SEAM.jump} steps, noise the image back {SEAM.jump} steps and denoise again, "
                  f"{SEAM.resample} times, so the model can harmonise the halves. Same digits, same noise, both ways.", 6)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), FadeIn(rows), FadeIn(names))
        self.wait(2)
        self.hold_narration()
        self.beat(f["seam_jump_off_real"].text + " " + f["hidden_rms_replace_vs_repaint"].text, 7)
        self.play(FadeIn(facts))
        self.wait(6)
        self.hold_narration()
        self.play(FadeOut(Group(heading, rows, names, facts)))

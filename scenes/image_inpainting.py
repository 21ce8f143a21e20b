"""ImageInpainting — the continuous cousin of the fixed subgraph: the top half of a held-out digit is
known, and the unconditionally trained image model fills in the rest by replacement (the known half is
re-noised to the current step after every step; RePaint without its resampling). Several completions
from different noise, from one real run."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, Rectangle, ValueTracker, VGroup, Write)

from diffusion.studies.inpaint import (InpaintSpec, SeamStudy, get_inpainting, get_seam_study, half_mask,
                                       known_image, known_region_error)

from scenes import style
from scenes.claims import claim, worded
from scenes.common import digits_model
from scenes.helpers import DiffusionScene, framed, label, math, pixel_image

SPEC = InpaintSpec(image_index=0, keep="top", n=6, seed=0, sampler="ddpm", steps=1000)
TILE = 1.55                                  # height of one completion
SEAM = SeamStudy()                           # replacement vs RePaint resampling, measured
SEAM_SHOWN = 4                               # completions shown per method


def known_box(tile, color=style.FIXED) -> Rectangle:
    """A frame around the known (top) half of a square tile."""
    return Rectangle(width=tile.width, height=tile.height / 2, color=color, stroke_width=3).move_to(
        tile.get_top() + DOWN * tile.height / 4)


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns for n completions: at most three columns."""
    cols = min(3, n)
    return int(np.ceil(n / cols)), cols


class ImageInpainting(DiffusionScene):
    description = "Inpainting digits: the top half of a real digit stays fixed, the model fills in the rest."

    @classmethod
    def claims(cls):
        tm = digits_model()
        err = known_region_error(get_inpainting(tm, SPEC), tm, SPEC)
        r = get_seam_study(tm, SEAM)
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
        traj = get_inpainting(tm, SPEC)
        image = known_image(tm, SPEC.image_index)[0].numpy()
        mask = half_mask(tm.config.image_size, SPEC.keep)[0].numpy()
        steps = len(traj.timesteps)

        self.beat("The same idea on images: keep part of a real digit fixed and let the model fill in the rest.", 3)
        title = self.title_card("Inpainting", "an unconditional image model, steered by replacement")
        self.play(FadeIn(title))
        self.wait(1.5)
        self.play(FadeOut(title))

        heading = label("Known: the top half of a held-out digit", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        real = pixel_image(image, 2.4).move_to([-4.3, 0.3, 0])
        real_name = label("real digit", style.SMALL_SIZE, style.MUTED).next_to(real, DOWN, buff=0.2)
        shown = pixel_image(np.where(mask > 0, image, 0.0), 2.4).move_to(real)     # hidden half: flat grey
        box = known_box(shown)
        hidden = label("?", style.LABEL_SIZE, style.TEXT).move_to(shown.get_bottom() + UP * shown.height / 4)
        known_name = label("kept", style.SMALL_SIZE, style.FIXED).next_to(box, UP, buff=0.12)
        self.beat("A digit the model never saw in training. We keep its top half and hide the rest.", 4)
        self.play(FadeIn(heading), FadeIn(real), FadeIn(real_name))
        self.wait(1)
        self.play(FadeOut(real), FadeIn(shown), FadeIn(box), FadeIn(known_name), FadeIn(hidden),
                  real_name.animate.become(label("known half", style.SMALL_SIZE, style.MUTED).move_to(real_name)))
        self.wait(1)

        eq = math(r"x_{t-1} = \mathrm{mask} \odot \underbrace{q(x_{t-1} \mid x_0)}_{\text{known, re-noised}}"
                  r" + (1 - \mathrm{mask}) \odot \underbrace{p_\theta(x_{t-1} \mid x_t)}_{\text{model}}", size=30)
        eq.next_to(heading, DOWN, buff=0.3)

        # SPEC.n completions in a grid of at most three columns
        rows, cols = grid_shape(SPEC.n)
        k = ValueTracker(0)

        def tiles(i):
            x = np.clip(traj.x[i, :, 0], -1, 1)
            return [pixel_image(x[s], TILE) for s in range(SPEC.n)]

        grid = Group(*tiles(0)).arrange_in_grid(rows=rows, cols=cols, buff=0.3).move_to([1.9, -0.55, 0])
        for s, tile in enumerate(grid):
            tile.add_updater(lambda m, s=s: m.become(pixel_image(np.clip(traj.x[int(round(k.get_value())), s, 0], -1, 1),
                                                                 TILE).move_to(m)))
        boxes = VGroup(*[known_box(t) for t in grid])
        t_label = math(rf"t = {T}", size=30, color=style.HIGHLIGHT).next_to(grid, RIGHT, buff=0.35)

        def update_t(m):
            i = int(round(k.get_value()))
            t_show = T - i if i < steps else 0
            m.become(math(rf"t = {t_show}", size=30, color=style.HIGHLIGHT).move_to(m, aligned_edge=m.get_left()))
        t_label.add_updater(update_t)
        grid_name = label(f"{SPEC.n} completions, each from its own noise (DDPM, T = {T})", style.SMALL_SIZE,
                          style.MUTED).next_to(grid, DOWN, buff=0.25)

        self.beat("Every sample starts from its own noise. After each step the known half is replaced "
                  "by the real pixels, noised to the same step.", 5)
        self.play(Write(eq))
        self.play(FadeIn(grid), FadeIn(boxes), Write(t_label), FadeIn(grid_name))
        self.wait(1.5)
        self.beat("The model was trained without any conditioning. It sees the known half only through the "
                  "noisy x_t, and replacement does not force the two halves to agree; RePaint (Lugmayr et al. 2022) "
                  "adds resampling for that, not used here.", 9)
        self.play(k.animate.set_value(steps), run_time=9, rate_func=lambda a: a ** 0.6)
        for mob in (*grid, t_label):
            mob.clear_updaters()
        err = known_region_error(traj, tm, SPEC)
        result = label(f"known half kept exactly (max pixel error {err:.1g}); the rest differs per sample",
                       style.SMALL_SIZE, style.TEXT).to_edge(DOWN, buff=0.3)
        if result.width > 13:
            result.scale_to_fit_width(13)
        self.beat("Different noise, different plausible completions of the same top half.", 4)
        self.play(FadeIn(result))
        self.wait(4)
        self.play(FadeOut(Group(heading, eq, shown, box, hidden, known_name, real_name, grid, boxes, t_label, grid_name, result)))
        self.seam(tm)

    def seam(self, tm):
        """Replacement only against RePaint's resampling, on the same held-out digits and noise."""
        r = get_seam_study(tm, SEAM)
        n = min(SEAM_SHOWN, SEAM.per_image)
        heading = label("Do the two halves agree? Replacement vs RePaint resampling", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        rows = Group()
        for key in ("replace", "repaint"):
            tiles = Group(*[pixel_image(r[f"{key}_samples"][i], 1.3) for i in range(n)]).arrange(RIGHT, buff=0.25)
            rows.add(Group(tiles, *[known_box(t_) for t_ in tiles]))
        rows.arrange(DOWN, buff=0.6).move_to([1.6, 0.35, 0])
        names = VGroup(label("replacement only", style.SMALL_SIZE, style.TEXT),
                       label(f"RePaint ({SEAM.resample}× per step)", style.SMALL_SIZE, style.TEXT))
        for name, row in zip(names, rows):
            name.next_to(row, LEFT, buff=0.35)
        f = self.facts
        facts = VGroup(label(f"jump across the boundary: {r['replace_jump']:.2f} without, {r['repaint_jump']:.2f} with "
                             f"(real digits {r['real_jump']:.2f})", style.SMALL_SIZE, style.TEXT),
                       label(f"RMS of the filled half to the real one: {r['replace_hidden_rms']:.2f} without, "
                             f"{r['repaint_hidden_rms']:.2f} with", style.SMALL_SIZE, style.TEXT),
                       label(f"{SEAM.n_images} held-out digits × {SEAM.per_image} completions; jump: mean |difference|, "
                             "last kept row to first filled row", style.SMALL_SIZE, style.MUTED)
                       ).arrange(DOWN, buff=0.15).to_edge(DOWN, buff=0.3)
        for line in facts:
            if line.width > 13:
                line.scale_to_fit_width(13)
        self.beat(f"RePaint's fix: every {SEAM.jump} steps, noise the image back {SEAM.jump} steps and denoise again, "
                  f"{SEAM.resample} times, so the model can harmonise the halves. Same digits, same noise, both ways.", 6)
        self.play(FadeIn(heading), FadeIn(rows), FadeIn(names))
        self.wait(2)
        self.beat(f["seam_jump_off_real"].text + " " + f["hidden_rms_replace_vs_repaint"].text, 7)
        self.play(FadeIn(facts))
        self.wait(6)
        self.play(FadeOut(Group(heading, rows, names, facts)))

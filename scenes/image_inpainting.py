"""ImageInpainting — the continuous twin of the fixed subgraph: the top half of a held-out digit is
known, and the trained image model fills in the rest (RePaint-style: the known half is re-noised to
the current step after every step). Several completions from different noise, from one real run."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, RIGHT, UP, FadeIn, FadeOut, Group, Rectangle, ReplacementTransform, ValueTracker, VGroup, Write)

from diffusion.studies.inpaint import InpaintSpec, get_inpainting, half_mask, known_image, known_region_error

from scenes import helpers as layout, style
from scenes.common import digits_model
from scenes.helpers import DiffusionScene, LiveValue, framed, label, math, pixel_image

SPEC = InpaintSpec(image_index=0, keep="top", n=6, seed=0, sampler="ddpm", steps=1000)


def known_box(tile, color=style.FIXED) -> Rectangle:
    """A frame around the known (top) half of a square tile."""
    return Rectangle(width=tile.width, height=tile.height / 2, color=color, stroke_width=3).move_to(
        tile.get_top() + DOWN * tile.height / 4)


def inpainting():
    """completions of the top half of a held-out digit, every step kept (digits U-Net)"""
    return get_inpainting(digits_model(), SPEC)


class ImageInpainting(DiffusionScene):
    description = "Inpainting digits: the top half of a real digit stays fixed, the model fills in the rest."
    needs = (digits_model, inpainting)

    def construct(self):
        tm = digits_model()
        T = tm.schedule.T
        traj = inpainting()
        image = known_image(tm, SPEC.image_index)[0].numpy()
        mask = half_mask(tm.config.image_size, SPEC.keep)[0].numpy()
        steps = len(traj.timesteps)

        self.beat("The same idea on images: keep part of a real digit fixed and let the model fill in the rest.", 3)
        self.title_card("Inpainting", "the continuous twin of a fixed subgraph")

        heading = label("Known: the top half of a held-out digit", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        eq = math(r"x_{t-1} = m \odot \underbrace{q(x_{t-1} \mid x_0)}_{\text{known, re-noised}}"
                  r" + (1 - m) \odot \underbrace{p_\theta(x_{t-1} \mid x_t)}_{\text{model}}", size=30)
        eq.next_to(heading, DOWN, buff=0.3)
        # the completions fill the space under the equation, above the footnote line
        x0, y0, x1, y1 = layout.region(top=eq.get_bottom()[1] - 0.35, note=True)
        tile_h = min(2.2, (y1 - y0 - 0.3) / 2)
        grid_y = (y0 + y1) / 2
        real = pixel_image(image, 1.45 * tile_h).move_to([x0 + 0.725 * tile_h + 0.2, grid_y, 0])
        real_name = label("real digit", style.SMALL_SIZE, style.MUTED).next_to(real, DOWN, buff=0.2)
        known_half = label("known half", style.SMALL_SIZE, style.MUTED).move_to(real_name)
        shown = pixel_image(np.where(mask > 0, image, 0.0), 2.4).move_to(real)     # hidden half: flat grey
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


        # six completions, 2 x 3
        k = ValueTracker(0)

        def tiles(i):
            x = np.clip(traj.x[i, :, 0], -1, 1)
            return [pixel_image(x[s], tile_h) for s in range(SPEC.n)]

        grid = Group(*tiles(0)).arrange_in_grid(rows=2, cols=3, buff=0.3)
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
        self.beat("The model only ever fills the hidden half, but it has to agree with the half it is given.", 9)
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

"""ImageInpainting — the continuous cousin of the fixed subgraph: the top half of a held-out digit is
known, and the unconditionally trained image model fills in the rest by replacement (the known half is
re-noised to the current step after every step; RePaint without its resampling). Several completions
from different noise, from one real run."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, ReplacementTransform, ValueTracker, VGroup,
                   Write)

from diffusion.studies.inpaint import seam_per_digit
from scenes.kit import layout, style
from scenes.kit.data import image_inpainting
from scenes.kit.data.image_inpainting import SEAM, SPEC, inpainting, known_error, known_half, seam_study
from scenes.kit.images import known_box, pixel_image
from scenes.kit.models import digits_model
from scenes.kit.numbers import LiveValue
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

SEAM_SHOWN = 4                               # completions shown per method


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns for n completions: at most three columns."""
    cols = min(3, n)
    return int(np.ceil(n / cols)), cols


def seam_rows(r, rows_box, name_box):
    """The first completions without and with resampling, a row each (known half boxed) fitted to
    rows_box, and their names right-aligned in name_box."""
    n = min(SEAM_SHOWN, SEAM.per_image)
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
    return rows, names


class ImageInpainting(DiffusionScene):
    description = "Inpainting digits: the top half of a real digit stays fixed, the model fills in the rest."
    data = image_inpainting

    def construct(self):
        self.beat("The same idea on images: keep part of a real digit fixed and let the model fill in the rest.", 3)
        self.title_card("Inpainting", "an unconditional image model, steered by replacement")
        s = self.known_digit()
        self.completions(s)
        self.seam()

    def known_digit(self):
        """The held-out digit, then only its top half: what the model is given."""
        image, mask = known_half()
        s = SimpleNamespace()
        s.heading = label("Known: the top half of a held-out digit", style.LABEL_SIZE).to_edge(UP, buff=0.3)
        s.eq = math(r"x_{t-1} = \mathrm{mask} \odot \underbrace{q(x_{t-1} \mid x_0)}_{\text{known, re-noised}}"
                    r" + (1 - \mathrm{mask}) \odot \underbrace{p_\theta(x_{t-1} \mid x_t)}_{\text{model}}", size=30)
        s.eq.next_to(s.heading, DOWN, buff=0.3)
        # the completions fill the space under the equation, above the footnote line
        x0, y0, x1, y1 = layout.region(top=s.eq.get_bottom()[1] - 0.35, note=True)
        s.tile_h = min(2.2, (y1 - y0 - 0.3) / grid_shape(SPEC.n)[0])
        s.grid_y = (y0 + y1) / 2
        real = pixel_image(image, 1.45 * s.tile_h).move_to([x0 + 0.725 * s.tile_h + 0.2, s.grid_y, 0])
        real_name = label("real digit", style.SMALL_SIZE, style.MUTED).next_to(real, DOWN, buff=0.2)
        s.known_half = label("known half", style.SMALL_SIZE, style.MUTED).move_to(real_name)
        s.shown = pixel_image(np.where(mask > 0, image, 0.0), real.height).move_to(real)     # hidden half: flat grey
        s.box = known_box(s.shown)
        s.hidden = layout.on_image(label("?", style.TITLE_SIZE, style.TEXT).move_to(s.shown.get_bottom() + UP * s.shown.height / 4))
        s.known_name = label("kept", style.SMALL_SIZE, style.FIXED).next_to(s.box, UP, buff=0.12)
        self.next_beat("A digit the model never saw in training. We keep its top half and hide the rest.", 4)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(s.heading), FadeIn(real), FadeIn(real_name))
        self.wait(1)
        self.play(FadeOut(real), FadeIn(s.shown), FadeIn(s.box), FadeIn(s.known_name), FadeIn(s.hidden),
                  ReplacementTransform(real_name, s.known_half))
        self.wait(1)
        return s

    def completion_grid(self, s, traj, k, T):
        """SPEC.n completions in a grid of at most three columns, following the step tracker k, and t."""
        rows, cols = grid_shape(SPEC.n)
        x = np.clip(traj.x[0, :, 0], -1, 1)
        grid = Group(*[pixel_image(x[i], s.tile_h) for i in range(SPEC.n)]).arrange_in_grid(rows=rows, cols=cols, buff=0.3)
        grid.move_to([s.shown.get_right()[0] + 0.9 + grid.width / 2, s.grid_y, 0])
        for i, tile in enumerate(grid):
            tile.add_updater(lambda m, i=i: m.become(pixel_image(np.clip(traj.x[int(round(k.get_value())), i, 0], -1, 1),
                                                                 s.tile_h).move_to(m)))
        t_label = LiveValue("t", T, size=30, color=style.HIGHLIGHT).next_to(grid, RIGHT, buff=0.35)
        steps = len(traj.timesteps)

        def update_t(m):
            i = int(round(k.get_value()))
            m.set_value(T - i if i < steps else 0)
        t_label.add_updater(update_t)
        return grid, t_label

    def completions(self, s):
        T = digits_model().schedule.T
        traj = inpainting()
        k = ValueTracker(0)
        grid, t_label = self.completion_grid(s, traj, k, T)
        boxes = VGroup(*[known_box(t) for t in grid])
        grid_name = layout.footnote(f"{SPEC.n} completions, each from its own noise (DDPM, T = {T})")
        self.next_beat("Every sample starts from its own noise. After each step the known half is replaced "
                       "by the real pixels, noised to the same step.", 5)
        self.play(Write(s.eq))
        self.play(FadeIn(grid), FadeIn(boxes), Write(t_label), FadeIn(grid_name))
        self.wait(1.5)
        self.next_beat("The model was trained without any conditioning. It sees the known half only through the "
                       "noisy x_t, and replacement does not force the two halves to agree; RePaint (Lugmayr et al. 2022) "
                       "adds resampling for that, not used here.", 9)
        self.play(k.animate.set_value(len(traj.timesteps)), run_time=9, rate_func=lambda a: a ** 0.6)
        for mob in (*grid, t_label):
            mob.clear_updaters()
        result = layout.footnote(f"known half kept exactly (max pixel error {known_error():.1g}); the rest differs "
                                 "per sample", color=style.TEXT)
        self.next_beat("Different noise, different plausible completions of the same top half.", 4)
        self.play(FadeOut(grid_name), FadeIn(result))        # the footnote line: the measured result
        self.wait(4)
        self.hold_narration()
        self.play(FadeOut(Group(s.heading, s.eq, s.shown, s.box, s.hidden, s.known_name, s.known_half, grid, boxes,
                                t_label, result)))

    def seam(self):
        """Replacement only against RePaint's resampling, on the same held-out digits and noise."""
        r = seam_study()
        heading = layout.heading("Do the two halves agree? Replacement vs RePaint resampling")
        facts = self.seam_facts(r)
        # the two rows of completions fill the space between the title line and the measured lines
        name_box, rows_box = layout.split(layout.region(bottom=facts.get_top()[1] + 0.35), [1, 3.2], gap=0.35)
        rows, names = seam_rows(r, rows_box, name_box)
        self.next_beat(f"RePaint's fix: every {SEAM.jump} steps, noise the image back {SEAM.jump} steps and denoise again, "
                       f"{SEAM.resample} times, so the model can harmonise the halves. Same digits, same noise, both ways.", 6)
        self.layout_exempt("fill", "build-up: the next beat completes this picture")
        self.play(FadeIn(heading), FadeIn(rows), FadeIn(names))
        self.wait(2)
        f = self.facts
        self.next_beat(f["seam_jump_off_real"].text + " " + f["hidden_rms_replace_vs_repaint"].text, 7)
        self.play(FadeIn(facts))
        self.wait(6)
        self.hold_narration()
        self.play(FadeOut(Group(heading, rows, names, facts)))

    def seam_facts(self, r) -> VGroup:
        """The measured lines at the bottom of the frame: the seam's jump and the hidden half's error,
        without and with resampling, each with its bootstrap interval."""
        per = seam_per_digit(digits_model(), r, SEAM)
        f = self.facts
        def ci(name):
            d, lo, hi = f[name].value
            return f"Δ {d:+.2f}, 95 % CI {lo:+.2f} to {hi:+.2f}"

        facts = VGroup(label(f"seam jump off the real digit's: {per['replace_jump_off'].mean():.2f} without, "
                             f"{per['repaint_jump_off'].mean():.2f} with ({ci('seam_jump_off_real')})",
                             style.SMALL_SIZE, style.TEXT),
                       label(f"RMS to the real hidden half: {per['replace_hidden_rms'].mean():.2f} without, "
                             f"{per['repaint_hidden_rms'].mean():.2f} with ({ci('hidden_rms_replace_vs_repaint')})",
                             style.SMALL_SIZE, style.TEXT),
                       label(f"{SEAM.n_images} held-out digits × {SEAM.per_image} completions, per digit; CI: bootstrap "
                             "over digits", style.SMALL_SIZE, style.MUTED))
        for line in facts:
            if line.width > layout.FRAME_W - 2 * layout.MARGIN:
                line.scale_to_fit_width(layout.FRAME_W - 2 * layout.MARGIN)
        facts.arrange(DOWN, buff=0.15)
        return facts.move_to([0, -layout.FRAME_H / 2 + layout.MARGIN + facts.height / 2, 0])

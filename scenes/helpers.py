"""Reusable visuals: pixel images of tensors, grids of images, and the base scene class.

Pixel images are single ImageMobjects with nearest-neighbour resampling (never thousands of
Squares), so heavy grids render fast and stay crisp.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from manim import (DOWN, RESAMPLING_ALGORITHMS, UP, ImageMobject, ManimColor, MathTex, Scene, SurroundingRectangle,
                   Tex, Text, VGroup, Group)
from manim_slides import Slide

from . import style

# --- arrays -> pixels ---------------------------------------------------------------------


def to_gray_uint8(array, vmin: float = -1.0, vmax: float = 1.0) -> np.ndarray:
    """Map values in [vmin, vmax] to 0..255 (clipped)."""
    a = (np.asarray(array, dtype=np.float64) - vmin) / (vmax - vmin)
    return (np.clip(a, 0, 1) * 255).round().astype(np.uint8)


def tile(images, rows: int, cols: int, gap: int = 1, scale: int = 4, vmin=-1.0, vmax=1.0,
         gap_value: int | None = None) -> np.ndarray:
    """(N, H, W) float images -> one uint8 mosaic; each pixel becomes scale x scale, gaps of `gap` px."""
    images = np.asarray(images)
    n, h, w = images.shape
    if n > rows * cols:
        raise ValueError(f"{n} images do not fit a {rows}x{cols} grid")
    g = gap * scale // 2 if gap else 0
    gv = style.BG_LEVEL if gap_value is None else gap_value
    H, W = rows * h * scale + (rows - 1) * g, cols * w * scale + (cols - 1) * g
    out = np.full((H, W), gv, dtype=np.uint8)
    pix = to_gray_uint8(images, vmin, vmax)
    for i in range(n):
        r, c = divmod(i, cols)
        block = np.kron(pix[i], np.ones((scale, scale), dtype=np.uint8))
        out[r * (h * scale + g): r * (h * scale + g) + h * scale, c * (w * scale + g): c * (w * scale + g) + w * scale] = block
    return out


def pixel_image(array, height: float = 2.0, vmin: float = -1.0, vmax: float = 1.0) -> ImageMobject:
    """A 2D array (H, W) of values, or a uint8 mosaic, as a crisp ImageMobject of the given height."""
    a = np.asarray(array)
    pix = a if a.dtype == np.uint8 else to_gray_uint8(a, vmin, vmax)
    img = ImageMobject(pix)
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
    img.height = height
    return img


def image_grid(images, rows: int, cols: int, height: float = 4.0, vmin=-1.0, vmax=1.0) -> ImageMobject:
    """N images (N, H, W) as one ImageMobject mosaic."""
    return pixel_image(tile(images, rows, cols, vmin=vmin, vmax=vmax), height=height)


def framed(mob, color, buff: float = 0.04):
    """The mobject with a thin coloured frame around it (a Group, so it works with images)."""
    return Group(mob, SurroundingRectangle(mob, color=color, buff=buff, stroke_width=2))


# --- text -------------------------------------------------------------------------------


def label(text: str, size: int = style.LABEL_SIZE, color: str = style.TEXT) -> Text:
    return Text(text, font_size=size, color=color)


def math(tex: str, size: int = style.LABEL_SIZE, color: str = style.TEXT, **kw) -> MathTex:
    return MathTex(tex, font_size=size, color=color, **kw)


# --- base scene ---------------------------------------------------------------------------


class DiffusionScene(Slide):
    """Base class of every scene: palette background, and `beat()` for narrated storyboard beats.

    Subclasses set `description` (one line, shown by `make list`) and may set `poster_time`
    (seconds into the video of the blog's poster frame; default: the fullest frame).

    Every scene is also a manim-slides `Slide`: each `beat()` starts a new slide (a pause for the
    lecturer), with the narration as speaker notes. A plain `manim render` only writes the video;
    slides are saved when $SCENES_SLIDES_DIR is set (`make slides`, publish/slides.py).
    """
    description = ""
    poster_time: float | None = None
    skip_reversing = True          # no reversed clips for "previous slide": halves the slide build

    def setup(self):
        self.camera.background_color = ManimColor(style.BG)   # a ManimColor: manim-slides reads .to_hex()
        if os.environ.get("SCENES_SLIDES_DIR"):
            self._output_folder = Path(os.environ["SCENES_SLIDES_DIR"])

    def render(self, *args, **kwargs):
        if os.environ.get("SCENES_SLIDES_DIR"):
            return Slide.render(self, *args, **kwargs)      # video + slide clips + <Scene>.json
        return Scene.render(self, *args, **kwargs)          # video only

    def beat(self, narration: str, duration: float = 2.0):
        """A storyboard beat: a slide pause, and the narration as a subcaption (.srt) for the next
        `duration` s (and as the slide's speaker notes)."""
        self.next_slide(notes=narration)
        self.add_subcaption(narration, duration=duration)

    def title_card(self, title: str, subtitle: str = "", hold: float = 1.5):
        t = Text(title, font_size=style.TITLE_SIZE, color=style.TEXT)
        group = VGroup(t)
        if subtitle:
            s = Text(subtitle, font_size=style.LABEL_SIZE, color=style.MUTED).next_to(t, DOWN, buff=0.3)
            group.add(s)
        return group

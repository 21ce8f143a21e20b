"""Reusable visuals: pixel images of tensors, grids of images, and the base scene class.

Pixel images are single ImageMobjects with nearest-neighbour resampling (never thousands of
Squares), so heavy grids render fast and stay crisp.
"""
from __future__ import annotations

import numpy as np
from manim import (DOWN, RESAMPLING_ALGORITHMS, UP, ImageMobject, MathTex, Scene, SurroundingRectangle,
                   Tex, Text, VGroup, Group)

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


class DiffusionScene(Scene):
    """Base class of every scene: palette background, and `beat()` for narrated storyboard beats.

    Subclasses set `description` (one line, shown by `make list`).
    """
    description = ""

    def setup(self):
        self.camera.background_color = style.BG

    def beat(self, narration: str, duration: float = 2.0):
        """A storyboard beat: the narration becomes a subcaption (.srt) for the next `duration` s."""
        self.add_subcaption(narration, duration=duration)

    def title_card(self, title: str, subtitle: str = "", hold: float = 1.5):
        t = Text(title, font_size=style.TITLE_SIZE, color=style.TEXT)
        group = VGroup(t)
        if subtitle:
            s = Text(subtitle, font_size=style.LABEL_SIZE, color=style.MUTED).next_to(t, DOWN, buff=0.3)
            group.add(s)
        return group


# --- plots: histograms with a density overlay, curves from arrays ---------------------------


def density_histogram(axes, values, edges, color: str = style.STATE, opacity: float = 0.6,
                      y_max: float | None = None):
    """Bars of a density histogram of `values` on `axes` (area 1 over all values, so it compares
    with a density curve). Bars taller than y_max are clipped at y_max. Returns a VGroup."""
    from manim import Rectangle

    values = np.ravel(np.asarray(values, dtype=np.float64))
    edges = np.asarray(edges, dtype=np.float64)
    counts, _ = np.histogram(values, bins=edges)
    dens = counts / (len(values) * np.diff(edges))
    bars = VGroup()
    for lo, hi, d in zip(edges[:-1], edges[1:], dens):
        if d <= 0:
            continue
        d = min(d, y_max) if y_max is not None else d
        p0, p1 = axes.c2p(lo, 0), axes.c2p(hi, d)
        bar = Rectangle(width=max(p1[0] - p0[0], 1e-3), height=max(p1[1] - p0[1], 1e-3),
                        stroke_width=0.5, stroke_color=color, fill_color=color, fill_opacity=opacity)
        bar.move_to((p0 + p1) / 2)
        bars.add(bar)
    return bars


def normal_density(x, mean: float = 0.0, std: float = 1.0):
    return np.exp(-0.5 * ((np.asarray(x) - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def density_overlay(axes, x_range=(-4, 4), color: str = style.TEXT, mean: float = 0.0, std: float = 1.0,
                    stroke_width: float = 3):
    """The normal density N(mean, std^2) drawn on `axes` (default: the standard normal)."""
    return axes.plot(lambda x: float(normal_density(x, mean, std)), x_range=[*x_range, 0.02],
                     color=color, stroke_width=stroke_width)


def curve_from_array(axes, ys, color: str, xs=None, stroke_width: float = 3, max_points: int = 400):
    """A polyline through (xs[i], ys[i]) on `axes` (xs defaults to 1..len(ys), the paper's t)."""
    from manim import VMobject

    ys = np.asarray(ys, dtype=np.float64)
    xs = np.arange(1, len(ys) + 1) if xs is None else np.asarray(xs, dtype=np.float64)
    stride = max(1, len(ys) // max_points)
    idx = np.unique(np.r_[np.arange(0, len(ys), stride), len(ys) - 1])
    curve = VMobject(color=color, stroke_width=stroke_width)
    curve.set_points_as_corners([axes.c2p(x, y) for x, y in zip(xs[idx], ys[idx])])
    return curve


def schedule_axes(T: int, y_max: float = 1.0, width: float = 5.5, height: float = 3.0, y_step: float | None = None,
                  x_step: int | None = None, font_size: int = style.SMALL_SIZE):
    """Axes for a quantity over the paper's t = 1..T (MUTED axis colour, numbered ticks)."""
    from manim import Axes

    axes = Axes(x_range=[0, T, x_step or T // 2], y_range=[0, y_max, y_step or y_max / 2],
                x_length=width, y_length=height, tips=False,
                axis_config=dict(color=style.MUTED, stroke_width=2, include_numbers=True,
                                 font_size=font_size))
    for ax in (axes.x_axis, axes.y_axis):
        if getattr(ax, "numbers", None) is not None:
            ax.numbers.set_color(style.MUTED)
    return axes

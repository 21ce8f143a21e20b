"""Visuals for the 2D model: a square panel of the plane, the exact density as an image, arrow fields
and point clouds (ScoreField, ProbabilityFlow)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, UP, Arrow, Axes, Dot, ImageMobject, Line, RESAMPLING_ALGORITHMS, Square, VGroup,
                   VMobject, color_to_rgb)

from diffusion.models.toy2d import log_density
from scenes import style
from scenes.helpers import label


class PlanePanel(VGroup):
    """A square window onto [-lim, lim]^2 with a frame and a heading; `c2p` maps plane points to the screen."""

    def __init__(self, lim: float, size: float, heading: str = "", color: str = style.TEXT):
        super().__init__()
        self.lim, self.size = lim, size
        self.axes = Axes(x_range=[-lim, lim, lim], y_range=[-lim, lim, lim], x_length=size, y_length=size,
                         tips=False, axis_config=dict(stroke_opacity=0, include_ticks=False))
        self.frame = Square(side_length=size, color=style.GRID, stroke_width=2).move_to(self.axes.get_center())
        self.heading = label(heading, style.SMALL_SIZE + 2, color).next_to(self.frame, UP, buff=0.15)
        self.add(self.axes, self.frame, self.heading)

    @classmethod
    def fitted(cls, lim: float, box, heading: str = "", color: str = style.TEXT) -> "PlanePanel":
        """The largest panel (square and heading) that fits `box` (a helpers.region()), centred in it.
        Built at its final size, so the heading keeps its font size and `size` stays true."""
        x0, y0, x1, y1 = box
        head_h = (label(heading, style.SMALL_SIZE + 2).height + 0.15) if heading else 0.0
        p = cls(lim, min(x1 - x0, y1 - y0 - head_h), heading, color)
        return p.move_to([(x0 + x1) / 2, (y0 + y1) / 2, 0])

    def c2p(self, xy) -> np.ndarray:
        xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        return np.array([self.axes.c2p(x, y) for x, y in xy])


def density_image(panel: PlanePanel, mix, alpha_bar: float, px: int = 160, color: str = style.STATE,
                  strength: float = 0.6) -> ImageMobject:
    """The exact q_t (closed form) over the panel as a shaded image, brighter where denser."""
    u = np.linspace(-panel.lim, panel.lim, px)
    gx, gy = np.meshgrid(u, u[::-1])                       # image rows run from the top
    logq = log_density(mix, np.stack([gx.ravel(), gy.ravel()], 1), alpha_bar).numpy().reshape(px, px)
    a = np.exp(logq - logq.max()) ** 0.5
    bg, fg = np.array(color_to_rgb(style.BG)), np.array(color_to_rgb(color))
    rgb = bg + (fg - bg) * strength * a[..., None]
    img = ImageMobject((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["bilinear"])
    img.stretch_to_fit_width(panel.size).stretch_to_fit_height(panel.size).move_to(panel.frame)
    return img


def heat_image(panel: PlanePanel, values: np.ndarray, n: int, vmax: float, color: str) -> ImageMobject:
    """Values on the n x n grid of `measure.grid_points` (bottom-left first) as a shaded image."""
    a = np.clip(np.asarray(values).reshape(n, n)[::-1] / vmax, 0, 1)
    bg, fg = np.array(color_to_rgb(style.BG)), np.array(color_to_rgb(color))
    img = ImageMobject((np.clip(bg + (fg - bg) * a[..., None], 0, 1) * 255).astype(np.uint8))
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["bilinear"])
    img.stretch_to_fit_width(panel.size).stretch_to_fit_height(panel.size).move_to(panel.frame)
    return img


def arrow_field(panel: PlanePanel, points, vectors, scale: float, color: str, cell: float) -> VGroup:
    """Arrows at `points` along `vectors`; length on screen 0.95 * cell * min(1, |v| / (2 scale)): linear up
    to twice `scale` (pass the median), capped above, so a field spanning orders of magnitude stays
    readable (longer = stronger, capped arrows = at least 2x the median)."""
    starts = panel.c2p(points)
    norms = np.linalg.norm(vectors, axis=1)
    lengths = 0.95 * cell * np.minimum(1.0, norms / (2 * scale))
    arrows = VGroup()
    for p, v, n, L in zip(starts, vectors, norms, lengths):
        d = np.r_[v / max(n, 1e-12), 0.0] * L
        if L < 0.04:
            arrows.add(Dot(p, radius=0.012, color=color))
            continue
        arrows.add(Arrow(p - d / 2, p + d / 2, buff=0, color=color, stroke_width=2.5, tip_length=0.09,
                         max_tip_length_to_length_ratio=0.45, max_stroke_width_to_length_ratio=12))
    return arrows


def point_cloud(panel: PlanePanel, xy, color: str, radius: float = 0.022, opacity: float = 0.85) -> VGroup:
    """Points inside the panel as small dots (those outside the window are left out)."""
    xy = np.asarray(xy)
    inside = (np.abs(xy) < panel.lim).all(1)
    return VGroup(*[Dot(p, radius=radius, color=color, fill_opacity=opacity) for p in panel.c2p(xy[inside])])


def polyline(panel: PlanePanel, xy, color: str, width: float = 1.4, opacity: float = 0.8) -> VMobject:
    """A path through plane points (clipped to the window)."""
    xy = np.clip(np.asarray(xy), -panel.lim, panel.lim)
    return VMobject(stroke_color=color, stroke_width=width, stroke_opacity=opacity).set_points_as_corners(panel.c2p(xy))

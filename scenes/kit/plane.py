"""Visuals for the 2D model: a square panel of the plane, the exact density as an image, arrow fields
and point clouds (ScoreField, ProbabilityFlow)."""
from __future__ import annotations

import numpy as np
from manim import (DOWN, UP, Axes, ImageMobject, Line, RESAMPLING_ALGORITHMS, Square, VGroup,
                   VMobject, color_to_rgb)

from diffusion.models.toy2d.mixture import log_density
from . import style
from .paths import PolylineBundle, closed_paths
from .plots import linear_c2p
from .text import label


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
        """The largest panel (square and heading) that fits `box` (a layout.region()), centred in it.
        Built at its final size, so the heading keeps its font size and `size` stays true."""
        x0, y0, x1, y1 = box
        head_h = (label(heading, style.SMALL_SIZE + 2).height + 0.15) if heading else 0.0
        p = cls(lim, min(x1 - x0, y1 - y0 - head_h), heading, color)
        return p.move_to([(x0 + x1) / 2, (y0 + y1) / 2, 0])

    def c2p(self, xy) -> np.ndarray:
        """Screen points (N, 3) of plane points (N, 2); the panel's axes are linear, so one affine map
        (from where the axes stand now) serves every point."""
        xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        return linear_c2p(self.axes, xy[:, 0], xy[:, 1])


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


# Arrows drawn as manim's Arrow draws them (tip 0.09 long, at most 0.45 of the arrow; shaft 2.5 stroke
# units = 0.025 frame units wide, at most 12 stroke units per frame unit of length), but as closed
# outlines of ONE filled VMobject: a field of 225 Arrows costs a second to build and deep-copies
# hundreds of mobjects per Transform, one VMobject morphs by interpolating a single point array.
TIP_LENGTH, TIP_RATIO, SHAFT_WIDTH, SHAFT_RATIO = 0.09, 0.45, 0.025, 0.12
DOT_BELOW, DOT_RADIUS = 0.04, 0.012
ARROW_CORNERS = 7           # the outline of an arrow; a dot uses as many arcs so every item has equal points


def circles(centres: np.ndarray, radius: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Corners and arc handles of circles of `radius` about `centres` (N, 2), each as k cubic arcs."""
    theta = 2 * np.pi * np.arange(k) / k
    unit = np.stack([np.cos(theta), np.sin(theta)], 1)                    # (k, 2)
    tangent = np.stack([-np.sin(theta), np.cos(theta)], 1)
    h = radius * 4 / 3 * np.tan(np.pi / (2 * k))                           # arc of 2 pi / k
    corners = centres[:, None] + radius * unit[None]
    nxt = np.roll(corners, -1, axis=1)
    handles = np.stack([corners + h * tangent[None], nxt - h * np.roll(tangent, -1, axis=0)[None]], axis=2)
    return corners, handles


def arrow_outlines(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The 7 corners (N, 7, 2) of arrows from `starts` to `ends`: shaft then triangular tip."""
    d = ends - starts
    L = np.linalg.norm(d, axis=1, keepdims=True)
    u = d / np.maximum(L, 1e-12)
    n = np.stack([-u[:, 1], u[:, 0]], 1)
    tip = np.minimum(TIP_LENGTH, TIP_RATIO * L)
    w = np.minimum(SHAFT_WIDTH, SHAFT_RATIO * L) / 2
    base = ends - u * tip
    return np.stack([starts + n * w, base + n * w, base + n * tip / 2, ends, base - n * tip / 2,
                     base - n * w, starts - n * w], axis=1)


def arrow_field(panel: PlanePanel, points, vectors, scale: float, color: str, cell: float) -> VMobject:
    """Arrows at `points` along `vectors`; length on screen 0.95 * cell * min(1, |v| / (2 scale)): linear up
    to twice `scale` (pass the median), capped above, so a field spanning orders of magnitude stays
    readable (longer = stronger, capped arrows = at least 2x the median). An arrow shorter than 0.04
    is a dot. One VMobject with the same number of points for the same number of arrows, so a
    Transform between two fields of one grid moves each arrow into its successor."""
    centres = panel.c2p(points)[:, :2]
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1)
    lengths = 0.95 * cell * np.minimum(1.0, norms / (2 * scale))
    half = vectors / np.maximum(norms, 1e-12)[:, None] * lengths[:, None] / 2
    corners = arrow_outlines(centres - half, centres + half)
    dot = lengths < DOT_BELOW
    pts = closed_paths(corners).reshape(len(centres), -1, 3)
    if dot.any():
        c, h = circles(centres[dot], DOT_RADIUS, ARROW_CORNERS)
        pts[dot] = closed_paths(c, h).reshape(int(dot.sum()), -1, 3)
    field = VMobject(fill_color=color, fill_opacity=1.0, stroke_width=0)
    field.set_points(pts.reshape(-1, 3))
    return field


def point_cloud(panel: PlanePanel, xy, color: str, radius: float = 0.022, opacity: float = 0.85) -> VMobject:
    """Points inside the panel as small dots (those outside the window are left out): one VMobject of
    circles (four cubic arcs each), not a Dot per point."""
    xy = np.asarray(xy)
    inside = (np.abs(xy) < panel.lim).all(1)
    cloud = VMobject(fill_color=color, fill_opacity=opacity, stroke_width=0)
    if inside.any():
        c, h = circles(panel.c2p(xy[inside])[:, :2], radius, 4)
        cloud.set_points(closed_paths(c, h))
    return cloud


def polyline(panel: PlanePanel, xy, color: str, width: float = 1.4, opacity: float = 0.8) -> VMobject:
    """A path through plane points (clipped to the window)."""
    xy = np.clip(np.asarray(xy), -panel.lim, panel.lim)
    return VMobject(stroke_color=color, stroke_width=width, stroke_opacity=opacity).set_points_as_corners(panel.c2p(xy))


def polylines(panel: PlanePanel, paths, color: str, width: float = 1.4, opacity: float = 0.8) -> PolylineBundle:
    """Paths (N, K, 2) through plane points (clipped to the window) as one PolylineBundle."""
    xy = np.clip(np.asarray(paths, dtype=np.float64), -panel.lim, panel.lim)
    n, k = xy.shape[:2]
    corners = panel.c2p(xy.reshape(-1, 2)).reshape(n, k, 3)
    return PolylineBundle(corners, stroke_color=color, stroke_width=width, stroke_opacity=opacity)

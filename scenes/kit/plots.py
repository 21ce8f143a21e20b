"""Plots: density histograms with a normal overlay, curves from arrays, schedule axes."""
from __future__ import annotations

import numpy as np
from manim import VMobject

from . import style
from .paths import closed_paths


def density_histogram(axes, values, edges, color: str = style.STATE, opacity: float = 0.6,
                      y_max: float | None = None) -> VMobject:
    """Bars of a density histogram of `values` on `axes` (area 1 over all values, so it compares
    with a density curve). Bars taller than y_max are clipped at y_max. One VMobject (a closed
    rectangle per non-empty bin): redrawn every frame, a Rectangle per bar costs 80 ms a frame."""
    values = np.ravel(np.asarray(values, dtype=np.float64))
    edges = np.asarray(edges, dtype=np.float64)
    counts, _ = np.histogram(values, bins=edges)
    dens = counts / (len(values) * np.diff(edges))
    if y_max is not None:
        dens = np.minimum(dens, y_max)
    keep = dens > 0
    bars = VMobject(stroke_width=0.5, stroke_color=color, fill_color=color, fill_opacity=opacity)
    if keep.any():
        lo = linear_c2p(axes, edges[:-1][keep], np.zeros(keep.sum()))
        hi = linear_c2p(axes, edges[1:][keep], dens[keep])
        x0, y0, x1 = lo[:, 0], lo[:, 1], np.maximum(hi[:, 0], lo[:, 0] + 1e-3)
        y1 = np.maximum(hi[:, 1], y0 + 1e-3)
        corners = np.stack([np.c_[x0, y0], np.c_[x1, y0], np.c_[x1, y1], np.c_[x0, y1]], axis=1)   # (N, 4, 2)
        bars.set_points(closed_paths(corners))
    return bars


def normal_density(x, mean: float = 0.0, std: float = 1.0):
    return np.exp(-0.5 * ((np.asarray(x) - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def density_overlay(axes, x_range=(-4, 4), color: str = style.TEXT, mean: float = 0.0, std: float = 1.0,
                    stroke_width: float = 3):
    """The normal density N(mean, std^2) drawn on `axes` (default: the standard normal)."""
    return axes.plot(lambda x: float(normal_density(x, mean, std)), x_range=[*x_range, 0.02],
                     color=color, stroke_width=stroke_width)


def linear_c2p(axes, x, y) -> np.ndarray:
    """Screen points (N, 3) of coordinates x, y (N,) on linear `axes`: one affine map, taken from where
    the axes stand now, instead of a c2p call per point."""
    o, ex, ey = (np.asarray(axes.c2p(*c)) for c in ((0, 0), (1, 0), (0, 1)))
    return o + np.outer(x, ex - o) + np.outer(y, ey - o)


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
                  x_step: int | None = None, font_size: int = style.TICK_SIZE):
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

"""Pixel images of tensors: one ImageMobject per array or mosaic, nearest-neighbour resampled (never
thousands of Squares), so heavy grids render fast and stay crisp."""
from __future__ import annotations

import numpy as np
from manim import DOWN, RESAMPLING_ALGORITHMS, Group, ImageMobject, Rectangle, SurroundingRectangle

from . import style


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


def pixel_image(array, height: float = 2.0, vmin: float = -1.0, vmax: float = 1.0,
                data_scale: int = 1) -> ImageMobject:
    """A 2D array (H, W) of values, or a uint8 mosaic, as a crisp ImageMobject of the given height.
    `data_scale`: array pixels per data pixel (a `tile` mosaic's `scale`), read by the layout audit."""
    a = np.asarray(array)
    pix = a if a.dtype == np.uint8 else to_gray_uint8(a, vmin, vmax)
    img = ImageMobject(pix)
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
    img.height = height
    img.data_scale = data_scale
    img.tile_shape = tuple(np.asarray(array).shape[:2]) if data_scale == 1 else None   # set by image_grid
    return img


def image_grid(images, rows: int, cols: int, height: float = 4.0, vmin=-1.0, vmax=1.0, scale: int = 4) -> ImageMobject:
    """N images (N, H, W) as one ImageMobject mosaic."""
    img = pixel_image(tile(images, rows, cols, scale=scale, vmin=vmin, vmax=vmax), height=height, data_scale=scale)
    img.tile_shape = tuple(np.asarray(images).shape[1:3])
    return img


def framed(mob, color, buff: float = 0.04):
    """The mobject with a thin coloured frame around it (a Group, so it works with images)."""
    return Group(mob, SurroundingRectangle(mob, color=color, buff=buff, stroke_width=2))


def known_box(tile, color=style.FIXED) -> Rectangle:
    """A frame around the known (top) half of a square tile (inpainting)."""
    return Rectangle(width=tile.width, height=tile.height / 2, color=color, stroke_width=3).move_to(
        tile.get_top() + DOWN * tile.height / 4)

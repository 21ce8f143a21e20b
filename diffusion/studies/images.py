"""A user's own image for the scenes: load, crop, convert to a grayscale array in [-1, 1].

Every failure (missing file, not an image, bad crop box) raises `ImageError` with a one-line
message, so the scene command can print it and stop before rendering anything.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

DEFAULT_NAME = "china.jpg"                 # ships with scikit-learn, works offline
DEFAULT_CROP = (30, 20, 350, 350)          # the pagoda, a square box in the 640x427 photo


class ImageError(ValueError):
    """A user image that cannot be used; the message is one line, meant for stderr."""


def parse_crop(text: str | None):
    """'x,y,w,h' (pixels of the original image) -> (x, y, w, h) ints, or None for an empty value."""
    if text is None or not str(text).strip():
        return None
    parts = [p.strip() for p in str(text).split(",")]
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise ImageError(f"CROP must be four integers x,y,w,h, got {text!r}") from None
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        raise ImageError(f"CROP box {text!r} needs x, y >= 0 and w, h > 0")
    return x, y, w, h


def _open_rgb(path: str | os.PathLike | None) -> np.ndarray:
    """The image at `path` (or the default photo) as an (H, W, 3) uint8 array."""
    if path is None or str(path) == "":
        from sklearn.datasets import load_sample_image

        return np.asarray(load_sample_image(DEFAULT_NAME))
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.exists():
        raise ImageError(f"image file not found: {p}")
    if not p.is_file():
        raise ImageError(f"not a file: {p}")
    try:
        with Image.open(p) as im:
            im.load()
            return np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"not a readable image: {p} ({type(e).__name__})") from None


def to_grayscale(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma in [0, 1] (float64)."""
    rgb = np.asarray(rgb, dtype=np.float64) / 255.0
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def load_image(path=None, crop=None, size: int = 32) -> np.ndarray:
    """A (size, size) float64 array in [-1, 1].

    path: an image file (anything Pillow reads); None means scikit-learn's china.jpg with the
    default pagoda crop. crop: (x, y, w, h) in pixels of the original image, must lie inside it.
    A non-square box is centre-cropped to a square before resizing (area averaging).
    """
    from PIL import Image

    if not isinstance(size, int) or size < 4:
        raise ImageError(f"size must be an integer >= 4, got {size!r}")
    rgb = _open_rgb(path)
    H, W = rgb.shape[:2]
    if crop is None and (path is None or str(path) == ""):
        crop = DEFAULT_CROP
    if crop is not None:
        x, y, w, h = crop
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > W or y + h > H:
            raise ImageError(f"crop box x={x},y={y},w={w},h={h} lies outside the {W}x{H} image")
        rgb = rgb[y:y + h, x:x + w]
    h, w = rgb.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    gray = to_grayscale(rgb[top:top + s, left:left + s])
    im = Image.fromarray((gray * 255).round().astype(np.uint8), mode="L")
    im = im.resize((size, size), Image.Resampling.BOX if s >= size else Image.Resampling.BICUBIC)
    return np.asarray(im, dtype=np.float64) / 255.0 * 2 - 1


def image_from_env(size: int = 32, environ=None) -> np.ndarray:
    """load_image with IMAGE and CROP from the environment (what `make render IMAGE=... CROP=...` sets)."""
    env = os.environ if environ is None else environ
    path = env.get("IMAGE") or None
    return load_image(path, parse_crop(env.get("CROP")), size)


def describe_source(environ=None) -> str:
    """A short caption naming where the image came from."""
    env = os.environ if environ is None else environ
    path = env.get("IMAGE")
    return Path(path).name if path else f"scikit-learn's {DEFAULT_NAME}"

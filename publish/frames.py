"""Whether a frame rendered at a higher quality shows the same picture as the 480p one.

The high frame is scaled down to the low one's size (box filter). "Ink" is a pixel more than 40 grey levels
from the background (the low frame's median); the ink must cover the same share of the frame (within
15 %), the pixels where only one of the two has ink must stay under 25 % of the ink, and the mean
grey-level difference under 6. A drawing sized in pixels of the 480p frame (a text, a stroke, an image)
fails these.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

BOUNDS = dict(ink_share=0.15, ink_xor=0.25, mean_diff=6.0)
MIN_INK = 0.005        # at least 0.5 % of the frame drawn, or the comparison says nothing


def compare(low: np.ndarray, high: np.ndarray) -> dict:
    """Grey-level frames (2D arrays) -> ink share of the low frame and the three figures BOUNDS holds."""
    down = np.asarray(Image.fromarray(high.astype(np.uint8)).resize(low.shape[::-1], Image.Resampling.BOX),
                      dtype=np.float64)
    bg = np.median(low)
    ink_low, ink_high = np.abs(low - bg) > 40, np.abs(down - bg) > 40
    ink = max(ink_low.mean(), 1e-9)
    return dict(ink=round(float(ink_low.mean()), 4), ink_share=round(abs(ink_low.mean() - ink_high.mean()) / ink, 3),
                ink_xor=round((ink_low ^ ink_high).mean() / ink, 3),
                mean_diff=round(float(np.abs(low - down).mean()), 2))


def same_picture(m: dict) -> bool:
    """compare()'s figures within BOUNDS, on a frame with enough ink to say something."""
    return m["ink"] >= MIN_INK and all(m[k] < b for k, b in BOUNDS.items())

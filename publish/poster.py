"""The poster: the frame a reader sees before pressing play. It is taken from a beat's settled end
state (the last frame of a beat, the moment before the next beat's narration starts), never from the
middle of a transition:

- the scene names the beat (`poster_beat`, an index into its beats, negative from the end), or
- the richest settled beat end: of the beats whose last frame equals the frame STABLE_S earlier (the
  picture had stopped moving), the one that covers most of the frame (pixels away from the background).
A scene's explicit `poster_time` (seconds) still wins, for a picture no beat ends on.
"""
from __future__ import annotations

import math

import numpy as np

STABLE_S = 0.4           # a settled beat end looks the same this long before it
STABLE_DIFF = 0.002      # share of (4x subsampled) pixels that may differ by more than 30 levels


def content(rgb: np.ndarray, bg: np.ndarray) -> float:
    """Share of pixels that differ from the background (on a 4x subsampled frame)."""
    small = rgb[::4, ::4].astype(np.int16)
    return float((np.abs(small - bg).sum(-1) > 30).mean())


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """Share of (4x subsampled) pixels that differ by more than 30 grey levels between two frames."""
    return float((np.abs(a[::4, ::4].astype(np.int16) - b[::4, ::4]).sum(-1) > 30).mean())


class PosterPicker:
    """Fed every decoded frame (index, rgb) in order; `wants(i)` says which need their pixels."""

    def __init__(self, fps: float, bg: np.ndarray, beat_ends=(), poster_beat: int | None = None,
                 poster_time: float | None = None):
        self.fps, self.bg, self.poster_time = fps, bg, poster_time
        # the last frame of each beat: the one shown just before the beat's end
        self.ends = sorted({max(0, math.ceil(e * fps - 1e-6) - 1) for e in beat_ends})
        if poster_beat is not None:
            if not -len(self.ends) <= poster_beat < len(self.ends):
                raise ValueError(f"poster_beat {poster_beat} out of range: the video has {len(self.ends)} beats")
            self.ends = [self.ends[poster_beat]]
        self.chosen_beat = poster_beat
        self.back = max(1, round(STABLE_S * fps))
        self.earlier = {}                    # frame index -> pixels, for the STABLE_S-earlier frames
        self.best = None                     # (settled, score, index, rgb)
        self.fallback = (-1.0, None, None)   # the fullest frame every 0.5 s (no beats known)
        self.last = None

    def wants(self, i: int) -> bool:
        if self.poster_time is not None:
            return self.best is None and (i + 1) / self.fps > self.poster_time
        if not self.ends:
            return i % max(1, round(self.fps / 2)) == 0
        return i in self.ends or (i + self.back) in self.ends

    def feed(self, i: int, rgb: np.ndarray) -> None:
        self.last = (i, rgb)
        if self.poster_time is not None:
            if self.best is None and (i + 1) / self.fps > self.poster_time:
                self.best = (True, 0.0, i, rgb)
            return
        if not self.ends:
            score = content(rgb, self.bg)
            if score > self.fallback[0]:
                self.fallback = (score, i, rgb)
            return
        if (i + self.back) in self.ends:
            self.earlier[i + self.back] = rgb
        if i in self.ends:
            before = self.earlier.pop(i, None)
            settled = before is not None and changed(before, rgb) <= STABLE_DIFF
            key = (settled or self.chosen_beat is not None, content(rgb, self.bg))
            if self.best is None or key > self.best[:2]:
                self.best = (*key, i, rgb)

    def result(self) -> tuple[np.ndarray, dict]:
        if self.best is not None:
            settled, score, i, rgb = self.best
            how = ("poster_time" if self.poster_time is not None else
                   "poster_beat" if self.chosen_beat is not None else "richest settled beat end" if settled
                   else "richest beat end (none settled)")
        elif self.fallback[2] is not None:
            _, i, rgb = self.fallback
            how = "fullest frame (no beats)"
        else:                                 # poster_time beyond the end: the last frame
            i, rgb = self.last
            how = "last frame"
        return rgb, dict(poster_frame=int(i), poster_seconds=round(i / self.fps, 3), poster_choice=how)

"""The poster: the frame a reader sees before pressing play. It is a beat's settled end state, never a
frame in the middle of a transition:

- frames are sampled every SAMPLE_S; a sample is settled when it equals the sample STABLE_S earlier
  (the picture had stopped moving);
- a beat's settled end state is its last settled sample (a beat that ends by fading its picture out
  still has the full picture from before the fade);
- the poster is the end state of the beat the scene names (`poster_beat`, an index into its beats,
  negative from the end), else of the beat whose end state covers most of the frame (pixels away from
  the background): the scene's richest picture.
A scene's explicit `poster_time` (seconds) still wins, for a picture no beat settles on.
"""
from __future__ import annotations

import math

import numpy as np

SAMPLE_S = 0.2           # how often frames are compared
STABLE_S = 0.4           # a settled frame looks the same this long before it
STABLE_DIFF = 0.002      # share of (4x subsampled) pixels that may differ by more than 30 levels


def content(rgb: np.ndarray, bg: np.ndarray) -> float:
    """Share of pixels that differ from the background (on a 4x subsampled frame)."""
    small = rgb[::4, ::4].astype(np.int16)
    return float((np.abs(small - bg).sum(-1) > 30).mean())


def changed(a: np.ndarray, b: np.ndarray) -> float:
    """Share of (4x subsampled) pixels that differ by more than 30 grey levels between two frames."""
    return float((np.abs(a[::4, ::4].astype(np.int16) - b[::4, ::4]).sum(-1) > 30).mean())


class PosterPicker:
    """Fed decoded frames (index, rgb) in order; `wants(i)` says which frames it needs."""

    def __init__(self, fps: float, bg: np.ndarray, beat_ends=(), poster_beat: int | None = None,
                 poster_time: float | None = None):
        self.fps, self.bg, self.poster_time, self.poster_beat = fps, bg, poster_time, poster_beat
        self.step = max(1, round(fps * SAMPLE_S))
        self.back = max(1, round(STABLE_S * fps / self.step)) * self.step       # frames, a multiple of step
        # the last frame of each beat: the one shown just before the next beat starts
        self.ends = sorted({max(0, math.ceil(e * fps - 1e-6) - 1) for e in beat_ends})
        if poster_beat is not None and not -len(self.ends) <= poster_beat < len(self.ends):
            raise ValueError(f"poster_beat {poster_beat} out of range: the video has {len(self.ends)} beats")
        self.samples = {}                    # frame index -> rgb of the last few samples
        self.beat = 0
        self.settled = None                  # (index, rgb): the current beat's last settled sample
        self.states = []                     # per beat: its settled end state (index, rgb) or None
        self.timed = None
        self.last = None

    def wants(self, i: int) -> bool:
        if self.poster_time is not None:
            return self.timed is None and (i + 1) / self.fps > self.poster_time
        return i % self.step == 0

    def _close_beats(self, i: int) -> None:
        while self.beat < len(self.ends) and i > self.ends[self.beat]:
            self.states.append(self.settled)
            self.settled, self.beat = None, self.beat + 1

    def feed(self, i: int, rgb: np.ndarray) -> None:
        self.last = (i, rgb)
        if self.poster_time is not None:
            if self.timed is None:
                self.timed = (i, rgb)
            return
        self._close_beats(i)
        before = self.samples.get(i - self.back)
        if before is not None and changed(before, rgb) <= STABLE_DIFF:
            self.settled = (i, rgb)
            if not self.ends:                # no beats known: the richest settled sample
                self.states = [max([s for s in self.states if s] + [self.settled],
                                   key=lambda s: content(s[1], self.bg))]
        self.samples[i] = rgb
        for k in [k for k in self.samples if k <= i - self.back]:
            del self.samples[k]

    def result(self) -> tuple[np.ndarray, dict]:
        if self.timed is not None:
            i, rgb = self.timed
            return rgb, dict(poster_frame=int(i), poster_seconds=round(i / self.fps, 3), poster_choice="poster_time")
        if self.ends:
            self._close_beats(self.ends[-1] + 1)
        states = self.states
        if self.poster_beat is not None:
            beat = range(len(states))[self.poster_beat]
            chosen, how = states[beat], f"poster_beat {self.poster_beat}: its settled end state"
        else:
            scored = [(content(s[1], self.bg), b) for b, s in enumerate(states) if s is not None]
            beat = max(scored)[1] if scored else None
            chosen = states[beat] if scored else None
            how = (f"richest settled beat end (beat {beat})" if self.ends else "richest settled frame") if scored else ""
        if chosen is None:                    # nothing ever settled: the last frame
            chosen, how = self.last, "last frame (nothing settled)"
        i, rgb = chosen
        return rgb, dict(poster_frame=int(i), poster_seconds=round(i / self.fps, 3), poster_choice=how)

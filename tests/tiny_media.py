"""Tiny synthetic videos and subtitles for tests of the publishing pipeline (no render needed):
H.264 yuv420p MP4s as manim writes them, a few frames of a few pixels each."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def tiny_video(path: Path, frames: int, fps: int = 15, size=(64, 36), shade: int = 0, codec: str = "libx264",
               options: dict | None = None) -> Path:
    """`frames` frames; frame i is a flat grey of (shade + 8 i) % 256 with a white bar at x = i % width,
    so every frame differs from its neighbours and from other videos' (other shade)."""
    w, h = size
    arrays = []
    for i in range(frames):
        a = np.full((h, w, 3), (shade + 8 * i) % 256, np.uint8)
        a[:, i % w] = 255
        arrays.append(a)
    return video_of(path, arrays, fps, codec, options or {"crf": "23"})


def video_of(path: Path, arrays, fps: int = 15, codec: str = "libx264", options: dict | None = None) -> Path:
    """A yuv420p video of the given (H, W, 3) uint8 RGB frames, frame i at time i / fps."""
    h, w = arrays[0].shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=fps, options=options or {})
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i, a in enumerate(arrays):
            f = av.VideoFrame.from_ndarray(a, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, fps)
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    return path


def tiny_srt(path: Path, cues: list[tuple[float, float, str]]) -> Path:
    from publish.subtitles import Cue, to_srt
    path.write_text(to_srt([Cue(a, b, t) for a, b, t in cues]), encoding="utf-8")
    return path

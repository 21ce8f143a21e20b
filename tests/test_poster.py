"""Posters come from a beat's settled end state, never from a transition: on frames where the
fullest picture is mid cross-fade, the picker takes the richest beat end that had stopped moving,
or the beat the scene names."""
from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from publish.poster import PosterPicker, changed, content  # noqa: E402
from tiny_media import video_of  # noqa: E402

FPS, H, W = 15, 48, 64
BG = np.array([20, 22, 28], dtype=np.int16)


def storyboard() -> tuple[list[np.ndarray], list[float]]:
    """Beat 1 (0-1 s): a small square, settled. Beat 2 (1-2 s): a cross-fade to a big picture, still
    moving when the beat ends, and fuller than anything settled. Beat 3 (2-3 s): a medium picture,
    settled for its last half second. Beat 4 (3-4 s): the richest settled picture, faded out in the
    beat's last third (its last frame is empty). Returns frames and beat ends."""
    frames = []
    for i in range(4 * FPS):
        a = np.tile(BG.astype(np.uint8), (H, W, 1))
        if i < FPS:
            a[20:28, 28:36] = 230
        elif i < 2 * FPS:                       # the fade: more and more rows light up, to the end
            k = i - FPS + 1
            a[: 3 * k, :] = (40 + 12 * k) % 256
        elif i < 3 * FPS:
            a[10:38, 10:54] = 200
            if i < 2 * FPS + 5:                 # still arriving in the beat's first third
                a[10:38, 10 + (i - 2 * FPS) * 8:54] = BG.astype(np.uint8)
        else:
            fade = max(0, i - (4 * FPS - 5))    # the last 5 frames fade it out, row block by row block
            a[4 + 10 * fade:44, 4:60] = 180
        frames.append(a)
    return frames, [1.0, 2.0, 3.0, 4.0]


def pick(frames, ends, **kw):
    p = PosterPicker(FPS, BG, ends, **kw)
    for i, f in enumerate(frames):
        if p.wants(i):
            p.feed(i, f)
    p.last = (len(frames) - 1, frames[-1])
    return p.result()


def is_transition(frames, i) -> bool:
    """The frame differs from the one STABLE_S earlier: something was still moving."""
    return changed(frames[max(0, i - 6)], frames[i]) > 0.002


def test_richest_settled_beat_end_not_the_fullest_frame():
    frames, ends = storyboard()
    fullest = max(range(len(frames)), key=lambda i: content(frames[i], BG))
    assert is_transition(frames, fullest)                  # the old rule would pick a fading frame
    rgb, info = pick(frames, ends)
    assert info["poster_choice"] == "richest settled beat end (beat 3)"
    assert 3 * FPS <= info["poster_frame"] < 4 * FPS - 5                 # before the fade-out
    assert np.array_equal(rgb, frames[4 * FPS - 6]) and not is_transition(frames, info["poster_frame"])
    assert content(frames[-1], BG) == 0                                   # the beat's very last frame is empty


def test_the_scene_names_its_poster_beat():
    frames, ends = storyboard()
    rgb, info = pick(frames, ends, poster_beat=0)
    assert info["poster_frame"] < FPS and np.array_equal(rgb, frames[FPS - 1])
    rgb, info = pick(frames, ends, poster_beat=-2)                       # the medium picture, settled
    assert 2 * FPS + 5 < info["poster_frame"] < 3 * FPS and np.array_equal(rgb, frames[3 * FPS - 1])
    with pytest.raises(ValueError, match="out of range"):
        PosterPicker(FPS, BG, ends, poster_beat=4)


def test_blog_poster_of_an_encoded_video_is_a_settled_frame(tmp_path):
    from publish import video
    frames, ends = storyboard()
    src = video_of(tmp_path / "story.mp4", frames, FPS, options={"crf": "18"})
    info = video.export_derived(src, tmp_path / "s.webm", tmp_path / "s.gif", tmp_path / "s.png", "#14161c",
                                beat_ends=ends)
    assert 3 * FPS <= info["poster_frame"] < 4 * FPS - 5
    with Image.open(tmp_path / "s.png") as im:
        poster = np.asarray(im.convert("RGB"))
    with av.open(str(src)) as c:
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    earlier, later_in_fade = decoded[info["poster_frame"] - 6], decoded[2 * FPS - 1]
    assert changed(poster, earlier) <= 0.002               # the picture had stopped moving
    assert changed(poster, later_in_fade) > 0.2             # and it is not the fading frame

"""The same export twice gives the same bytes: the blog's WebM, GIF and poster, and the film's WebM part
(the WebM muxer writes a random segment ID unless it is told to be bit-exact)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tiny_media import tiny_video  # noqa: E402

from publish import film, video  # noqa: E402


def test_blog_exports_twice_are_byte_identical(tmp_path):
    src = tiny_video(tmp_path / "scene.mp4", 20)
    outs = []
    for run in ("a", "b"):
        names = [tmp_path / f"{run}.webm", tmp_path / f"{run}.gif", tmp_path / f"{run}.png"]
        video.export_derived(src, *names, "#14161c")
        outs.append([p.read_bytes() for p in names])
    assert outs[0] == outs[1]


def test_film_webm_parts_twice_are_byte_identical(tmp_path):
    src = tiny_video(tmp_path / "scene.mp4", 20)
    film.part_webm(src, tmp_path / "a.webm")
    film.part_webm(src, tmp_path / "b.webm")
    assert (tmp_path / "a.webm").read_bytes() == (tmp_path / "b.webm").read_bytes()

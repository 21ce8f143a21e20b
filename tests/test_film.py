"""The film of the series, on tiny synthetic parts (no render): its length is the sum of its parts
within a frame per joint, every part's frames sit at its start, chapters begin on their cards, and
every scene's subtitles are shifted by exactly its start."""
from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tiny_media import tiny_srt, tiny_video  # noqa: E402

from publish import film  # noqa: E402
from publish.subtitles import parse_srt, parse_vtt  # noqa: E402

FPS = 15
# (kind, name, chapter, frames, shade, cues)
LAYOUT = [("card", "Chapter01", 1, 15, 200, None),
          ("scene", "Alpha", 1, 31, 40, [(0.0, 0.8, "alpha one"), (0.8, 2.0, "alpha two")]),
          ("scene", "Beta", 1, 22, 80, [(0.1, 1.4, "beta one")]),
          ("card", "Chapter02", 2, 15, 120, None),
          ("scene", "Gamma", 2, 17, 160, [(0.0, 0.5, "gamma one"), (0.5, 5.0, "gamma runs past its end")])]


def make_parts(tmp: Path, size=(64, 36), odd_size_of: str | None = None) -> list:
    parts = []
    for kind, name, ch, frames, shade, cues in LAYOUT:
        v = tiny_video(tmp / "src" / f"{name}.mp4", frames, FPS, (48, 36) if name == odd_size_of else size, shade)
        srt = tiny_srt(v.with_suffix(".srt"), cues) if cues else None
        parts.append(film.Part(kind, name, ch, f"Title {ch}" if kind == "card" else name, v, srt))
    return parts


def decoded(path: Path) -> list[tuple[float, float]]:
    """(time, mean grey of the frame's left column excluding the bar) per decoded frame."""
    with av.open(str(path)) as c:
        return [(float(f.time), float(f.to_ndarray(format="rgb24")[:, -1].mean())) for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("film")
    parts = make_parts(tmp)
    return parts, film.assemble(parts, tmp / "out"), tmp / "out"


def test_film_length_is_the_sum_of_its_parts(built):
    parts, result, out = built
    total = sum(Fraction(f, FPS) for *_, f, _, _ in [(k, n, c, fr, s, q) for k, n, c, fr, s, q in LAYOUT])
    assert result["stream_copy"] and result["reencode_reason"] is None
    frames = decoded(out / "film.mp4")
    assert len(frames) == sum(l[3] for l in LAYOUT)
    with av.open(str(out / "film.mp4")) as c:
        seconds = float(c.duration / av.time_base)
    joints = len(LAYOUT) - 1
    assert abs(seconds - float(total)) <= joints / FPS                     # within a frame per joint
    assert abs(result["seconds"] - float(total)) < 1e-3
    times = [t for t, _ in frames]
    assert all(b > a for a, b in zip(times, times[1:]))                  # one frame after another


def test_every_part_starts_where_the_previous_ends_on_its_own_frames(built):
    parts, result, out = built
    frames = decoded(out / "film.mp4")
    start = 0
    for (kind, name, ch, n, shade, _), placed in zip(LAYOUT, result["parts"]):
        assert placed["name"] == name and placed["start"] == pytest.approx(start / FPS, abs=1e-4)
        t, grey = frames[start]
        assert t == pytest.approx(start / FPS, abs=0.5 / FPS)
        # frame i of a part is grey (shade + 8 i): the first and last frames of this part, in place
        assert grey == pytest.approx(shade % 256, abs=6), (name, grey)
        assert frames[start + n - 1][1] == pytest.approx((shade + 8 * (n - 1)) % 256, abs=6), name
        start += n


def test_chapters_start_on_their_cards(built):
    parts, result, out = built
    cards = [p for p in result["parts"] if p["kind"] == "card"]
    chapters = parse_vtt((out / "film-chapters.vtt").read_text())
    assert [c.start for c in chapters] == pytest.approx([c["start"] for c in cards], abs=1e-3)
    assert [c.text for c in chapters] == ["1. Title 1", "2. Title 2"]
    assert chapters[0].end == pytest.approx(cards[1]["start"], abs=1e-3)          # chapter 1 ends at card 2
    assert chapters[-1].end == pytest.approx(result["seconds"], abs=1e-3)
    assert (out / "chapters.txt").read_text().splitlines() == ["0:00 1. Title 1", "0:04 2. Title 2"]
    frames = decoded(out / "film.mp4")
    for c, (kind, name, ch, n, shade, _) in zip(chapters, [l for l in LAYOUT if l[0] == "card"]):
        i = round(c.start * FPS)
        assert frames[i][1] == pytest.approx(shade, abs=6)                         # the card's own frame


def test_subtitles_are_in_sync_at_every_joint(built):
    parts, result, out = built
    srt = parse_srt((out / "film.srt").read_text())
    assert srt == parse_vtt((out / "film.vtt").read_text())
    placed = {p["name"]: p for p in result["parts"]}
    expected = []
    for kind, name, ch, n, shade, cues in LAYOUT:
        for a, b, text in cues or []:
            s, e = placed[name]["start"], placed[name]["end"]
            expected.append((round(s + a, 3), round(min(s + b, e), 3), text))
    assert [(c.start, c.end, c.text) for c in srt] == [(pytest.approx(a, abs=2e-3), pytest.approx(b, abs=2e-3), t)
                                                      for a, b, t in expected]
    assert all(a.end <= b.start + 1e-6 for a, b in zip(srt, srt[1:]))      # a long cue stops at its scene's end


def test_webm_has_the_same_frames_and_length(built):
    parts, result, out = built
    mp4, webm = decoded(out / "film.mp4"), decoded(out / "film.webm")
    assert len(webm) == len(mp4)
    assert [t for t, _ in webm] == pytest.approx([t for t, _ in mp4], abs=1e-3)
    with av.open(str(out / "film.webm")) as c:
        assert c.streams.video[0].codec_context.name == "vp9"
    page = (out / "index.html").read_text()
    assert '<track kind="chapters" src="film-chapters.vtt"' in page and 'src="film.webm"' in page


def test_second_build_redoes_nothing_and_a_changed_part_is_redone(built, tmp_path, monkeypatch):
    parts, result, out = built
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    calls = []
    for fn in ("concat_copy", "concat_reencode", "part_webm"):
        monkeypatch.setattr(film, fn, lambda *a, _fn=fn, **k: calls.append(_fn))
    again = film.assemble(parts, out)
    assert not again["rebuilt"] and calls == []
    assert {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes
    monkeypatch.undo()
    tiny_video(parts[2].video, 22, FPS, (64, 36), 90)        # Beta changed: film and Beta's WebM redone
    encoded = []
    real = film.part_webm
    monkeypatch.setattr(film, "part_webm", lambda s, d: (encoded.append(s.stem), real(s, d)))
    assert film.assemble(parts, out)["rebuilt"] and encoded == ["Beta"]


def test_parts_that_differ_are_reencoded_and_say_why(tmp_path):
    parts = make_parts(tmp_path, odd_size_of="Gamma")
    result = film.assemble(parts, tmp_path / "out", webm=False)
    assert not result["stream_copy"] and "Gamma" in result["reencode_reason"] and "width" in result["reencode_reason"]
    frames = decoded(tmp_path / "out" / "film.mp4")
    assert len(frames) == sum(l[3] for l in LAYOUT)
    assert json.loads((tmp_path / "out" / "film.json").read_text())["reencode_reason"] == result["reencode_reason"]


def test_a_scene_whose_blog_webm_is_up_to_date_is_not_encoded_again(tmp_path, monkeypatch):
    from publish import blog
    from publish.manifest import Manifest
    parts = make_parts(tmp_path)
    alpha = parts[1]
    blog.export_files(alpha.name, alpha.video, tmp_path / "blog", None, Manifest(tmp_path / "blog" / blog.MANIFEST))
    encoded = []
    real = film.part_webm
    monkeypatch.setattr(film, "part_webm", lambda s, d: (encoded.append(s.stem), real(s, d)))
    film.assemble(parts, tmp_path / "out", blog=tmp_path / "blog")
    assert "Alpha" not in encoded and len(encoded) == len(parts) - 1
    assert (tmp_path / "out" / "parts" / "Alpha.webm").read_bytes() == (tmp_path / "blog" / "Alpha.webm").read_bytes()
    assert len(decoded(tmp_path / "out" / "film.webm")) == sum(l[3] for l in LAYOUT)


def test_gallery_shows_the_film_with_its_chapters_track_and_links_the_deck(built):
    from publish.blog import series_block
    parts, result, out = built
    html = series_block(result, dict(slides=9), "../film", "../lecture")
    assert '<track kind="chapters" src="../film/film-chapters.vtt"' in html
    assert '<track kind="captions" src="../film/film.vtt"' in html and 'src="../film/film.webm"' in html
    assert 'href="../lecture/lecture.html"' in html and 'href="../lecture/lecture.pdf"' in html
    assert "0:04 Title 2" in html                               # the chapter list with its timestamps
    assert series_block(None, None, "../film", "../lecture") == ""       # nothing built: no section

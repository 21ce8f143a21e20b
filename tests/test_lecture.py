"""The lecture deck: manim-slides' multi-scene conversion, on tiny synthetic presentations (no
render). Checks the known multi-scene pitfalls: clips of different scenes with the same file name
(each gets its own prefix, none overwrites another) and slide order (series order, every slide's
clip the right one), offline HTML (vendored reveal.js) and one PDF page per slide."""
from __future__ import annotations

import filecmp
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tiny_media import tiny_video  # noqa: E402

from publish import lecture  # noqa: E402

# (presentation, slides); two scenes reuse clip names ("0001.mp4") as manim's hash names may
DECKS = [("Chapter01", 1), ("Alpha", 3), ("Beta", 2), ("Chapter02", 1), ("Gamma", 2)]


def write_deck(root: Path, name: str, slides: int, shade: int) -> Path:
    from manim_slides.config import PresentationConfig, SlideConfig
    folder = root / name / "slides"
    configs = []
    for k in range(slides):
        clip = tiny_video(folder / "files" / name / f"{k + 1:04d}.mp4", 4 + k, shade=shade + 20 * k)
        configs.append(SlideConfig(file=clip, rev_file=clip, notes=f"{name} beat {k + 1}"))
    (folder / f"{name}.json").write_text(PresentationConfig(slides=configs, resolution=(64, 36)).model_dump_json())
    return folder


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lecture")
    decks = [(n, write_deck(tmp / "src", n, k, 10 * i)) for i, (n, k) in enumerate(DECKS)]
    return decks, lecture.assemble(decks, tmp / "out"), tmp / "out"


def sections(html: str) -> list[tuple[str, str]]:
    """(clip path, speaker notes) of every slide, in deck order."""
    return re.findall(r'<section[^>]*data-background-video="([^"]+)".*?<aside class="notes"[^>]*>(.*?)</aside>',
                      html, re.S)


def test_one_slide_per_beat_in_series_order(deck):
    decks, result, out = deck
    assert result["slides"] == sum(k for _, k in DECKS)
    assert [p["name"] for p in result["presentations"]] == [n for n, _ in DECKS]
    slides = sections((out / "lecture.html").read_text())
    assert [notes.strip() for _, notes in slides] == [f"{n} beat {k + 1}" for n, m in DECKS for k in range(m)]


def test_every_slide_plays_its_own_clip(deck):
    decks, result, out = deck
    slides = sections((out / "lecture.html").read_text())
    expected = [folder / "files" / n / f"{k + 1:04d}.mp4" for n, folder in decks
                for k in range(dict(DECKS)[n])]
    paths = [out / p for p, _ in slides]
    assert len(set(paths)) == len(paths)                     # same clip names, distinct assets (prefixes)
    for got, want in zip(paths, expected):
        assert got.exists() and filecmp.cmp(got, want, shallow=False), (got, want)


def test_deck_is_offline_and_pdf_has_a_page_per_slide(deck):
    decks, result, out = deck
    html = (out / "lecture.html").read_text()
    assert not re.search(r'(src|href)="https?://', html)
    assert 'src="reveal.js/dist/reveal.js"' in html and (out / "reveal.js" / "dist" / "reveal.js").exists()
    pdf = (out / "lecture.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == result["slides"]


def test_second_build_converts_nothing(deck, monkeypatch):
    decks, result, out = deck
    from publish import slides
    monkeypatch.setattr(slides, "convert", lambda *a, **k: pytest.fail("converted again"))
    assert not lecture.assemble(decks, out)["rebuilt"]
    # a changed clip (a scene rendered anew) is converted again
    monkeypatch.undo()
    clip = decks[1][1] / "files" / "Alpha" / "0002.mp4"
    tiny_video(clip, 9, shade=200)
    assert lecture.assemble(decks, out)["rebuilt"]
    assert filecmp.cmp(out / sections((out / "lecture.html").read_text())[2][0], clip, shallow=False)
    assert json.loads((out / "lecture.json").read_text())["slides"] == result["slides"]

"""Publishing redoes only what is out of date: a second export of unchanged videos re-encodes
nothing, a changed video is exported again, and a fresh render is not rendered again."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tiny_media import tiny_srt, tiny_video  # noqa: E402

from publish import blog, video  # noqa: E402
from publish.manifest import Manifest  # noqa: E402


@pytest.fixture
def counted(monkeypatch):
    """Counts the encoder calls of the blog export (MP4 remux, WebM/GIF/poster encode)."""
    calls = []
    for fn in ("export_mp4", "export_derived"):
        real = getattr(video, fn)

        def wrapped(*a, _real=real, _fn=fn, **k):
            calls.append(_fn)
            return _real(*a, **k)
        monkeypatch.setattr(video, fn, wrapped)
    return calls


def export(src, out):
    return blog.export_files("Tiny", src, out, None, Manifest(out / blog.MANIFEST))


def test_second_export_of_an_unchanged_video_encodes_nothing(tmp_path, counted):
    src = tiny_video(tmp_path / "src" / "Tiny.mp4", 20)
    tiny_srt(src.with_suffix(".srt"), [(0.0, 0.6, "one"), (0.6, 1.3, "two")])
    out = tmp_path / "blog"
    first = export(src, out)
    assert first["reencoded"] and counted == ["export_mp4", "export_derived"]
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("Tiny.*")}
    assert len(stamps) == 6
    counted.clear()
    second = export(src, out)
    assert not second["reencoded"] and counted == []
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("Tiny.*")} == stamps     # no file rewritten
    assert {k: v for k, v in second.items() if k not in ("reencoded", "export_seconds")} == \
        {k: v for k, v in first.items() if k not in ("reencoded", "export_seconds")}
    # a re-render that wrote the same bytes (new mtime) is still up to date: keyed on content
    os.utime(src, ns=(src.stat().st_atime_ns, src.stat().st_mtime_ns + 10**9))
    assert not export(src, out)["reencoded"] and counted == []


def test_changed_video_subtitles_or_missing_output_is_exported_again(tmp_path, counted):
    src = tiny_video(tmp_path / "src" / "Tiny.mp4", 20)
    tiny_srt(src.with_suffix(".srt"), [(0.0, 1.0, "one")])
    out = tmp_path / "blog"
    export(src, out)
    tiny_video(src, 20, shade=100)                       # other frames: a changed scene
    counted.clear()
    assert export(src, out)["reencoded"] and counted == ["export_mp4", "export_derived"]
    tiny_srt(src.with_suffix(".srt"), [(0.0, 1.0, "changed words")])
    assert export(src, out)["reencoded"]
    assert "changed words" in (out / "Tiny.vtt").read_text()
    (out / "Tiny.gif").unlink()                          # an output deleted by hand is made again
    assert export(src, out)["reencoded"] and (out / "Tiny.gif").exists()
    manifest = json.loads((out / blog.MANIFEST).read_text())
    assert set(manifest["items"]["Tiny"]["outputs"]) == {f"Tiny.{e}" for e in ("mp4", "webm", "gif", "png", "srt", "vtt")}


def test_fresh_render_is_not_rendered_again(monkeypatch):
    from scenes.kit import freshness, rendering
    from scenes.kit.registry import discover, video_path

    name = "ForwardEquation"
    module, _ = discover()[name]
    out = video_path(module, name, "l")
    slides = freshness.slides_folder(module, name, "l") / f"{name}.json"
    tiny_video(out, 5)
    slides.parent.mkdir(parents=True, exist_ok=True)
    slides.write_text("{}")
    made_from = freshness.inputs("l")
    freshness.write_stamp(module, name, "l", made_from)
    assert freshness.fresh_video(name, "l") == out

    def no_manim(args):
        raise AssertionError("rendered although up to date")
    monkeypatch.setattr(rendering, "run_manim", no_manim)
    monkeypatch.setattr(rendering, "discover", lambda: pytest.fail("imported the scenes although up to date"))
    assert rendering.render(name, "l", if_stale=True) == out
    # other settings, a replaced video or missing slides make it stale
    monkeypatch.setenv("DIFFUSION_PRESET", "other")
    assert freshness.fresh_video(name, "l") is None
    monkeypatch.setenv("DIFFUSION_PRESET", made_from["env"]["DIFFUSION_PRESET"])
    assert freshness.fresh_video(name, "l") == out
    tiny_video(out, 6)
    assert freshness.fresh_video(name, "l") is None
    freshness.write_stamp(module, name, "l", made_from)
    slides.unlink()
    assert freshness.fresh_video(name, "l") is None

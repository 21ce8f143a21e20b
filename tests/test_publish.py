"""Publishing: blog exports are valid files, the gallery works in a real headless Chromium, and
slides build (with offline PDF and HTML). Runs through the same commands users run."""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from publish.subtitles import parse_srt, parse_vtt
from publish.video import GIF_MAX_BYTES, GIF_MAX_WIDTH

ROOT = Path(__file__).resolve().parent.parent
MEDIA = Path(os.environ["SCENES_MEDIA_DIR"])          # set by conftest.py (a temporary directory)
SCENE = "ReverseProcess"


def run(*args, env=None):
    r = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
    return r.stdout


@pytest.fixture(scope="module")
def blog(reverse_process_render):
    run("-m", "publish", "blog", "--quality", "l", "--scenes", SCENE)       # exports the video rendered once
    return MEDIA / "blog"


def probe(path: Path) -> dict:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return dict(codec=s.codec_context.name, pix_fmt=s.codec_context.format.name,
                    width=s.codec_context.width, height=s.codec_context.height,
                    seconds=float(c.duration / av.time_base), format=c.format.name)


def top_level_boxes(path: Path) -> list[str]:
    data, i, boxes = path.read_bytes(), 0, []
    while i + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        if size == 1:
            size = struct.unpack(">Q", data[i + 8:i + 16])[0]
        boxes.append(kind.decode("latin-1"))
        i += size if size else len(data)
    return boxes


def source_video() -> Path:
    return MEDIA / "videos" / "reverse_process" / "480p15" / f"{SCENE}.mp4"


def test_mp4_is_h264_yuv420p_faststart(blog):
    mp4 = blog / f"{SCENE}.mp4"
    info, src = probe(mp4), probe(source_video())
    assert (info["codec"], info["pix_fmt"]) == ("h264", "yuv420p")
    assert (info["width"], info["height"]) == (854, 480)
    assert abs(info["seconds"] - src["seconds"]) < 0.1 and 30 < info["seconds"] < 240   # paced by its narration, as in the render test
    boxes = top_level_boxes(mp4)
    assert "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat"), boxes


def test_webm_is_vp9(blog):
    info, src = probe(blog / f"{SCENE}.webm"), probe(source_video())
    assert info["codec"] == "vp9" and "webm" in info["format"] and info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (854, 480)
    assert abs(info["seconds"] - src["seconds"]) < 0.2
    # it decodes, and the frames are the picture (not black)
    with av.open(str(blog / f"{SCENE}.webm")) as c:
        frames = [f.to_ndarray(format="rgb24") for _, f in zip(range(60), c.decode(video=0))]
    assert len(frames) == 60 and max(f.std() for f in frames) > 10


def test_gif_loops_and_is_bounded(blog):
    path = blog / f"{SCENE}.gif"
    assert path.stat().st_size <= GIF_MAX_BYTES
    with Image.open(path) as g:
        assert g.info["loop"] == 0 and g.is_animated
        assert g.size[0] <= GIF_MAX_WIDTH and g.size[0] / g.size[1] == pytest.approx(854 / 480, rel=0.02)
        durations = []
        for i in range(g.n_frames):
            g.seek(i)
            durations.append(g.info["duration"])
    fps = len(durations) / (sum(durations) / 1000)
    assert fps <= 12
    assert abs(sum(durations) / 1000 - probe(source_video())["seconds"]) < 0.5   # plays in real time


def test_poster_is_a_frame_with_content(blog):
    with Image.open(blog / f"{SCENE}.png") as im:
        assert im.format == "PNG" and im.size == (854, 480)
        a = np.asarray(im.convert("RGB")).astype(int)
    bg = np.array([0x14, 0x16, 0x1C])
    assert (np.abs(a - bg).sum(-1) > 30).mean() > 0.05
    # the scene's chosen beat, at its settled end: the same picture 0.4 s earlier, not a transition
    from publish.poster import changed
    meta = json.loads((blog / "scenes.json").read_text())["scenes"][0]
    assert meta["poster_choice"].startswith("poster_beat 4")
    with av.open(str(source_video())) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    i = meta["poster_frame"]
    assert changed(a.astype(np.uint8), frames[i]) < 0.002 and changed(frames[i - 6], frames[i]) < 0.002
    beat = parse_srt(source_video().with_suffix(".srt").read_text())[4]
    assert beat.start <= i / 15 < beat.end                 # inside the beat the scene named


def test_subtitles_srt_and_vtt_have_the_same_cues(blog):
    srt = parse_srt((blog / f"{SCENE}.srt").read_text())
    vtt = parse_vtt((blog / f"{SCENE}.vtt").read_text())
    manim = parse_srt(source_video().with_suffix(".srt").read_text())
    assert len(srt) == len(manim) >= 5 and srt == vtt
    assert [c.text for c in srt] == [c.text for c in manim]
    assert [c.start for c in srt] == [c.start for c in manim]
    seconds = probe(source_video())["seconds"]
    for a, b in zip(srt, srt[1:]):
        assert a.start < a.end <= b.start             # no two captions on screen at once
    assert 0 <= srt[0].start and srt[-1].end <= seconds + 0.5


def test_gallery_html(blog):
    html = (blog / "index.html").read_text()
    from scenes.kit.registry import discover
    desc = discover()[SCENE][1].description
    assert desc.replace("&", "&amp;") in html
    assert html.count("<video") == 1 and 'poster="ReverseProcess.png"' in html and " controls" in html
    assert re.search(r'<track kind="captions" src="ReverseProcess.vtt"[^>]*default>', html)
    assert "&lt;video controls" in html                  # the copy-paste embed snippet, escaped
    meta = json.loads((blog / "scenes.json").read_text())
    assert [s["name"] for s in meta["scenes"]] == [SCENE]
    assert not list(blog.glob(".*.part"))                 # atomic writes left nothing behind


# --- real headless Chromium -----------------------------------------------------------------


def check_in_chromium(directory: Path, page: str, ready: str, report: str, wait: float = 90) -> dict:
    """Open `page` in headless Chromium (tests/browser.py: no host but the local server reachable),
    poll the JavaScript body `ready` (with `win` the page's window) until it returns true or `wait`
    seconds of real time pass, then return {"ok": ..., "report": <what the body `report` returns>}.
    Real time, not Chromium's virtual time: media load in other processes, which virtual time does
    not wait for, so a virtual deadline can pass before a loaded machine has decoded a header."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from browser import Browser, StaticServer
    with StaticServer(directory) as srv, Browser(1280, 900) as b:
        b.page.goto(f"{srv.url}/{page}")
        try:
            b.page.wait_for_function(f"() => {{ const win = window; {ready} }}", timeout=wait * 1000, polling=100)
            ok = True
        except PlaywrightTimeout:
            ok = False
        return {"ok": ok, "report": b.eval(f"(() => {{ const win = window; {report} }})()")}


def test_gallery_in_headless_chromium(blog, tmp_path):
    # every <video> of the gallery loads its metadata, and its captions track its cues; and each
    # source on its own (WebM and MP4) loads too, so both play where the other does not
    ready = """
      const vids = [...win.document.querySelectorAll('video')];
      if (!win.__probes) {
        win.__probes = [...win.document.querySelectorAll('video source')].map(s => {
          const v = win.document.createElement('video'); v.preload = 'metadata'; v.muted = true;
          v.src = s.src; v.load(); return v; });
      }
      return vids.length > 0 && vids.every(v => v.readyState >= 1 && v.textTracks[0] && v.textTracks[0].cues
                                                && v.textTracks[0].cues.length > 0)
             && win.__probes.every(v => v.readyState >= 1 || v.error);"""
    report = """
      return {videos: [...win.document.querySelectorAll('video')].map(v => ({
                 src: v.currentSrc, readyState: v.readyState, duration: v.duration, error: v.error && v.error.code,
                 width: v.videoWidth, height: v.videoHeight,
                 cues: v.textTracks[0] && v.textTracks[0].cues ? v.textTracks[0].cues.length : -1})),
              sources: (win.__probes || []).map(v => ({src: v.src, readyState: v.readyState,
                                                         error: v.error && v.error.code, duration: v.duration}))};"""
    res = check_in_chromium(blog, "index.html", ready, report)
    assert res["ok"], res
    srt_cues = len(parse_srt((blog / f"{SCENE}.srt").read_text()))
    for v in res["report"]["videos"]:
        assert v["readyState"] >= 1 and v["error"] is None and (v["width"], v["height"]) == (854, 480)
        assert v["cues"] == srt_cues
    sources = res["report"]["sources"]
    assert {Path(s["src"]).suffix for s in sources} == {".webm", ".mp4"}
    assert all(s["readyState"] >= 1 and s["error"] is None for s in sources), sources
    # a screenshot of the page
    shot = tmp_path / "gallery.png"
    from browser import Browser, StaticServer
    with StaticServer(blog) as srv, Browser(1280, 1000) as b:
        b.goto(f"{srv.url}/index.html", "[...document.querySelectorAll('video')].every(v => v.readyState >= 1)", wait=90)
        b.page.screenshot(path=str(shot))
    with Image.open(shot) as im:
        assert im.size == (1280, 1000)
        a = np.asarray(im.convert("RGB")).astype(int)
    assert a.std() > 10                                   # not a blank page: the poster is drawn
    shutil.copy(shot, blog / ".." / "gallery-screenshot.png")


# --- slides -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slides(reverse_process_render):
    """The decks `python -m publish slides ReverseProcess` built with the run's one render (conftest.py)."""
    return MEDIA / "slides"


def test_slides_build_one_slide_per_beat(slides):
    cfg = json.loads((slides / f"{SCENE}.json").read_text())
    beats = len(parse_srt(source_video().with_suffix(".srt").read_text()))
    assert len(cfg["slides"]) == beats
    assert all(Path(s["file"]).exists() for s in cfg["slides"])
    assert cfg["slides"][0]["notes"].startswith("The reverse process")     # narration as speaker notes
    pdf = (slides / f"{SCENE}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) == beats
    assert not (ROOT / "slides").exists()                 # plain renders never write slides


def test_html_deck_is_offline(slides):
    html = (slides / f"{SCENE}.html").read_text()
    assert not re.search(r'(src|href)="https?://', html)
    assert 'src="reveal.js/dist/reveal.js"' in html and (slides / "reveal.js" / "dist" / "reveal.js").exists()
    # in Chromium with every host but the local server unreachable, reveal.js starts and every
    # slide's video loads its metadata
    ready = """return win.Reveal && win.Reveal.isReady() &&
                      [...win.document.querySelectorAll('video')].every(v => v.readyState >= 1 || v.error);"""
    report = """return {slides: win.Reveal.getTotalSlides(), videos: [...win.document.querySelectorAll('video')]
                        .map(v => ({readyState: v.readyState, error: v.error && v.error.code}))};"""
    res = check_in_chromium(slides, f"{SCENE}.html", ready, report)
    assert res["ok"], res
    beats = len(json.loads((slides / f"{SCENE}.json").read_text())["slides"])
    assert res["report"]["slides"] == beats


def test_make_all_renders_every_scene_as_many_at_once_as_make_jobs():
    for flags, jobs in (([], 1), (["-j", "2"], 2), (["-j3"], 3)):
        r = subprocess.run(["make", "-n", *flags, "all", "QUALITY=l"], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert re.search(rf"-m scenes render --all --jobs {jobs} --quality l --if-stale\b", r.stdout), r.stdout


# --- incremental publishing, the film and the lecture deck (of the scene rendered above) ----------


def test_render_saves_slides_and_a_second_run_renders_and_encodes_nothing(blog):
    clips = source_video().parent / "slides" / f"{SCENE}.json"
    beats = len(parse_srt(source_video().with_suffix(".srt").read_text()))
    assert len(json.loads(clips.read_text())["slides"]) == beats      # the render saved its slides
    before = source_video().stat().st_mtime_ns
    assert "up to date" in run("-m", "scenes", "render", SCENE, "--quality", "l", "--if-stale")
    assert source_video().stat().st_mtime_ns == before
    out = run("-m", "publish", "blog", "--quality", "l", "--scenes", SCENE)
    assert f"blog: {SCENE}: up to date" in out and "(0 exported, 1 up to date)" in out, out


@pytest.fixture(scope="module")
def film(blog):
    run("-m", "publish", "film", "--quality", "l", "--scenes", SCENE, "--no-webm")
    return MEDIA / "film"


def test_film_is_the_chapter_card_then_the_scene(film):
    from publish.film import span
    meta = json.loads((film / "film.json").read_text())
    assert [p["kind"] for p in meta["parts"]] == ["card", "scene"] and meta["stream_copy"]
    from scenes.kit.registry import chapter_of, chapters as series
    number = [c for c, _ in series()].index(chapter_of(SCENE)) + 1
    card = MEDIA / "videos" / "cards" / "480p15" / f"Chapter{number:02d}.mp4"
    expected = float(span(card)[0] + span(source_video())[0])
    assert abs(probe(film / "film.mp4")["seconds"] - expected) <= 1 / 15
    chapters = parse_vtt((film / "film-chapters.vtt").read_text())
    assert [c.text for c in chapters] == [f"{number}. {chapter_of(SCENE).title}"] and chapters[0].start == 0
    shift = meta["parts"][1]["start"]
    scene = parse_srt(source_video().with_suffix(".srt").read_text())
    merged = parse_srt((film / "film.srt").read_text())
    assert [c.text for c in merged] == [c.text for c in scene]
    assert [c.start for c in merged] == pytest.approx([c.start + shift for c in scene], abs=2e-3)
    assert "up to date" in run("-m", "publish", "film", "--quality", "l", "--scenes", SCENE, "--no-webm")


def test_lecture_is_the_chapter_slide_then_a_slide_per_beat(film):
    run("-m", "publish", "lecture", "--quality", "l", "--scenes", SCENE)
    deck = MEDIA / "lecture"
    meta = json.loads((deck / "lecture.json").read_text())
    beats = len(parse_srt(source_video().with_suffix(".srt").read_text()))
    assert [p["slides"] for p in meta["presentations"]] == [1, beats]
    assert meta["presentations"][0]["name"].startswith("Chapter") and meta["presentations"][1]["name"] == SCENE
    html = (deck / "lecture.html").read_text()
    notes = re.findall(r'<aside class="notes"[^>]*>(.*?)</aside>', html, re.S)
    from scenes.kit.registry import chapter_of
    assert len(notes) == 1 + beats and notes[0].strip() == chapter_of(SCENE).lead      # the chapter's lead
    assert notes[1].strip().startswith("The reverse process")
    assert "up to date" in run("-m", "publish", "lecture", "--quality", "l", "--scenes", SCENE)

"""One film of the whole series: chapter cards and scenes in series order, with merged subtitles,
a WebVTT chapters track and a plain chapter list.

  python -m publish film [--quality l]   -> media/film/ (THEME=light: media/film-light/)
     film.mp4  film.webm  film.srt  film.vtt  film-chapters.vtt  chapters.txt  film.json  index.html

The parts are the rendered videos themselves (a scene is rendered only when its render is missing or
stale, scenes/kit/freshness.py; cards, publish/cards.py, once per text). The MP4 is a stream copy of the
parts' H.264 packets, re-timed (no re-encode) when every part has the same codec, size, pixel format,
frame rate and codec header, which manim's renders at one quality have; otherwise it is re-encoded
(the reason is printed and recorded in film.json). The WebM is a stream copy of one VP9 WebM per part,
encoded once per part's content (film/parts/, or the blog's WebM of the same video bytes) and reused
while the part is unchanged.
Every time below is exact (fractions of the stream's time base): a part starts where the previous
one's last frame ends, and its subtitles are shifted by the same amount.
"""
from __future__ import annotations

import html
import json
import shutil
import time
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av

from . import subtitles, video
from .files import atomic_path, write_text
from .manifest import Manifest, code_version

WEBM_OPTIONS = video.WEBM_OPTIONS      # the blog's: a scene's blog WebM is reused when it is up to date


@dataclass
class Part:
    kind: str                 # "card" or "scene"
    name: str                 # Chapter01, ForwardEquation, ...
    chapter: int              # 1-based chapter number
    title: str                # the chapter's title (cards) or the scene's name
    video: Path
    srt: Path | None = None


@dataclass
class Placed:
    part: Part
    start: Fraction           # seconds into the film
    end: Fraction


def span(path: Path) -> tuple[Fraction, int]:
    """(seconds from the first frame's start to the last frame's end, frames) of a video's stream."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        first, last, frames = None, None, 0
        for p in c.demux(s):
            if p.pts is None:
                continue
            frames += 1
            end = p.pts + (p.duration or 0)
            first = p.pts if first is None else min(first, p.pts)
            last = end if last is None else max(last, end)
        if frames == 0:
            raise ValueError(f"{path}: no video frames")
        rate = Fraction(s.base_rate or s.average_rate or s.guessed_rate)
        seconds = (last - first) * Fraction(s.time_base)
        if seconds <= 0 or abs(seconds - frames / rate) > 1 / rate:   # no packet durations: count frames
            seconds = frames / rate
        return seconds, frames


def timeline(parts: list[Part]) -> list[Placed]:
    t, out = Fraction(0), []
    for p in parts:
        seconds, _ = span(p.video)
        out.append(Placed(p, t, t + seconds))
        t += seconds
    return out


# --- subtitles and chapters --------------------------------------------------------------------

def merged_cues(placed: list[Placed]) -> list[subtitles.Cue]:
    """Every scene's cues shifted to where the scene starts in the film, none past the scene's end."""
    out = []
    for pl in placed:
        if pl.part.srt is None or not pl.part.srt.exists():
            continue
        cues = subtitles.without_overlaps(subtitles.parse_srt(pl.part.srt.read_text(encoding="utf-8")))
        start, end = float(pl.start), float(pl.end)
        for c in cues:
            a, b = start + c.start, min(start + c.end, end)
            if b > a:
                out.append(subtitles.Cue(a, b, c.text))
    return out


def chapters_of(placed: list[Placed]) -> list[dict]:
    """[{number, title, start, end, scenes}] in film order: a chapter runs from its card's first frame
    to the end of its last scene."""
    out = []
    for pl in placed:
        if pl.part.kind == "card":
            out.append(dict(number=pl.part.chapter, title=pl.part.title, start=pl.start, end=pl.end, scenes=[]))
        elif out:
            out[-1]["end"] = pl.end
            out[-1]["scenes"].append(dict(name=pl.part.name, start=pl.start, end=pl.end))
    return out


def chapters_vtt(chapters: list[dict]) -> str:
    return subtitles.to_vtt([subtitles.Cue(float(c["start"]), float(c["end"]), f"{c['number']}. {c['title']}")
                             for c in chapters])


def stamp(seconds: float) -> str:
    """H:MM:SS or M:SS, as video sites read chapter lists from a description."""
    s = int(seconds)                          # a chapter starts at its card's first frame: round down
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


def chapter_list(chapters: list[dict]) -> str:
    lines = [f"{stamp(float(c['start']))} {c['number']}. {c['title']}" for c in chapters]
    return "\n".join(lines) + "\n"


# --- concatenation -------------------------------------------------------------------------------

def _signature(path: Path) -> dict:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        cc = s.codec_context
        return dict(codec=cc.name, width=cc.width, height=cc.height,
                    # the nominal rate: a render's average rate can miss it by a few ppm (its last
                    # packet's duration), which would force a needless re-encode
                    pix_fmt=cc.format.name if cc.format else "", rate=str(s.base_rate or s.average_rate),
                    extradata=(cc.extradata or b"").hex())


def copy_compatible(paths: list[Path]) -> str | None:
    """None when the packets of all `paths` can be joined without re-encoding; else the reason."""
    sigs = [_signature(p) for p in paths]
    for p, s in zip(paths[1:], sigs[1:]):
        for k in ("codec", "width", "height", "pix_fmt", "rate", "extradata"):
            if s[k] != sigs[0][k]:
                return f"{p.name} differs from {paths[0].name} in {k}"
    return None


def concat_copy(paths: list[Path], starts: list[Fraction], dest: Path, fmt: str, options: dict | None = None) -> None:
    """Stream copy: each part's packets shifted to its start in the film (every part starts on a key
    frame, as a fresh encode does). dts is left to the muxer to derive from pts (manim joins its
    partial movies the same way), so B-frame reordering across a joint stays valid."""
    with atomic_path(dest) as tmp:
        with av.open(str(paths[0])) as first, av.open(str(tmp), "w", format=fmt, options=options or {}) as out:
            outs = out.add_stream_from_template(first.streams.video[0])
            for path, start in zip(paths, starts):
                with av.open(str(path)) as inp:
                    ins = inp.streams.video[0]
                    tb = Fraction(ins.time_base)
                    base = None
                    for p in inp.demux(ins):
                        if p.dts is None and p.pts is None:   # the demuxer's flush packet
                            continue
                        if base is None:
                            base = p.pts if p.pts is not None else 0
                        shift = round(start / tb) - base     # part's first frame at `start`
                        if p.pts is not None:
                            p.pts += shift
                        p.dts = None
                        p.stream = outs
                        out.mux(p)


def concat_reencode(paths: list[Path], starts: list[Fraction], dest: Path) -> None:
    """Fallback when the parts' streams differ: decode every part, encode one H.264 stream at the first
    part's size and rate (frames keep their times: each part's frames from its start)."""
    first = _signature(paths[0])
    rate = Fraction(first["rate"])
    with atomic_path(dest) as tmp, av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        s = out.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = first["width"], first["height"], "yuv420p"
        s.options = {"crf": "20", "preset": "medium"}
        for path, start in zip(paths, starts):
            with av.open(str(path)) as inp:
                for i, frame in enumerate(inp.decode(video=0)):
                    frame = frame.reformat(width=first["width"], height=first["height"], format="yuv420p")
                    frame.pts, frame.time_base = round(start * rate) + i, 1 / rate
                    for p in s.encode(frame):
                        out.mux(p)
        for p in s.encode(None):
            out.mux(p)


def part_webm(src: Path, dest: Path) -> None:
    """One part as VP9 WebM (the blog's settings, a key frame every 5 s), frame times kept."""
    with av.open(str(src)) as inp, atomic_path(dest) as tmp:
        ins = inp.streams.video[0]
        rate = Fraction(ins.average_rate)
        with av.open(str(tmp), "w", format="webm", options=video.WEBM_CONTAINER) as out:
            s = out.add_stream("libvpx-vp9", rate=rate)
            s.width, s.height, s.pix_fmt = ins.codec_context.width, ins.codec_context.height, "yuv420p"
            s.options = dict(WEBM_OPTIONS, g=str(int(round(float(rate) * 5))))
            video.encode_frames(inp.decode(ins), s, out, rate)


# --- the film ------------------------------------------------------------------------------------

def from_blog(part: Part, manifest: Manifest, blog: Path | None) -> Path | None:
    """The blog's WebM of this scene when the blog's manifest shows it was made from the same video
    bytes with the same VP9 settings (publish/video.py), else None."""
    if blog is None or part.kind != "scene":
        return None
    try:
        entry = json.loads((blog / ".manifest.json").read_text())["items"][part.name]
    except (FileNotFoundError, ValueError, KeyError):
        return None
    webm = blog / f"{part.name}.webm"
    same = entry["key"]["sources"].get("video") == manifest.content_hash(part.video)
    return webm if same and webm.exists() and \
        webm.stat().st_size == entry["outputs"].get(webm.name) else None


def assemble(parts: list[Part], out: Path, webm: bool = True, blog: Path | None = None) -> dict:
    """film.{mp4,webm,srt,vtt}, film-chapters.vtt, chapters.txt, film.json and index.html in `out`
    from `parts` (in order); redoes nothing when the parts and the code are unchanged."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out / ".manifest.json")
    settings = dict(code=code_version(video, subtitles, __import__(__name__, fromlist=["_"])), webm=webm,
                    parts=[dict(asdict(p), video=str(p.video), srt=str(p.srt) if p.srt else None) for p in parts])
    sources = {f"{i:03d}-{k}": path for i, p in enumerate(parts) for k, path in (("video", p.video), ("srt", p.srt))
               if path is not None}
    files = ["film.mp4", "film.srt", "film.vtt", "film-chapters.vtt", "chapters.txt", "film.json", "index.html"]
    files += ["film.webm"] if webm else []
    done = manifest.lookup("film", sources, settings, out)
    if done is not None:
        print(f"film: up to date ({out / 'film.mp4'})", flush=True)
        return dict(done, rebuilt=False)
    t0 = time.perf_counter()
    placed = timeline(parts)
    starts = [pl.start for pl in placed]
    videos = [p.video for p in parts]
    reason = copy_compatible(videos)
    if reason is None:
        concat_copy(videos, starts, out / "film.mp4", "mp4", {"movflags": "+faststart"})
    else:
        print(f"film: re-encoding the MP4 ({reason})", flush=True)
        concat_reencode(videos, starts, out / "film.mp4")
    if webm:
        webms = []
        for p in parts:                           # one VP9 encode per part's content, then reused
            dest = out / "parts" / f"{p.name}.webm"
            src = {"video": p.video}
            if manifest.lookup(f"webm:{p.name}", src, dict(options=WEBM_OPTIONS), out / "parts") is None:
                blog_webm = from_blog(p, manifest, blog)
                if blog_webm is not None:          # the blog encoded these very frames already
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with atomic_path(dest) as tmp:
                        shutil.copyfile(blog_webm, tmp)
                else:
                    print(f"film: WebM of {p.name}", flush=True)
                    part_webm(p.video, dest)
                manifest.record(f"webm:{p.name}", src, dict(options=WEBM_OPTIONS), out / "parts", [dest.name], {})
            webms.append(dest)
        concat_copy(webms, starts, out / "film.webm", "webm", video.WEBM_CONTAINER)
    cues = merged_cues(placed)
    write_text(out / "film.srt", subtitles.to_srt(cues))
    write_text(out / "film.vtt", subtitles.to_vtt(cues))
    chapters = chapters_of(placed)
    write_text(out / "film-chapters.vtt", chapters_vtt(chapters))
    write_text(out / "chapters.txt", chapter_list(chapters))
    info = video.probe(out / "film.mp4")
    result = dict(seconds=round(float(placed[-1].end), 3), webm=webm, width=info.width, height=info.height, fps=info.fps,
                  stream_copy=reason is None, reencode_reason=reason, cues=len(cues),
                  parts=[dict(kind=pl.part.kind, name=pl.part.name, chapter=pl.part.chapter,
                              start=round(float(pl.start), 4), end=round(float(pl.end), 4)) for pl in placed],
                  chapters=[dict(number=c["number"], title=c["title"], start=round(float(c["start"]), 4),
                                 end=round(float(c["end"]), 4), scenes=[s["name"] for s in c["scenes"]])
                            for c in chapters],
                  build_seconds=round(time.perf_counter() - t0, 1))
    write_text(out / "film.json", json.dumps(result, indent=2))
    write_text(out / "index.html", page(result, webm))
    manifest.record("film", sources, settings, out, files, result)
    print(f"film: {len(parts)} parts, {result['seconds']:.1f} s, "
          f"{'stream copy' if reason is None else 're-encoded: ' + reason} -> {out / 'film.mp4'}", flush=True)
    return dict(result, rebuilt=True)


def video_tag(result: dict, webm: bool, prefix: str = "") -> str:
    """The film's <video>: WebM and MP4 sources, captions and the chapters track."""
    src = (f'  <source src="{prefix}film.webm" type="video/webm">\n' if webm else "")
    return (f'<video id="film" controls preload="metadata" playsinline width="{result["width"]}" '
            f'height="{result["height"]}" style="max-width:100%;height:auto">\n{src}'
            f'  <source src="{prefix}film.mp4" type="video/mp4">\n'
            f'  <track kind="captions" src="{prefix}film.vtt" srclang="en" label="English" default>\n'
            f'  <track kind="chapters" src="{prefix}film-chapters.vtt" srclang="en" label="Chapters">\n'
            f'</video>')


def page(result: dict, webm: bool) -> str:
    """A page with the film and a chapter list whose links seek the video."""
    items = "".join(f'<li><a href="#t={c["start"]}" data-start="{c["start"]}">{html.escape(str(c["number"]))}. '
                    f'{html.escape(c["title"])}</a> ({stamp(c["start"])})</li>\n' for c in result["chapters"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Diffusion, explained with real models: the film</title></head>
<body>
<h1>Diffusion, explained with real models: the film</h1>
{video_tag(result, webm)}
<ol id="chapters">
{items}</ol>
<script>
for (const a of document.querySelectorAll('#chapters a')) a.addEventListener('click', e => {{
  e.preventDefault(); const v = document.getElementById('film'); v.currentTime = +a.dataset.start; v.play(); }});
</script>
</body></html>
"""


def series_parts(quality: str, names: list[str] | None = None) -> list[Part]:
    """Cards and scene videos of the series (or of the chapters holding `names`), in series order;
    renders only what is missing or stale."""
    from scenes.kit.registry import check_scene, discover
    from scenes.kit.rendering import render

    from .cards import series_cards
    scenes = discover()
    for n in names or []:
        check_scene(n, scenes)
    parts = []
    for card in series_cards(quality, names):
        parts.append(Part("card", card["name"], card["number"], card["title"], card["video"]))
        for n in card["scenes"]:
            src = render(n, quality, if_stale=True)
            parts.append(Part("scene", n, card["number"], n, src, src.with_suffix(".srt")))
    return parts


def out_dir() -> Path:
    from scenes.kit import style
    from scenes.kit.registry import MEDIA_ROOT
    return MEDIA_ROOT / ("film-light" if style.THEME == "light" else "film")


def build(quality: str = "l", names: list[str] | None = None, webm: bool = True) -> dict:
    from scenes.kit.registry import check_quality
    check_quality(quality)
    from scenes.kit import style
    from scenes.kit.registry import MEDIA_ROOT
    blog = MEDIA_ROOT / ("blog-light" if style.THEME == "light" else "blog")     # publish/blog.py's out_dir
    return assemble(series_parts(quality, names), out_dir(), webm, blog)

"""The blog export: per scene MP4 / WebM / GIF / poster / .srt / .vtt, and an index.html gallery."""
from __future__ import annotations

import html
import json
import time
from pathlib import Path

from scenes.kit import style
from scenes.kit.registry import (MEDIA_ROOT, check_quality, check_scene, chapter_of, chapters, discover, need_doc, needs,
                             video_path)
from scenes.kit.rendering import render

from . import figures as interactive
from . import poster, subtitles, video
from .files import write_text
from .manifest import Manifest, code_version

MANIFEST = ".manifest.json"      # in the blog folder: what each scene's files were made from


def out_dir() -> Path:
    return MEDIA_ROOT / ("blog-light" if style.THEME == "light" else "blog")


def export_scene(name: str, module: str, cls, quality: str, out: Path, manifest: Manifest | None = None) -> dict:
    src = video_path(module, name, quality)
    if not src.exists():                                  # `make blog` renders stale ones first (make all)
        render(name, quality)
    manifest = manifest or Manifest(out / MANIFEST)
    entry = dict(name=name, description=cls.description, chapter=chapter_of(name).title,
                 made_from=[need_doc(f) for f in needs(cls)])
    return dict(entry, **export_files(name, src, out, getattr(cls, "poster_time", None), manifest,
                                      getattr(cls, "poster_beat", None)))


def export_files(name: str, src: Path, out: Path, poster_time: float | None, manifest: Manifest,
                 poster_beat: int | None = None) -> dict:
    """NAME.{mp4,webm,gif,png,srt,vtt} in `out` from the rendered video `src` (and its .srt), unless the
    manifest shows they were made from the same bytes with the same settings and exporter code."""
    sources = {"video": src, "srt": src.with_suffix(".srt")}
    settings = dict(bg=style.BG, poster_time=poster_time, poster_beat=poster_beat,
                    code=code_version(video, subtitles, poster))
    files = [f"{name}.{ext}" for ext in ("mp4", "webm", "gif", "png", "srt", "vtt")]
    done = manifest.lookup(name, sources, settings, out)
    if done is not None:
        print(f"blog: {name}: up to date", flush=True)
        return dict(done, reencoded=False)
    t0 = time.perf_counter()
    srt = src.with_suffix(".srt")
    cues = subtitles.parse_srt(srt.read_text(encoding="utf-8")) if srt.exists() else []
    cues = subtitles.without_overlaps(cues)
    video.export_mp4(src, out / f"{name}.mp4")
    # the poster: a beat's settled end state (a beat's caption ends where the next beat starts)
    extra = video.export_derived(src, out / f"{name}.webm", out / f"{name}.gif", out / f"{name}.png",
                                 style.BG, poster_time, [c.end for c in cues], poster_beat)
    write_text(out / f"{name}.srt", subtitles.to_srt(cues))
    write_text(out / f"{name}.vtt", subtitles.to_vtt(cues))
    info = video.probe(out / f"{name}.mp4")
    result = dict(width=info.width, height=info.height, fps=info.fps, seconds=round(info.seconds, 2),
                  cues=len(cues), export_seconds=round(time.perf_counter() - t0, 1), **extra)
    manifest.record(name, sources, settings, out, files, result)
    print(f"blog: {name}: {info.width}x{info.height} {info.seconds:.1f}s, {len(cues)} cues, "
          f"gif {extra['gif_bytes'] / 1e6:.2f} MB, exported in {result['export_seconds']} s", flush=True)
    return dict(result, reencoded=True)


def embed_snippet(e: dict) -> str:
    n = e["name"]
    return (f'<video controls preload="metadata" playsinline width="{e["width"]}" height="{e["height"]}"\n'
            f'       poster="{n}.png" style="max-width:100%;height:auto">\n'
            f'  <source src="{n}.webm" type="video/webm">\n'
            f'  <source src="{n}.mp4" type="video/mp4">\n'
            f'  <track kind="captions" src="{n}.vtt" srclang="en" label="English" default>\n'
            f'</video>')


def series_block(film: dict | None, lecture: dict | None, film_dir: str, lecture_dir: str) -> str:
    """The whole series at the top of the gallery: the film (with its chapters track) and the deck,
    when they have been built (`make film`, `make lecture`); paths relative to the gallery."""
    if not film and not lecture:
        return ""
    from .film import stamp, video_tag
    parts = ['\n<section id="series">\n  <h2>The whole series</h2>']
    if film:
        chapters = " &middot; ".join(f'{stamp(c["start"])} {html.escape(c["title"])}' for c in film["chapters"])
        parts.append(f"""  {video_tag(film, film.get("webm", True), film_dir + "/")}
  <p class="meta">One film, {film["seconds"] / 60:.1f} min, {len(film["chapters"])} chapters: {chapters}.
    <a href="{film_dir}/index.html">chapter links</a> &middot; <a href="{film_dir}/film.mp4">MP4</a> &middot;
    subtitles <a href="{film_dir}/film.srt">.srt</a> <a href="{film_dir}/film.vtt">.vtt</a> &middot;
    <a href="{film_dir}/chapters.txt">chapter list</a></p>""")
    if lecture:
        parts.append(f"""  <p>Lecture deck ({lecture["slides"]} slides: a title slide per chapter, a slide per beat):
    <a id="deck" href="{lecture_dir}/lecture.html">HTML, works offline</a> &middot;
    <a href="{lecture_dir}/lecture.pdf">PDF</a></p>""")
    return "\n".join(parts) + "\n</section>\n"


def built(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def gallery(entries: list[dict], quality: str, figure_entries: list[dict] = (), series: str = "") -> str:
    dark = style.THEME != "light"
    code_bg = "#1d2029" if dark else "#f3f4f7"
    numbers = {c.title: i for i, (c, _) in enumerate(chapters(), 1)}     # the series' numbering
    figures, chapter = [], None
    for e in entries:                    # in series order (scenes/kit/registry.py); a heading per chapter
        n = html.escape(e["name"])
        if chapter_of(e["name"]) is not chapter:
            chapter = chapter_of(e["name"])
            number = numbers.get(chapter.title, len(numbers) + 1)
            figures.append(f"""
  <h2 class="chapter" id="chapter-{number}">{number}. {html.escape(chapter.title)}</h2>
  <p class="lead">{html.escape(chapter.lead)}</p>""")
        made_from = "; ".join(e.get("made_from") or ["no trained model"])
        figures.append(f"""
  <figure id="{n}">
    <h3>{n}</h3>
    {embed_snippet(e)}
    <figcaption>{html.escape(e["description"])}</figcaption>
    <p class="meta">Made from: {html.escape(made_from)}.</p>
    <p class="meta">{e["width"]}&times;{e["height"]}, {e["fps"]:g} fps, {e["seconds"]:.1f} s &middot;
      download <a href="{n}.mp4">MP4</a> &middot; <a href="{n}.webm">WebM</a> &middot;
      <a href="{n}.gif">GIF</a> &middot; <a href="{n}.png">poster</a> &middot;
      subtitles <a href="{n}.srt">.srt</a> <a href="{n}.vtt">.vtt</a></p>
    <details><summary>Embed</summary>
      <p>Copy the files next to your post and paste:</p>
      <pre><code>{html.escape(embed_snippet(e))}</code></pre>
    </details>{"".join(interactive.gallery_block(f) for f in figure_entries if f["scene"] == e["name"])}
  </figure>""")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Diffusion, explained with real models: videos</title>
<style>
  body {{ background: {style.BG}; color: {style.TEXT}; font: 16px/1.5 system-ui, sans-serif;
         max-width: 980px; margin: 2rem auto; padding: 0 1rem; }}
  a {{ color: {style.SIGNAL}; }}
  figure {{ margin: 0 0 3rem; }}
  h2.chapter {{ margin: 3rem 0 .5rem; font-size: 1.6rem; }}
  .lead {{ margin: 0 0 1.5rem; }}
  h3 {{ margin: 0 0 .5rem; font-size: 1.3rem; }}
  figcaption {{ margin-top: .5rem; }}
  .meta {{ color: {style.MUTED}; font-size: .9rem; margin: .25rem 0; }}
  pre {{ background: {code_bg}; padding: .75rem; overflow-x: auto; font-size: .8rem; }}
</style>
</head>
<body>
<h1>Diffusion, explained with real models</h1>
<p class="meta">{len(entries)} video{"s" if len(entries) != 1 else ""}, quality {html.escape(quality)}, {style.THEME} theme.
Every video has captions (CC), a poster, a WebM and an MP4 source, and a looping GIF.</p>
{series}{"".join(figures)}
</body>
</html>
"""


def build(quality: str = "l", names: list[str] | None = None) -> Path:
    check_quality(quality)
    scenes = discover()
    for n in names or []:
        check_scene(n, scenes)
    chosen = [(n, m, c) for n, (m, c) in scenes.items() if not names or n in names]
    out = out_dir()
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out / MANIFEST)
    entries = [export_scene(n, m, c, quality, out, manifest) for n, m, c in chosen]
    redone = [e["name"] for e in entries if e.pop("reencoded")]
    # the interactive figures of the chosen scenes, from the same cached trajectories (figures/)
    wanted = [k for k, f in interactive.FIGURE_SCENES.items() if f in {n for n, _, _ in chosen}]
    figure_entries = interactive.build(out / "figures", wanted) if wanted else []
    write_text(out / "scenes.json", json.dumps(dict(quality=quality, theme=style.THEME, scenes=entries), indent=2))
    light = "-light" if style.THEME == "light" else ""
    film, deck = built(MEDIA_ROOT / f"film{light}" / "film.json"), built(MEDIA_ROOT / f"lecture{light}" / "lecture.json")
    series = series_block(film, deck, f"../film{light}", f"../lecture{light}")
    write_text(out / "index.html", gallery(entries, quality, figure_entries, series))
    print(f"blog: {len(entries)} scenes ({len(redone)} exported, {len(entries) - len(redone)} up to date) "
          f"-> {out / 'index.html'}")
    return out

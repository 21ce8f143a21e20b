"""Lecture slides with manim-slides: every beat() of a scene is a slide (see DiffusionScene).

build(NAME) renders the scene with slides enabled into media/slides/, then converts offline:
  media/slides/NAME.pdf    one page per slide (last frame of each slide), no network needed
  media/slides/NAME.html   reveal.js deck; reveal.js is vendored into media/slides/reveal.js/
                           (npm pack at build time) instead of manim-slides' default CDN, so the
                           deck works without a network. Copy the whole media/slides/ folder.
Present on a desktop with:  manim-slides present NAME --folder media/slides   (needs a Qt binding)
"""
from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from scenes.kit.registry import MEDIA, chapters, check_quality, check_scene, discover, fail
from scenes.kit.rendering import render


def slides_dir() -> Path:
    return MEDIA / "slides"


def reveal_version() -> str:
    from manim_slides.convert import RevealJS
    return RevealJS.model_fields["reveal_version"].default


def vendor_revealjs(dest: Path) -> Path:
    """reveal.js's dist/ from the npm registry (npm pack: the tarball, no node_modules), once."""
    version = reveal_version()
    marker = dest / ".version"
    if (dest / "dist" / "reveal.js").exists() and marker.exists() and marker.read_text() == version:
        return dest
    if not shutil.which("npm"):
        fail("npm not found: it fetches reveal.js for the offline HTML deck (apt-get install npm)")
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["npm", "pack", f"reveal.js@{version}", "--silent", "--pack-destination", tmp],
                           capture_output=True, text=True)
        tgz = list(Path(tmp).glob("reveal.js-*.tgz"))
        if r.returncode or not tgz:
            fail(f"npm pack reveal.js@{version} failed: {r.stderr.strip()[-500:]}")
        staging = Path(tempfile.mkdtemp(prefix=".reveal.js.", dir=dest.parent))
        with tarfile.open(tgz[0]) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(("package/dist/", "package/LICENSE"))]
            tar.extractall(staging, members=members, filter="data")
        (staging / "package" / ".version").write_text(version)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging / "package", dest)       # atomic: a half-extracted copy is never used
        shutil.rmtree(staging)
    return dest


def convert(name: str, folder: Path, to: str, dest: Path, *options: str) -> Path:
    tmp = dest.with_name(f".{dest.stem}.part{dest.suffix}")
    cmd = [sys.executable, "-m", "manim_slides", "convert", name, str(tmp), "--folder", str(folder),
           "--to", to, *options]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode or not tmp.exists():
        fail(f"manim-slides convert --to {to} failed:\n{r.stdout[-1500:]}{r.stderr[-1500:]}")
    os.replace(tmp, dest)
    return dest


def build(name: str, quality: str = "l") -> dict:
    scenes = discover()
    check_scene(name, scenes)
    check_quality(quality)
    folder = slides_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["SCENES_SLIDES_DIR"] = str(folder)       # DiffusionScene saves slides (render subprocess)
    try:
        render(name, quality)
    finally:
        del os.environ["SCENES_SLIDES_DIR"]
    out = dict(json=folder / f"{name}.json")
    out["pdf"] = convert(name, folder, "pdf", folder / f"{name}.pdf")
    vendor_revealjs(folder / "reveal.js")
    # the deck's <link>/<script> point at ./reveal.js/dist/... instead of the CDN; the
    # slide videos are copied to NAME_assets/ next to it (manim-slides' default)
    out["html"] = convert(name, folder, "html", folder / f"{name}.html", "-ccdn_url=reveal.js",
                          f"-cassets_dir={name}_assets", f"-ctitle={name}")
    print(f"slides: {name} -> {out['json']}, {out['pdf']}, {out['html']}")
    return out


def series_index(names: list[str]) -> str:
    """media/slides/index.html: the decks built so far, by chapter in series order."""
    scenes = discover()
    parts = []
    for i, (chapter, members) in enumerate(chapters(scenes), 1):
        decks = [n for n in members if n in names]
        if not decks:
            continue
        items = "".join(f'<li><a href="{html.escape(n)}.html">{html.escape(n)}</a> '
                        f'(<a href="{html.escape(n)}.pdf">PDF</a>): {html.escape(scenes[n][1].description)}</li>\n'
                        for n in decks)
        parts.append(f"<h2>{i}. {html.escape(chapter.title)}</h2>\n<p>{html.escape(chapter.lead)}</p>\n<ol>\n{items}</ol>")
    body = "\n".join(parts)
    return (f'<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Lecture decks, in order</title></head>\n'
            f"<body>\n<h1>Diffusion, explained with real models: the lecture decks</h1>\n{body}\n</body>\n</html>\n")


def build_series(quality: str = "l") -> Path:
    """Every scene's deck, in series order, and an index of them (media/slides/index.html)."""
    from publish.files import write_text

    names = list(discover())
    for n in names:
        build(n, quality)
    out = slides_dir() / "index.html"
    write_text(out, series_index(names))
    print(f"slides: {len(names)} decks in series order -> {out}")
    return out

"""Lecture slides with manim-slides: every beat() of a scene is a slide (see DiffusionScene).

build(NAME) renders the scene if its render is missing or stale (every render saves its slides beside
its video, scenes/kit/freshness.py), then converts offline:
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

from scenes.kit.freshness import slides_folder
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
    for other in dest.parent.parent.glob("*/reveal.js/.version"):     # another deck's copy (slides, lecture)
        if other.read_text() == version and (other.parent / "dist" / "reveal.js").exists() and other.parent != dest:
            staging = Path(tempfile.mkdtemp(prefix=".reveal.js.", dir=dest.parent))
            shutil.copytree(other.parent, staging / "package")
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(staging / "package", dest)
            shutil.rmtree(staging)
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


def convert(names: list[str], folder: Path, to: str, dest: Path, *options: str) -> Path:
    """manim-slides convert of the decks `names` (in this order, one presentation) found in `folder`."""
    tmp = dest.with_name(f".{dest.stem}.part{dest.suffix}")
    cmd = [sys.executable, "-m", "manim_slides", "convert", *names, str(tmp), "--folder", str(folder),
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
    # every render saves its slides beside its video: reuse them when the render is up to date
    render(name, quality, if_stale=True)
    clips = slides_folder(scenes[name][0], name, quality)
    out = dict(json=folder / f"{name}.json")
    shutil.copyfile(clips / f"{name}.json", out["json"])    # `manim-slides present NAME --folder media/slides`
    out["pdf"] = convert([name], clips, "pdf", folder / f"{name}.pdf")
    vendor_revealjs(folder / "reveal.js")
    # the deck's <link>/<script> point at ./reveal.js/dist/... instead of the CDN; the
    # slide videos are copied to NAME_assets/ next to it (manim-slides' default)
    out["html"] = convert([name], clips, "html", folder / f"{name}.html", "-ccdn_url=reveal.js",
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

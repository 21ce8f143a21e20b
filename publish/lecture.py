"""One lecture deck of the whole series: per chapter a title slide with its lead, then every beat of
its scenes as slides, in series order (scenes/kit/registry.py).

  python -m publish lecture [--quality l]   -> media/lecture/ (THEME=light: media/lecture-light/)
     lecture.html (+ lecture_assets/, reveal.js/: offline, from file://)   lecture.pdf   lecture.json

Built on manim-slides' own multi-scene conversion (`manim-slides convert A B ... out.html`): the
presentations are given in series order, and manim-slides prefixes each one's clips (s00_, s01_, ...)
so two scenes' clips with the same file name never overwrite each other. The slides are the ones every
render saves beside its video (scenes/kit/rendering.py), so nothing is rendered for the deck that is up to
date; the chapter cards come from publish/cards.py. A second run with nothing changed converts nothing.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from .files import write_text
from .manifest import Manifest


def out_dir() -> Path:
    from scenes.kit import style
    from scenes.kit.registry import MEDIA_ROOT
    return MEDIA_ROOT / ("lecture-light" if style.THEME == "light" else "lecture")


def series_decks(quality: str, names: list[str] | None = None) -> list[tuple[str, Path]]:
    """[(presentation name, folder holding <name>.json)] in series order: each chapter's card, then its
    scenes (rendered only when missing or stale)."""
    from scenes.kit.freshness import slides_folder
    from scenes.kit.registry import check_scene, discover
    from scenes.kit.rendering import render

    from .cards import series_cards
    scenes = discover()
    for n in names or []:
        check_scene(n, scenes)
    decks = []
    for card in series_cards(quality, names):
        decks.append((card["name"], card["slides"]))
        for n in card["scenes"]:
            render(n, quality, if_stale=True)
            decks.append((n, slides_folder(scenes[n][0], n, quality)))
    return decks


def gather(decks: list[tuple[str, Path]], folder: Path) -> list[Path]:
    """Copies every <name>.json into one folder (manim-slides convert reads them from one --folder;
    the clip paths inside are absolute, so they still point at the render's clips)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, src in decks:
        dest = folder / f"{name}.json"
        write_text(dest, (src / f"{name}.json").read_text(encoding="utf-8"))
        out.append(dest)
    return out


def slide_count(config: Path) -> int:
    return len(json.loads(config.read_text(encoding="utf-8"))["slides"])


def assemble(decks: list[tuple[str, Path]], out: Path, title: str = "Diffusion, explained with real models") -> dict:
    """lecture.{html,pdf,json} in `out` from the presentations `decks` (in order)."""
    from .slides import convert, vendor_revealjs
    names = [n for n, _ in decks]
    configs = gather(decks, out / "decks")
    manifest = Manifest(out / ".manifest.json")
    sources = {f"{i:03d}-{n}": c for i, (n, c) in enumerate(zip(names, configs))}
    for name, folder in decks:                   # the clips themselves (names are content hashes, but a
        for s in json.loads((folder / f"{name}.json").read_text())["slides"]:   # deleted one must be redone)
            sources[f"clip-{Path(s['file']).name}-{name}"] = Path(s["file"])
    settings = dict(names=names, title=title)
    done = manifest.lookup("lecture", sources, settings, out)
    if done is not None and (out / "reveal.js" / "dist" / "reveal.js").exists():
        print(f"lecture: up to date ({out / 'lecture.html'})", flush=True)
        return dict(done, rebuilt=False)
    t0 = time.perf_counter()
    vendor_revealjs(out / "reveal.js")
    if (out / "lecture_assets").exists():         # clips of an older deck: not left behind
        shutil.rmtree(out / "lecture_assets")
    convert(names, out / "decks", "html", out / "lecture.html", "-ccdn_url=reveal.js",
            "-cassets_dir=lecture_assets", f"-ctitle={title}")
    convert(names, out / "decks", "pdf", out / "lecture.pdf")
    counts = [slide_count(c) for c in configs]
    result = dict(presentations=[dict(name=n, slides=k) for n, k in zip(names, counts)], slides=sum(counts),
                  build_seconds=round(time.perf_counter() - t0, 1))
    write_text(out / "lecture.json", json.dumps(result, indent=2))
    manifest.record("lecture", sources, settings, out, ["lecture.html", "lecture.pdf", "lecture.json"], result)
    print(f"lecture: {len(names)} presentations, {result['slides']} slides -> {out / 'lecture.html'}, "
          f"{out / 'lecture.pdf'}", flush=True)
    return dict(result, rebuilt=True)


def build(quality: str = "l", names: list[str] | None = None) -> dict:
    from scenes.kit.registry import check_quality
    check_quality(quality)
    return assemble(series_decks(quality, names), out_dir())

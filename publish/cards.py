"""Chapter cards: one short still video (and one slide) per chapter of the series, made by manim.

A card shows the chapter's number, its title and its lead (scenes/kit/registry.py CHAPTERS) and is held
CARD_SECONDS. The film puts one before each chapter's scenes; the lecture deck uses it as the
chapter's title slide (the lead is also its speaker notes). Cards are rendered once per text,
theme and quality, then reused (a stamp beside the video, as scenes/kit/freshness.py does for scenes).

Rendered by manim from this file: the card's class is made under the name in $CARD_NAME with the
text in $CARD_TEXT (JSON), so each card has its own video and slides file names.
"""
from __future__ import annotations

import hashlib
import json
import os
import textwrap
from pathlib import Path

from manim import DOWN, ManimColor, Text, VGroup, config
from manim_slides import Slide

from scenes.kit import style

CARD_SECONDS = 4.0
LEAD_CHARS = 78            # characters a line of the lead


class ChapterCard(Slide):
    skip_reversing = True
    text = dict(number=0, title="", lead="")

    def construct(self):
        self.camera.background_color = ManimColor(style.BG)
        t = self.text
        head = Text(f"Chapter {t['number']}", font_size=style.LABEL_SIZE, color=style.MUTED)
        title = Text(t["title"], font_size=style.TITLE_SIZE + 8, color=style.TEXT)
        lead = Text(textwrap.fill(t["lead"], LEAD_CHARS), font_size=style.SMALL_SIZE, color=style.TEXT,
                    line_spacing=0.9)
        group = VGroup(head, title, lead)
        title.next_to(head, DOWN, buff=0.35)
        lead.next_to(title, DOWN, buff=0.6)
        for m in (title, lead):
            if m.width > config.frame_width - 1.2:
                m.scale_to_fit_width(config.frame_width - 1.2)
        if group.height > config.frame_height - 0.8:
            group.scale_to_fit_height(config.frame_height - 0.8)
        group.move_to([0, 0, 0])
        self.add(group)                      # in the very first frame: a seek lands on the card
        self.next_slide(notes=t["lead"])
        self.wait(CARD_SECONDS)

    def render(self, *args, **kwargs):
        if os.environ.get("SCENES_SLIDES_DIR"):
            self._output_folder = Path(os.environ["SCENES_SLIDES_DIR"])
            return Slide.render(self, *args, **kwargs)
        from manim import Scene
        return Scene.render(self, *args, **kwargs)


if os.environ.get("CARD_NAME"):              # manim renders this class (see render_card)
    globals()[os.environ["CARD_NAME"]] = type(os.environ["CARD_NAME"], (ChapterCard,),
                                              dict(text=json.loads(os.environ["CARD_TEXT"])))


# --- building cards (imported by the film and the lecture; no manim run at import) --------------

def card_name(number: int) -> str:
    return f"Chapter{number:02d}"


def series_cards(quality: str, only: list[str] | None = None) -> list[dict]:
    """Every chapter of the series that has scenes, in order: number, title, lead, scenes, and its
    card's video and slides folder (rendered when missing or made from other text or code).
    only: just these scenes, and the chapters that hold them (numbered as in the whole series)."""
    from scenes.kit.registry import chapters
    out = []
    for number, (chapter, names) in enumerate(chapters(), 1):
        names = [n for n in names if not only or n in only]
        if not names:
            continue
        text = dict(number=number, title=chapter.title, lead=chapter.lead)
        video, slides = render_card(number, text, quality)
        out.append(dict(text, scenes=names, name=card_name(number), video=video, slides=slides))
    return out


def render_card(number: int, text: dict, quality: str) -> tuple[Path, Path]:
    from diffusion.core.cache import file_lock
    from scenes.kit.registry import MEDIA, QUALITIES, fail
    from scenes.kit.rendering import run_manim

    name = card_name(number)
    folder = MEDIA / "videos" / "cards" / QUALITIES[quality]
    video, slides = folder / f"{name}.mp4", folder / "slides"
    code = hashlib.sha256(Path(__file__).read_bytes() + Path(style.__file__).read_bytes()).hexdigest()
    made_from = dict(text=text, code=code, theme=style.THEME, quality=quality)
    stamp = folder / f".{name}.stamp.json"
    folder.mkdir(parents=True, exist_ok=True)
    with file_lock(folder / f".{name}.render"):
        try:
            fresh = json.loads(stamp.read_text()) == made_from
        except (FileNotFoundError, ValueError):
            fresh = False
        if fresh and video.exists() and (slides / f"{name}.json").exists():
            return video, slides
        env = dict(CARD_NAME=name, CARD_TEXT=json.dumps(text), SCENES_SLIDES_DIR=str(slides))
        before = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            rc = run_manim(["render", f"-q{quality}", "--media_dir", str(MEDIA), "--progress_bar", "none",
                            str(Path(__file__)), name])
        finally:
            for k, v in before.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if rc or not video.exists():
            fail(f"manim failed rendering the card of chapter {number} (exit {rc})")
        tmp = stamp.with_name(stamp.name + ".part")
        tmp.write_text(json.dumps(made_from))
        os.replace(tmp, stamp)
    print(f"card: chapter {number} ({text['title']}) -> {video}", flush=True)
    return video, slides

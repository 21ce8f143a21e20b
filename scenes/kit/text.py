"""Text makers in the one palette and type scale; importing this installs the shared SVG cache."""
from __future__ import annotations

from manim import MathTex, Text

from . import style, svg_cache

svg_cache.install()      # TeX/Text SVGs shared safely by renders running at the same time


def label(text: str, size: int = style.LABEL_SIZE, color: str = style.TEXT) -> Text:
    return Text(text, font_size=size, color=color)


def math(tex: str, size: int = style.LABEL_SIZE, color: str = style.TEXT, **kw) -> MathTex:
    return MathTex(tex, font_size=size, color=color, **kw)

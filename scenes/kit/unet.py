"""The U-Net architecture diagram, drawn from `UNet.describe(image_size)` (plain data), nothing by hand."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, UP, Arrow, Line, Rectangle, SurroundingRectangle, Text, VGroup

from . import style
from . import text as _text  # noqa: F401  (installs the shared SVG cache)


_KIND_TEXT = {"conv": "conv", "res": "res", "downsample": "↓2", "upsample": "↑2"}


class UNetDiagram(VGroup):
    """A U-Net drawn from `UNet.describe(image_size)` (plain data), nothing by hand.

    Blocks sit in forward order left to right and one row lower per resolution level, so the data
    path makes a U. A block's width grows with its output channels and its height with its output
    resolution; above it: channels and resolution. Skip connections are arrows over the U from each
    down block to the up block that concatenates it; the time embedding runs along the bottom and
    feeds every res block it names. Parts, by block name: `rects`, `boxes` (rect + kind), `labels`,
    `time_feeds`; `skips` by (src, dst); `names` and `modules` list the blocks in forward order.
    """

    def __init__(self, description: dict, col: float = 1.4, row: float = 1.75, max_width: float = 11.0,
                 font_size: int = 24):
        super().__init__()
        blocks = description["blocks"]
        self.description = description
        self.names = [b["name"] for b in blocks]
        self.modules = [b["module"] for b in blocks]
        self.rects, self.boxes, self.labels, self.time_feeds, self.skips = {}, {}, {}, {}, {}
        self._blocks(blocks, col, row, font_size)
        self.flow = VGroup(*[Arrow(self.rects[a].get_right(), self.rects[b].get_left(), buff=0.04, stroke_width=2,
                                   color=style.MUTED, max_tip_length_to_length_ratio=0.35, tip_length=0.12)
                             for a, b in zip(self.names, self.names[1:])])
        self._skips(blocks, description["skips"])
        self._time(description["time_embedding"], font_size)
        self.add(*self.boxes.values(), *self.labels.values(), self.flow, *self.skips.values(), self.time)
        if self.width > max_width:
            self.scale_to_fit_width(max_width)
        self.move_to(np.zeros(3))

    def _blocks(self, blocks, col: float, row: float, font_size: int):
        """A box per block (width by channels, height by resolution, one row lower per level), its kind
        inside and its channels and resolution above."""
        max_ch = max(b["out_ch"] for b in blocks)
        max_res = max(b["resolution"] for b in blocks)
        for i, b in enumerate(blocks):
            w = 0.9 + 0.45 * b["out_ch"] / max_ch
            h = 0.45 + 0.8 * b["resolution"] / max_res
            rect = Rectangle(width=w, height=h, color=style.TEXT if b["kind"] == "res" else style.MUTED,
                             stroke_width=2, fill_color=style.GRID, fill_opacity=0.55)
            rect.move_to(np.array([i * col, -b["level"] * row, 0]))
            kind = Text(_KIND_TEXT.get(b["kind"], b["kind"]), font_size=font_size, color=style.TEXT).move_to(rect)
            if kind.width > 0.85 * w:
                kind.scale_to_fit_width(0.85 * w)
            lab = VGroup(Text(f"{b['out_ch']} ch", font_size=font_size, color=style.MUTED),
                         Text(f"{b['resolution']}×{b['resolution']}", font_size=font_size, color=style.MUTED)
                         ).arrange(DOWN, buff=0.06).next_to(rect, UP, buff=0.08)
            self.rects[b["name"]], self.boxes[b["name"]], self.labels[b["name"]] = rect, VGroup(rect, kind), lab

    def _skips(self, blocks, skips):
        """Skip connections: up from the down block, over the U (above its row's labels), down into the up block."""
        top_of_row = {}
        for name, b in zip(self.names, blocks):
            top = self.labels[name].get_top()[1]
            top_of_row[b["level"]] = max(top_of_row.get(b["level"], -1e9), top)
        for s in skips:
            level = next(b["level"] for b in blocks if b["name"] == s["src"])
            y = top_of_row[level] + 0.3
            a = self.labels[s["src"]].get_top() + UP * 0.05
            d = self.labels[s["dst"]].get_top() + UP * 0.05
            path = VGroup(Line(a, [a[0], y, 0]), Line([a[0], y, 0], [d[0], y, 0]),
                          Arrow([d[0], y, 0], d, buff=0, stroke_width=2.5, tip_length=0.16,
                                max_tip_length_to_length_ratio=0.5))
            path.set_color(style.MUTED)
            for part in path[:2]:
                part.set_stroke(width=2.5)
            self.skips[(s["src"], s["dst"])] = path

    def _time(self, te: dict, font_size: int):
        """The time embedding: a box at the bottom left, a bus under the U, one tick into each fed block."""
        bottom = min(r.get_bottom()[1] for r in self.rects.values())
        y_bus = bottom - 0.35
        self.time_box = VGroup(Text(f"t → time emb ({te['dim']})", font_size=font_size, color=style.HIGHLIGHT))
        self.time_box.add(SurroundingRectangle(self.time_box[0], color=style.HIGHLIGHT, buff=0.08, stroke_width=2))
        self.time_box.next_to([self.rects[self.names[0]].get_left()[0], y_bus - 0.3, 0], DOWN, buff=0,
                              aligned_edge=LEFT)
        fed = [self.rects[n] for n in te["feeds"]]
        x0 = self.time_box.get_center()[0]
        x_end = max(r.get_center()[0] for r in fed)
        self.time_bus = VGroup(Line(self.time_box.get_top(), [x0, y_bus, 0]), Line([x0, y_bus, 0], [x_end, y_bus, 0]))
        self.time_bus.set_stroke(color=style.HIGHLIGHT, width=2)
        for n in te["feeds"]:
            r = self.rects[n]
            self.time_feeds[n] = Arrow([r.get_center()[0], y_bus, 0], r.get_bottom(), buff=0, stroke_width=2,
                                       color=style.HIGHLIGHT, tip_length=0.12, max_tip_length_to_length_ratio=0.3)
        self.time = VGroup(self.time_box, self.time_bus, *self.time_feeds.values())


def unet_diagram(description: dict, **kw) -> UNetDiagram:
    """The architecture diagram of a `UNet.describe(image_size)` description."""
    return UNetDiagram(description, **kw)

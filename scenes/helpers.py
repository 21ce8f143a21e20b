"""Reusable visuals: pixel images of tensors, grids of images, and the base scene class.

Pixel images are single ImageMobjects with nearest-neighbour resampling (never thousands of
Squares), so heavy grids render fast and stay crisp.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from manim import (DOWN, LEFT, ORIGIN, Animation, FadeOut, RESAMPLING_ALGORITHMS, RIGHT, UP, Arrow, DecimalNumber, ImageMobject, Line,
                   ManimColor, MathTex,
                   Rectangle, Scene, SurroundingRectangle, Tex, Text, VGroup, VMobject, Group)
from manim_slides import Slide

from . import style, svg_cache

svg_cache.install()      # TeX/Text SVGs shared safely by renders running at the same time

# --- arrays -> pixels ---------------------------------------------------------------------


def to_gray_uint8(array, vmin: float = -1.0, vmax: float = 1.0) -> np.ndarray:
    """Map values in [vmin, vmax] to 0..255 (clipped)."""
    a = (np.asarray(array, dtype=np.float64) - vmin) / (vmax - vmin)
    return (np.clip(a, 0, 1) * 255).round().astype(np.uint8)


def tile(images, rows: int, cols: int, gap: int = 1, scale: int = 4, vmin=-1.0, vmax=1.0,
         gap_value: int | None = None) -> np.ndarray:
    """(N, H, W) float images -> one uint8 mosaic; each pixel becomes scale x scale, gaps of `gap` px."""
    images = np.asarray(images)
    n, h, w = images.shape
    if n > rows * cols:
        raise ValueError(f"{n} images do not fit a {rows}x{cols} grid")
    g = gap * scale // 2 if gap else 0
    gv = style.BG_LEVEL if gap_value is None else gap_value
    H, W = rows * h * scale + (rows - 1) * g, cols * w * scale + (cols - 1) * g
    out = np.full((H, W), gv, dtype=np.uint8)
    pix = to_gray_uint8(images, vmin, vmax)
    for i in range(n):
        r, c = divmod(i, cols)
        block = np.kron(pix[i], np.ones((scale, scale), dtype=np.uint8))
        out[r * (h * scale + g): r * (h * scale + g) + h * scale, c * (w * scale + g): c * (w * scale + g) + w * scale] = block
    return out


def pixel_image(array, height: float = 2.0, vmin: float = -1.0, vmax: float = 1.0,
                data_scale: int = 1) -> ImageMobject:
    """A 2D array (H, W) of values, or a uint8 mosaic, as a crisp ImageMobject of the given height.
    `data_scale`: array pixels per data pixel (a `tile` mosaic's `scale`), read by the layout audit."""
    a = np.asarray(array)
    pix = a if a.dtype == np.uint8 else to_gray_uint8(a, vmin, vmax)
    img = ImageMobject(pix)
    img.set_resampling_algorithm(RESAMPLING_ALGORITHMS["nearest"])
    img.height = height
    img.data_scale = data_scale
    img.tile_shape = tuple(np.asarray(array).shape[:2]) if data_scale == 1 else None   # set by image_grid
    return img


def image_grid(images, rows: int, cols: int, height: float = 4.0, vmin=-1.0, vmax=1.0, scale: int = 4) -> ImageMobject:
    """N images (N, H, W) as one ImageMobject mosaic."""
    img = pixel_image(tile(images, rows, cols, scale=scale, vmin=vmin, vmax=vmax), height=height, data_scale=scale)
    img.tile_shape = tuple(np.asarray(images).shape[1:3])
    return img


def framed(mob, color, buff: float = 0.04):
    """The mobject with a thin coloured frame around it (a Group, so it works with images)."""
    return Group(mob, SurroundingRectangle(mob, color=color, buff=buff, stroke_width=2))


# --- layout: one title position, the frame's regions, sizing to the space -----------------
# The frame is 14.22 x 8 units; at 480p a unit is 60 px. Layout rules live here, not in scenes.

FRAME_W, FRAME_H = 14.222, 8.0
MARGIN = 0.3                      # kept clear at every edge (the audit's safe area is 0.2)
TITLE_BUFF = 0.3                  # the title line's distance from the top edge
CONTENT_TOP = FRAME_H / 2 - 1.0   # below the title line
NOTE_Y = -FRAME_H / 2 + 0.4       # centre of the footnote line


def heading(text: str, size: int = style.LABEL_SIZE, color: str = style.TEXT) -> Text:
    """A beat's title line, at the one title position (top centre)."""
    t = Text(text, font_size=size, color=color)
    if t.width > FRAME_W - 2 * MARGIN:
        t.scale_to_fit_width(FRAME_W - 2 * MARGIN)
    return t.move_to([0, FRAME_H / 2 - TITLE_BUFF - t.height / 2, 0])


def footnote(text: str, size: int = style.SMALL_SIZE, color: str = style.MUTED) -> Text:
    """One muted line at the bottom edge (what a colour or a number means)."""
    t = Text(text, font_size=size, color=color)
    if t.width > FRAME_W - 2 * MARGIN:
        t.scale_to_fit_width(FRAME_W - 2 * MARGIN)
    return t.move_to([0, NOTE_Y, 0])


def region(left: float = -FRAME_W / 2 + MARGIN, right: float = FRAME_W / 2 - MARGIN,
           top: float = CONTENT_TOP, bottom: float = -FRAME_H / 2 + MARGIN, note: bool = False):
    """A box (x0, y0, x1, y1) of the frame: by default everything below the title line; with
    note=True it also stops above the footnote line."""
    if note:
        bottom = max(bottom, NOTE_Y + 0.35)
    return (left, bottom, right, top)


def fit(mob, box=None, align=None):
    """Scale `mob` to the largest size that fits `box` (a `region()`), and centre it there
    (or put it against the box's `align` edge: LEFT, RIGHT, UP, DOWN)."""
    x0, y0, x1, y1 = box or region()
    mob.scale(min((x1 - x0) / mob.width, (y1 - y0) / mob.height))
    mob.move_to([(x0 + x1) / 2, (y0 + y1) / 2, 0])
    if align is not None:
        if align[0]:
            mob.set_x(x1 - mob.width / 2 if align[0] > 0 else x0 + mob.width / 2)
        if align[1]:
            mob.set_y(y1 - mob.height / 2 if align[1] > 0 else y0 + mob.height / 2)
    return mob


def split(box, weights, gap: float = 0.4, vertical: bool = False):
    """Cut a box into side-by-side (or stacked, top first) boxes with widths in proportion to weights."""
    x0, y0, x1, y1 = box
    total = (y1 - y0 if vertical else x1 - x0) - gap * (len(weights) - 1)
    out, pos = [], (y1 if vertical else x0)
    for w in weights:
        size = total * w / sum(weights)
        if vertical:
            out.append((x0, pos - size, x1, pos))
            pos -= size + gap
        else:
            out.append((pos, y0, pos + size, y1))
            pos += size + gap
    return out


def sized_grid(images, rows: int, cols: int, box=None, vmin=-1.0, vmax=1.0) -> ImageMobject:
    """A mosaic of N images (N, H, W), gaps of half a data pixel, as large as `box` (a `region()`)
    allows and centred in it."""
    return fit(image_grid(images, rows, cols, height=1.0, vmin=vmin, vmax=vmax, scale=8), box)


def row_of(mobs, box, buff_share: float = 0.12):
    """Mobjects (panels, images) in one row, scaled together to fill `box`, with gaps of
    `buff_share` of an item's width. Returns the Group."""
    g = Group(*mobs)
    w = max(m.width for m in mobs)
    g.arrange(RIGHT, buff=buff_share * w)
    return fit(g, box)


def on_image(mob):
    """Mark a label as drawn on a picture on purpose (a "?" over a hidden half): the layout audit
    then does not count it as text colliding with an image."""
    mob.on_image = True
    return mob


def panel(mob, title=None, caption=None, buff: float = 0.15):
    """A picture with an optional label above and caption below (Text/MathTex or str), as a Group
    whose parts are `.body`, `.title`, `.caption`."""
    g = Group(mob)
    g.body, g.title, g.caption = mob, None, None
    if title is not None:
        t = label(title) if isinstance(title, str) else title
        t.next_to(mob, UP, buff=buff)
        g.add(t)
        g.title = t
    if caption is not None:
        c = label(caption, style.SMALL_SIZE) if isinstance(caption, str) else caption
        c.next_to(mob, DOWN, buff=buff)
        g.add(c)
        g.caption = c
    return g


# --- text -------------------------------------------------------------------------------


def label(text: str, size: int = style.LABEL_SIZE, color: str = style.TEXT) -> Text:
    return Text(text, font_size=size, color=color)


def math(tex: str, size: int = style.LABEL_SIZE, color: str = style.TEXT, **kw) -> MathTex:
    return MathTex(tex, font_size=size, color=color, **kw)


_DIGITS = "0123456789.0"          # every digit, a point, and a digit after the point (the point's advance)


class GlyphNumber(VMobject):
    """A number that changes every frame, in text typeset once: Pango (kind "text") or LaTeX ("tex")
    lays out `prefix + "0123456789.0" + suffix` once per (prefix, suffix), and `set_value` copies the
    digit glyphs' outlines into this one VMobject. Building a Text per frame costs about 0.2 s here and
    a DecimalNumber's set_value 35 ms; this is a numpy concatenation. Digits are tabular (one advance),
    as in the fonts we use. `fmt` is "{}"-style text around the number, or a function of the value
    that returns one (plurals). The layout keeps its left end and baseline where the mobject was moved
    or scaled to (`align="centre"`: its centre). A string of other characters is typeset whole, the
    slow way."""

    _templates: dict = {}

    def __init__(self, value: float, fmt="{}", decimals: int = 0, size: int = style.LABEL_SIZE,
                 color: str = style.TEXT, kind: str = "text", sign: bool = False, align: str = "left"):
        super().__init__(fill_color=color, fill_opacity=1.0, stroke_width=0)
        if align not in ("left", "centre"):
            raise ValueError(f"align must be 'left' or 'centre', got {align!r}")
        self.fmt, self.decimals, self.size, self.color_name, self.kind = fmt, decimals, size, color, kind
        self.sign, self.align = sign, align
        self._layout = None
        self.set_value(value)

    # --- the typeset-once template ---
    def _template(self, prefix: str, suffix: str):
        key = (self.kind, self.size, self.color_name, prefix, suffix)
        if key not in self._templates:
            if self.kind == "text":
                mob = Text(prefix + _DIGITS + suffix, font_size=self.size, color=self.color_name)
                glyphs = mob.submobjects
                p = len("".join(prefix.split()))
            else:
                mob = MathTex(prefix + _DIGITS + suffix, font_size=self.size, color=self.color_name)
                glyphs = [g for part in mob.submobjects for g in part.submobjects]
                p = len(glyphs) - len(_DIGITS) - (0 if not suffix else len(MathTex(suffix)[0].submobjects))
            if len(glyphs) - p < len(_DIGITS):
                raise ValueError(f"cannot find the digits in {prefix + _DIGITS + suffix!r}")
            pts = [g.points.copy() for g in glyphs]
            cx = [g.get_center()[0] for g in glyphs]
            pitch = (cx[p + 9] - cx[p]) / 9
            dot_adv = cx[p + 11] - cx[p] - 10 * pitch
            self._templates[key] = dict(pts=pts, p=p, x0=cx[p], pitch=pitch, dot_adv=dot_adv)
        return self._templates[key]

    def _sign(self, sign: str):
        """The sign glyph's points and its offsets, from `sign + "0"` typeset alone."""
        key = (self.kind, self.size, self.color_name, sign)
        if key not in self._templates:
            if self.kind == "text":
                glyphs = Text(("−" if sign == "-" else sign) + "0", font_size=self.size).submobjects
            else:
                glyphs = MathTex(sign + "0", font_size=self.size)[0].submobjects
            self._templates[key] = dict(pts=glyphs[0].points.copy(), left=glyphs[0].get_left()[0],
                                        to_zero=glyphs[1].get_center()[0] - glyphs[0].get_left()[0],
                                        zero_bottom=glyphs[1].get_bottom()[1])
        return self._templates[key]

    def _template_points(self, text: str) -> np.ndarray:
        """Points of `text` (prefix + number + suffix) in the template's coordinates."""
        fmt = self.fmt(self.value) if callable(self.fmt) else self.fmt
        prefix, suffix = fmt.split("{}")
        sign, digits = (text[0], text[1:]) if text[:1] in "+-" and text else ("", text)
        if set(digits) - set(_DIGITS) or not digits:
            mob = (Text(fmt.format(text), font_size=self.size) if self.kind == "text"
                   else MathTex(fmt.format(text), font_size=self.size))
            return np.concatenate([m.points for m in mob.family_members_with_points()])
        tp = self._template(prefix, suffix)
        pts, p, pitch = tp["pts"], tp["p"], tp["pitch"]
        out = list(pts[:p])
        cursor = tp["x0"]
        if sign:                    # the sign takes the first digit's left edge; the digits move right
            sg = self._sign(sign)
            zero_left = pts[p][:, 0].min()
            # each template is centred on its own box: line the two zeros up vertically
            out.append(sg["pts"] + [zero_left - sg["left"], pts[p][:, 1].min() - sg["zero_bottom"], 0])
            cursor += sg["to_zero"] - (tp["x0"] - zero_left)
        for ch in digits:
            k = 10 if ch == "." else int(ch)
            out.append(pts[p + k] + [cursor - (tp["x0"] + k * pitch), 0, 0])
            cursor += tp["dot_adv"] if ch == "." else pitch
        shift = cursor - (tp["x0"] + 11 * pitch + tp["dot_adv"])
        out += [q + [shift, 0, 0] for q in pts[p + len(_DIGITS):]]
        return np.concatenate(out)

    def set_value(self, value: float) -> "GlyphNumber":
        self.value = value
        self.text = f"{value:{'+' if self.sign else ''}.{self.decimals}f}"
        new = self._template_points(self.text)
        if self._layout is None:
            self.set_points(new)
            self.move_to(ORIGIN)
            self._layout = new
            return self
        old_template = self._layout
        cur = self.points
        # the map from template to screen (uniform scale and shift), from where the old text stands now
        w_old = np.ptp(old_template[:, 0])
        s = np.ptp(cur[:, 0]) / w_old if w_old > 0 else 1.0
        b = cur.min(0) - s * old_template.min(0)
        centre_x = self.get_x()
        self.set_points(s * new + b)
        if self.align == "centre":
            self.set_x(centre_x)
        self._layout = new
        return self

    @property
    def font_size(self) -> float:
        """The font size it is drawn at (the layout audit reads it)."""
        w = np.ptp(self._layout[:, 0])
        return self.size * (np.ptp(self.points[:, 0]) / w if w > 0 else 1.0)

    @property
    def initial_height(self) -> float:
        return float(np.ptp(self._layout[:, 1]))


class LiveValue(VGroup):
    """`name = value` for a value that changes every frame: a MathTex name and a GlyphNumber.

    A MathTex rebuilt per frame with the new number runs LaTeX once per distinct value (hundreds of
    compiles in a sweep over t, more at 60 fps); a DecimalNumber lays out digits that LaTeX typeset
    once. `set_value(v)` updates it in place, keeping the number beside the name."""

    def __init__(self, name: str, value: float, decimals: int = 0, size: int = style.LABEL_SIZE,
                 color: str = style.TEXT, buff: float = 0.12):
        self.lhs = MathTex(name + " =", font_size=size, color=color)
        self.number = GlyphNumber(value, decimals=decimals, size=size, color=color, kind="tex")
        self.buff = buff
        super().__init__(self.lhs, self.number)
        self._place()

    def _place(self):
        self.number.next_to(self.lhs, RIGHT, buff=self.buff)
        self.number.set_y(self.lhs[0][-1].get_y())          # level with the "=" (the name's last glyph)

    def set_value(self, value: float) -> "LiveValue":
        self.number.set_value(value)
        self._place()
        return self


# --- base scene ---------------------------------------------------------------------------


class DiffusionScene(Slide):
    """Base class of every scene: palette background, and `beat()` for narrated storyboard beats.

    Subclasses set `description` (one line, shown by `make list`) and may set `poster_time`
    (seconds into the video of the blog's poster frame; default: the fullest frame).

    Every scene is also a manim-slides `Slide`: each `beat()` starts a new slide (a pause for the
    lecturer), with the narration as speaker notes. A plain `manim render` only writes the video;
    slides are saved when $SCENES_SLIDES_DIR is set, as `python -m scenes render` does (beside the video).
    """
    description = ""
    poster_time: float | None = None
    facts: dict = {}               # {claim name: Claim} of `claims()`, checked in setup()
    skip_reversing = True          # no reversed clips for "previous slide": halves the slide build

    def setup(self):
        self.camera.background_color = ManimColor(style.BG)   # a ManimColor: manim-slides reads .to_hex()
        if os.environ.get("SCENES_SLIDES_DIR"):
            self._output_folder = Path(os.environ["SCENES_SLIDES_DIR"])
        # what the narration may say: every claim checked on the loaded data (a false one stops here)
        from .claims import require
        self.facts = require(type(self))

    @classmethod
    def claims(cls) -> list:
        """The claims the narration makes, as scenes.claims.Claim over the loaded data (none here)."""
        return []

    def render(self, *args, **kwargs):
        if os.environ.get("SCENES_SLIDES_DIR"):
            return Slide.render(self, *args, **kwargs)      # video + slide clips + <Scene>.json
        return Scene.render(self, *args, **kwargs)          # video only

    _audit = None                  # a scenes.audit.Recorder while `python -m scenes audit` runs this scene

    def play(self, *args, **kwargs):
        super().play(*args, **kwargs)
        if self._audit is not None:
            self._audit.after_play(self)

    def beat(self, narration: str, duration: float = 2.0):
        """A storyboard beat: a slide pause, and the narration as a subcaption (.srt) from now until
        the next beat starts (`duration` s if nothing is played), and as the slide's speaker notes."""
        if self._audit is not None:
            self._audit.begin_beat(self, narration)
        self._end_subcaption()
        self._beat_start, self._beat_words = self.renderer.time, len(narration.split())
        self._pending_caption = (narration, duration)
        self.next_slide(notes=narration)

    def _end_subcaption(self):
        """Write the current beat's subcaption, now that its real length is known."""
        pending = getattr(self, "_pending_caption", None)
        if pending is not None:
            narration, duration = pending
            span = self.renderer.time - self._beat_start
            if span <= 0:                    # a beat with nothing played: keep the stated duration
                self.add_subcaption(narration, duration=duration)
            else:
                self.add_subcaption(narration, duration=span, offset=-span)
            self._pending_caption = None

    def tear_down(self):
        self._end_subcaption()
        super().tear_down()

    def next_beat(self, narration: str, duration: float = 2.0):
        """A new beat, once the current one has been on screen as long as its narration takes to read."""
        self.hold_narration()
        self.beat(narration, duration)

    def hold_narration(self):
        """Wait until the current beat has lasted the time its narration takes to read
        (style.READING_WPS words per second); nothing if it already has."""
        need = self._reading_left()
        if need > 0.05:
            self.wait(need)

    def _reading_left(self) -> float:
        if getattr(self, "_beat_start", None) is None:
            return 0.0
        return self._beat_words / style.READING_WPS - (self.renderer.time - self._beat_start)

    def layout_exempt(self, check: str, reason: str):
        """Exempt the current beat from one layout-audit check ("fill", "pacing"), with the reason."""
        if self._audit is not None:
            self._audit.exempt(check, reason)

    def title_card(self, title: str, subtitle: str = "", hold: float = 2.5):
        """Open on the title: it is in the very first frame (a video or GIF never starts on black),
        held for `hold` s, then faded out."""
        t = Text(title, font_size=style.TITLE_SIZE, color=style.TEXT)
        group = VGroup(t)
        if subtitle:
            s = Text(subtitle, font_size=style.LABEL_SIZE, color=style.MUTED).next_to(t, DOWN, buff=0.3)
            group.add(s)
        self.layout_exempt("fill", "title card: the title alone, by design")
        self.add(group)
        # held until the opening narration has been read (the fade-out's second included)
        self.wait(max(hold, self._reading_left() - 1.0))
        self.play(FadeOut(group))
        return group


# --- U-Net architecture diagram ------------------------------------------------------------

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
        max_ch = max(b["out_ch"] for b in blocks)
        max_res = max(b["resolution"] for b in blocks)
        self.rects, self.boxes, self.labels, self.time_feeds, self.skips = {}, {}, {}, {}, {}
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
        self.flow = VGroup(*[Arrow(self.rects[a].get_right(), self.rects[b].get_left(), buff=0.04, stroke_width=2,
                                   color=style.MUTED, max_tip_length_to_length_ratio=0.35, tip_length=0.12)
                             for a, b in zip(self.names, self.names[1:])])
        # skip connections: up from the down block, over the U, down into the up block
        top_of_row = {}
        for name, b in zip(self.names, blocks):
            top = self.labels[name].get_top()[1]
            top_of_row[b["level"]] = max(top_of_row.get(b["level"], -1e9), top)
        for s in description["skips"]:
            src, dst = self.rects[s["src"]], self.rects[s["dst"]]
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
        # time embedding: a box at the bottom left, a bus under the U, one tick into each fed block
        te = description["time_embedding"]
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
        y = y_bus
        for n in te["feeds"]:
            r = self.rects[n]
            self.time_feeds[n] = Arrow([r.get_center()[0], y, 0], r.get_bottom(), buff=0, stroke_width=2,
                                       color=style.HIGHLIGHT, tip_length=0.12, max_tip_length_to_length_ratio=0.3)
        self.time = VGroup(self.time_box, self.time_bus, *self.time_feeds.values())
        self.add(*self.boxes.values(), *self.labels.values(), self.flow, *self.skips.values(), self.time)
        if self.width > max_width:
            self.scale_to_fit_width(max_width)
        self.move_to(np.zeros(3))


def unet_diagram(description: dict, **kw) -> UNetDiagram:
    """The architecture diagram of a `UNet.describe(image_size)` description."""
    return UNetDiagram(description, **kw)
# --- plots: histograms with a density overlay, curves from arrays ---------------------------


def density_histogram(axes, values, edges, color: str = style.STATE, opacity: float = 0.6,
                      y_max: float | None = None) -> VMobject:
    """Bars of a density histogram of `values` on `axes` (area 1 over all values, so it compares
    with a density curve). Bars taller than y_max are clipped at y_max. One VMobject (a closed
    rectangle per non-empty bin): redrawn every frame, a Rectangle per bar costs 80 ms a frame."""
    values = np.ravel(np.asarray(values, dtype=np.float64))
    edges = np.asarray(edges, dtype=np.float64)
    counts, _ = np.histogram(values, bins=edges)
    dens = counts / (len(values) * np.diff(edges))
    if y_max is not None:
        dens = np.minimum(dens, y_max)
    keep = dens > 0
    bars = VMobject(stroke_width=0.5, stroke_color=color, fill_color=color, fill_opacity=opacity)
    if keep.any():
        lo = linear_c2p(axes, edges[:-1][keep], np.zeros(keep.sum()))
        hi = linear_c2p(axes, edges[1:][keep], dens[keep])
        x0, y0, x1 = lo[:, 0], lo[:, 1], np.maximum(hi[:, 0], lo[:, 0] + 1e-3)
        y1 = np.maximum(hi[:, 1], y0 + 1e-3)
        corners = np.stack([np.c_[x0, y0], np.c_[x1, y0], np.c_[x1, y1], np.c_[x0, y1]], axis=1)   # (N, 4, 2)
        bars.set_points(closed_paths(corners))
    return bars


def normal_density(x, mean: float = 0.0, std: float = 1.0):
    return np.exp(-0.5 * ((np.asarray(x) - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


def density_overlay(axes, x_range=(-4, 4), color: str = style.TEXT, mean: float = 0.0, std: float = 1.0,
                    stroke_width: float = 3):
    """The normal density N(mean, std^2) drawn on `axes` (default: the standard normal)."""
    return axes.plot(lambda x: float(normal_density(x, mean, std)), x_range=[*x_range, 0.02],
                     color=color, stroke_width=stroke_width)


def straight_cubics(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The cubic Bezier control points of straight segments a -> b (arrays (..., d)): (..., 4, d).
    Many segments in one VMobject are drawn by one cairo path instead of a mobject each."""
    return np.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b], axis=-2)


def closed_paths(corners: np.ndarray, handles: np.ndarray | None = None) -> np.ndarray:
    """Cubic Bezier points of closed paths through `corners` (N, k, 2): straight edges, or arcs where
    `handles` (N, k, 2, 2) gives each edge's two control points. Returns (N * k * 4, 3) for set_points."""
    nxt = np.roll(corners, -1, axis=1)
    if handles is None:
        pts = straight_cubics(corners, nxt).reshape(-1, 2)
    else:
        pts = np.stack([corners, handles[:, :, 0], handles[:, :, 1], nxt], axis=2).reshape(-1, 2)
    return np.c_[pts, np.zeros(len(pts))]


def linear_c2p(axes, x, y) -> np.ndarray:
    """Screen points (N, 3) of coordinates x, y (N,) on linear `axes`: one affine map, taken from where
    the axes stand now, instead of a c2p call per point."""
    o, ex, ey = (np.asarray(axes.c2p(*c)) for c in ((0, 0), (1, 0), (0, 1)))
    return o + np.outer(x, ex - o) + np.outer(y, ey - o)


class PolylineBundle(VMobject):
    """N polylines of K corners each (points (N, K, 3)) as ONE VMobject, one subpath each: drawing a
    hundred particle paths as a hundred VMobjects makes every frame of their Create a hundred partial
    copies; `GrowPaths` grows all of them at once from this one point array."""

    def __init__(self, corners: np.ndarray, **style_kw):
        super().__init__(**style_kw)
        corners = np.asarray(corners, dtype=np.float64)
        self.n_paths, self.n_segments = corners.shape[0], corners.shape[1] - 1
        a, b = corners[:, :-1], corners[:, 1:]
        self.set_points(straight_cubics(a, b).reshape(-1, 3))


class GrowPaths(Animation):
    """Create for a PolylineBundle: every path grows from its first corner at the same pace (as
    Create(VGroup(*paths), lag_ratio=0) does), by cutting one point array at alpha."""

    def __init__(self, bundle: PolylineBundle, **kwargs):
        super().__init__(bundle, introducer=True, **kwargs)

    def begin(self):
        self.full = self.mobject.points.copy().reshape(self.mobject.n_paths, self.mobject.n_segments, 4, 3)
        super().begin()

    def interpolate_mobject(self, alpha: float):
        s = self.mobject.n_segments
        a = self.rate_func(alpha) * s
        k = min(int(a), s - 1)
        f = a - k
        seg = self.full.copy()
        p0, p3 = seg[:, k, 0], seg[:, k, 3]
        end = p0 + (p3 - p0) * f                          # straight segments: the cut is a linear interpolation
        seg[:, k] = straight_cubics(p0, end)
        seg[:, k + 1:] = end[:, None, None, :]            # the rest waits, collapsed, at the growing end
        self.mobject.set_points(seg.reshape(-1, 3))

    def finish(self):
        self.mobject.set_points(self.full.reshape(-1, 3))
        super().finish()


def curve_from_array(axes, ys, color: str, xs=None, stroke_width: float = 3, max_points: int = 400):
    """A polyline through (xs[i], ys[i]) on `axes` (xs defaults to 1..len(ys), the paper's t)."""
    from manim import VMobject

    ys = np.asarray(ys, dtype=np.float64)
    xs = np.arange(1, len(ys) + 1) if xs is None else np.asarray(xs, dtype=np.float64)
    stride = max(1, len(ys) // max_points)
    idx = np.unique(np.r_[np.arange(0, len(ys), stride), len(ys) - 1])
    curve = VMobject(color=color, stroke_width=stroke_width)
    curve.set_points_as_corners([axes.c2p(x, y) for x, y in zip(xs[idx], ys[idx])])
    return curve


def schedule_axes(T: int, y_max: float = 1.0, width: float = 5.5, height: float = 3.0, y_step: float | None = None,
                  x_step: int | None = None, font_size: int = style.TICK_SIZE):
    """Axes for a quantity over the paper's t = 1..T (MUTED axis colour, numbered ticks)."""
    from manim import Axes

    axes = Axes(x_range=[0, T, x_step or T // 2], y_range=[0, y_max, y_step or y_max / 2],
                x_length=width, y_length=height, tips=False,
                axis_config=dict(color=style.MUTED, stroke_width=2, include_numbers=True,
                                 font_size=font_size))
    for ax in (axes.x_axis, axes.y_axis):
        if getattr(ax, "numbers", None) is not None:
            ax.numbers.set_color(style.MUTED)
    return axes


def place_clear(mob, anchor, box, avoid=(), buff: float = 0.25):
    """Put `mob` (a label) next to the point `anchor` on the first side (up, down, right, left, then the
    diagonals) where it lies inside `box` (x0, y0, x1, y1) and its bounding box contains none of the
    points `avoid` ((N, 2) or (N, 3): samples along curves, dot centres, corners of other labels).
    Falls back to the first side. Returns mob."""
    pts = np.asarray(avoid, dtype=np.float64)
    pts = pts[:, :2] if pts.ndim == 2 else np.zeros((0, 2))
    sides = (UP, DOWN, RIGHT, LEFT, UP + RIGHT, UP + LEFT, DOWN + RIGHT, DOWN + LEFT)
    for side in sides:
        mob.next_to(anchor, side, buff=buff)
        lo, hi = mob.get_corner(DOWN + LEFT), mob.get_corner(UP + RIGHT)
        inside = lo[0] >= box[0] and lo[1] >= box[1] and hi[0] <= box[2] and hi[1] <= box[3]
        pad = 0.06
        hit = len(pts) and np.any((pts[:, 0] > lo[0] - pad) & (pts[:, 0] < hi[0] + pad) &
                                  (pts[:, 1] > lo[1] - pad) & (pts[:, 1] < hi[1] + pad))
        if inside and not hit:
            return mob
    return mob.next_to(anchor, sides[0], buff=buff)


def box_points(mob, n: int = 5) -> np.ndarray:
    """An n x n grid of points over mob's bounding box (for place_clear's `avoid`)."""
    lo, hi = mob.get_corner(DOWN + LEFT), mob.get_corner(UP + RIGHT)
    u, v = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return np.stack([u.ravel(), v.ravel()], 1)

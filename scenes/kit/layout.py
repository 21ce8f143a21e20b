"""Layout: one title position, the frame's regions, sizing to the space, labels placed clear of
what is drawn. The frame is 14.22 x 8 units; at 480p a unit is 60 px. Layout rules live here, not in scenes."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Group, ImageMobject, Text

from . import style
from .images import image_grid
from .text import label


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

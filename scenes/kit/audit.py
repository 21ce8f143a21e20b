"""python -m scenes audit [SCENE ...] — the layout audit: every frame legible, uncluttered and full.

Each scene runs in manim's dry run (no video, animations jump to their end) and the scene's mobjects
are inspected at the end of every `play()` (a `wait()` is a play); `DiffusionScene.beat()` marks where
a beat starts. The rules and their bounds (all at 854×480, the -ql render; 1 frame unit = 60 px):

- text: the cap height of every Text/MathTex/number is at least MIN_CAP_PX = 11 px, the "roughly
  12 px" below which labels blur on a phone-sized 480p player. Measured from the font size the
  mobject is drawn at (its scale included) times the cap height per font size of an 'H' (Text,
  0.61 px) or a TeX 'X' (0.43 px): Text needs font size >= 18 (style.SMALL_SIZE 22 gives 13.4 px),
  TeX >= 26 (style.TICK_SIZE; 22 gives 9.4 px). Sub/superscripts count as their formula's size
  (TeX draws them at 70 % by design).
- collisions: no two text boxes overlap; no text box overlaps an image; no drawn line, outline or
  dot (axes, curves, arrows, frames) passes through a text box — a label *inside* a box is fine,
  a line *through* a label is not. Overlaps under OVERLAP_TOL_PX are ignored (anti-aliasing).
  A label meant to sit on a picture is marked with `layout.on_image()`.
- safe area: every visible mobject lies inside the frame with a margin of MARGIN_PX on each side.
- use of the frame: at its fullest moment, a beat's content spans at least MIN_FILL of the frame
  width or of the frame height. The title line (text in the top TITLE_BAND) and a footnote line
  (text in the bottom NOTE_BAND) do not count: they would make any small picture look full.
  A beat opts out with `self.layout_exempt("fill", reason)` (title cards do so by themselves).
- pixel images: every data pixel (a pixel of the array the library made, not of a mosaic's gaps)
  is drawn at least MIN_DATA_PX = 3 screen pixels wide ("a few"), and every image (one tile of a
  mosaic) at least MIN_TILE_PX = 48 px tall, a tenth of the frame height. For an 8×8 digit the tile
  bound rules (6 px a pixel; the 30 px tiles of old read as texture, not as digits); for a 32×32 or
  48×48 image the pixel bound does (at least 96 / 144 px tall).
- pacing: a beat lasts (until the next beat starts, or the video ends) at least the time its
  narration takes to read at WORDS_PER_SECOND. 2.5 words/s (150 per minute) is a relaxed subtitle
  reading speed for viewers who also need to look at the picture (subtitle guidelines allow up to
  ~3 words/s for adults when nothing else competes for the eyes).

One line per violation (scene, beat, what, where); one that stays through consecutive beats is one
line ("beats 5-9"). Exit status 1 if any.
`--sheet DIR` also writes one PNG per beat (the frame at the beat's fullest moment) and a contact
sheet per scene, so the audit doubles as a quick look at every layout without rendering video.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import style
from .registry import ROOT

PX_PER_UNIT = 480 / 8.0      # -ql: 480 px over manim's 8 frame units (and 854 px over 14.22)
MIN_CAP_PX = 11.0
OVERLAP_TOL_PX = 1.5
MARGIN_PX = 12.0
MIN_FILL = 0.70
TITLE_BAND = 1.1             # frame units from the top edge: the one title position (layout.py)
NOTE_BAND = 0.75             # frame units from the bottom edge: one footnote line
MIN_DATA_PX = 3.0
MIN_TILE_PX = 48.0
WORDS_PER_SECOND = style.READING_WPS   # DiffusionScene.hold_narration() waits by the same rule


@dataclass
class Violation:
    scene: str
    beat: int
    narration: str
    what: str
    where: str
    last_beat: int | None = None          # the same violation through beats beat..last_beat

    def line(self) -> str:
        words = " ".join(self.narration.split()[:6])
        beats = f"beats {self.beat}-{self.last_beat}" if self.last_beat not in (None, self.beat) else f"beat {self.beat}"
        return f"{self.scene}  {beats} “{words}…”  {self.what}  {self.where}"


def merge_runs(violations: list) -> list:
    """One line for a violation that stays on screen through consecutive beats."""
    out, open_ = [], {}
    for v in sorted(violations, key=lambda v: v.beat):
        key = (v.what, v.where)
        prev = open_.get(key)
        if prev is not None and (prev.last_beat or prev.beat) == v.beat - 1:
            prev.last_beat = v.beat
            continue
        v.last_beat = v.beat
        open_[key] = v
        out.append(v)
    return out


# --- what is on screen -------------------------------------------------------------------------

def _text_types():
    from manim import DecimalNumber, MarkupText, SingleStringMathTex, Text
    from .numbers import GlyphNumber
    return (Text, MarkupText, SingleStringMathTex, DecimalNumber, GlyphNumber)


def _visible(m) -> bool:
    """Does any part of m draw anything (fill or stroke with opacity > 0)?"""
    from manim import ImageMobject, VMobject
    for s in m.get_family():
        if isinstance(s, ImageMobject):
            if s.pixel_array.shape[-1] == 4 and s.pixel_array[..., 3].max() > 0:
                return True
        elif isinstance(s, VMobject) and len(s.points):
            if s.fill_rgbas is not None and len(s.fill_rgbas) and s.fill_rgbas[:, 3].max() > 0.01:
                return True
            if (s.stroke_rgbas is not None and len(s.stroke_rgbas) and s.stroke_rgbas[:, 3].max() > 0.01
                    and s.get_stroke_width() > 0):
                return True
    return False


def _box(m):
    """(x0, y0, x1, y1) of m's points (images: their corners)."""
    lo, hi = m.get_corner([-1, -1, 0]), m.get_corner([1, 1, 0])
    return np.array([lo[0], lo[1], hi[0], hi[1]])


def collect(scene):
    """The visible text units, images and drawn shapes (VMobjects with points, outside any text)."""
    from manim import ImageMobject, VMobject
    text_types = _text_types()
    texts, images, shapes = [], [], []

    def visit(m):
        if isinstance(m, text_types):
            if len(m.get_all_points()) and _visible(m):
                texts.append(m)
            return
        if isinstance(m, ImageMobject):
            if _visible(m):
                images.append(m)
        elif isinstance(m, VMobject) and len(m.points) and _visible_self(m):
            shapes.append(m)
        for s in m.submobjects:
            visit(s)

    for m in scene.mobjects:
        visit(m)
    return texts, images, shapes


def _visible_self(m) -> bool:
    fill = m.fill_rgbas is not None and len(m.fill_rgbas) and m.fill_rgbas[:, 3].max() > 0.01
    stroke = (m.stroke_rgbas is not None and len(m.stroke_rgbas) and m.stroke_rgbas[:, 3].max() > 0.01
              and m.get_stroke_width() > 0)
    return bool(fill or stroke)


_CAP_PER_FONT_SIZE: dict = {}


def cap_px_per_font_size(kind: str) -> float:
    """Cap height in -ql pixels per unit of manim font size, measured once on an 'H' (Text) / 'X' (TeX)."""
    if kind not in _CAP_PER_FONT_SIZE:
        from manim import MathTex, Text
        m = Text("H", font_size=100) if kind == "text" else MathTex("X", font_size=100)
        _CAP_PER_FONT_SIZE[kind] = m.height * PX_PER_UNIT / 100
    return _CAP_PER_FONT_SIZE[kind]


def _rotated(m) -> bool:
    """A text line turned by 90° (an axis label): its glyphs run along y instead of x."""
    glyphs = [g for g in m.submobjects if len(g.points)]
    if len(glyphs) < 2:
        return False
    c = np.array([g.get_center() for g in glyphs])
    return np.ptp(c[:, 1]) > 2 * np.ptp(c[:, 0])


def cap_px(m) -> float:
    """The cap height at which text unit m is drawn, in -ql pixels."""
    from manim import MarkupText, Text
    if m.height <= 0 or getattr(m, "initial_height", 0) <= 0:
        return float("inf")
    fs = m.font_size
    from manim import DecimalNumber
    if not isinstance(m, DecimalNumber) and _rotated(m):
        fs *= m.width / m.height
    kind = "text" if isinstance(m, (Text, MarkupText)) else getattr(m, "kind", "tex")
    return fs * cap_px_per_font_size(kind)


def describe(m) -> str:
    from manim import DecimalNumber, ImageMobject
    c = m.get_center()
    at = f"at ({c[0]:+.1f}, {c[1]:+.1f})"
    if isinstance(m, DecimalNumber):
        return f"number {m.get_value():g} {at}"
    s = getattr(m, "original_text", None) or getattr(m, "tex_string", None) or getattr(m, "text", None)
    if s:
        s = " ".join(str(s).split())
        return f"“{s[:40]}{'…' if len(s) > 40 else ''}” {at}"
    if isinstance(m, ImageMobject):
        return f"image {m.width:.1f}×{m.height:.1f} {at}"
    return f"{type(m).__name__} {m.width:.1f}×{m.height:.1f} {at}"


def outline_samples(m, spacing: float = 0.04) -> np.ndarray:
    """Points along every cubic Bézier segment of m, at most `spacing` apart (roughly)."""
    pts = m.points
    n = len(pts) // 4
    if n == 0:
        return np.zeros((0, 2))
    seg = pts[: n * 4, :2].reshape(n, 4, 2)
    chord = np.linalg.norm(seg[:, 3] - seg[:, 0], axis=1) + np.linalg.norm(seg[:, 1] - seg[:, 0], axis=1)
    k = int(np.clip(np.ceil(chord.max() / spacing), 2, 200)) if n else 2
    t = np.linspace(0, 1, k)[None, :, None]
    p0, p1, p2, p3 = (seg[:, i][:, None, :] for i in range(4))
    out = ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3)
    return out.reshape(-1, 2)


def _overlap(a, b, tol: float) -> bool:
    return (min(a[2], b[2]) - max(a[0], b[0]) > tol) and (min(a[3], b[3]) - max(a[1], b[1]) > tol)


def data_px(img) -> float:
    """Screen pixels per data pixel of a pixel image (`data_scale`: mosaic pixels per data pixel)."""
    rows, cols = img.pixel_array.shape[:2]
    per = getattr(img, "data_scale", 1)
    return min(img.width / cols, img.height / rows) * per * PX_PER_UNIT


# --- the checks, at the end of one play ---------------------------------------------------------

def check_frame(scene) -> tuple[list, tuple]:
    """[(what, where)] for the current frame, and the (width share, height share) of its content."""
    from manim import config
    tol = OVERLAP_TOL_PX / PX_PER_UNIT
    W, H = config.frame_width, config.frame_height
    texts, images, shapes = collect(scene)
    found = []
    tboxes = [_box(t) for t in texts]
    for t, b in zip(texts, tboxes):
        cap = cap_px(t)
        if cap < MIN_CAP_PX - 0.05:
            found.append(("text too small", f"{describe(t)}: cap height {cap:.1f} px < {MIN_CAP_PX:g}"))
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if _overlap(tboxes[i], tboxes[j], tol):
                found.append(("text overlaps text", f"{describe(texts[i])} and {describe(texts[j])}"))
    iboxes = [_box(im) for im in images]
    for t, b in zip(texts, tboxes):
        if getattr(t, "on_image", False):                 # layout.on_image(): a label on a picture by design
            continue
        for im, ib in zip(images, iboxes):
            if _overlap(b, ib, tol):
                found.append(("text overlaps image", f"{describe(t)} on {describe(im)}"))
    if texts and shapes:
        inner = np.array(tboxes) + np.array([tol, tol, -tol, -tol])
        for s in shapes:
            sb = _box(s) + np.array([-tol, -tol, tol, tol])      # a straight line's box has no height
            near = [i for i, b in enumerate(tboxes) if _overlap(b, sb, 0)]
            if not near:
                continue
            p = outline_samples(s)
            for i in near:
                b = inner[i]
                if np.any((p[:, 0] > b[0]) & (p[:, 0] < b[2]) & (p[:, 1] > b[1]) & (p[:, 1] < b[3])):
                    found.append(("line through text", f"{describe(s)} crosses {describe(texts[i])}"))
    m = MARGIN_PX / PX_PER_UNIT
    for mob in [*texts, *images, *shapes]:
        b = _box(mob)
        if b[0] < -W / 2 + m - 1e-6 or b[2] > W / 2 - m + 1e-6 or b[1] < -H / 2 + m - 1e-6 or b[3] > H / 2 - m + 1e-6:
            found.append(("outside the safe area", f"{describe(mob)} spans x {b[0]:+.2f}..{b[2]:+.2f}, "
                          f"y {b[1]:+.2f}..{b[3]:+.2f} (margin {m:.2f})"))
    for im in images:
        if getattr(im, "data_scale", None) is None:      # not a pixel image (e.g. a density heat map)
            continue
        px = data_px(im)
        if px < MIN_DATA_PX - 0.05:
            found.append(("pixels too small", f"{describe(im)}: {px:.1f} px per data pixel < {MIN_DATA_PX:g}"))
        shape = getattr(im, "tile_shape", None)
        if shape and px * min(shape) < MIN_TILE_PX - 0.5:
            found.append(("image too small", f"{describe(im)}: tiles of {px * shape[0]:.0f} px < {MIN_TILE_PX:g}"))
    # use of the frame: everything except the title line and a footnote line
    boxes = [b for t, b in zip(texts, tboxes) if not (b[1] > H / 2 - TITLE_BAND or b[3] < -H / 2 + NOTE_BAND)]
    boxes += iboxes + [_box(s) for s in shapes]
    if boxes:
        bb = np.array(boxes)
        span = ((bb[:, 2].max() - bb[:, 0].min()) / W, (bb[:, 3].max() - bb[:, 1].min()) / H)
    else:
        span = (0.0, 0.0)
    return found, span


# --- the recorder the scene calls ----------------------------------------------------------------

@dataclass
class Beat:
    narration: str
    start: float
    end: float = 0.0
    span: tuple = (0.0, 0.0)
    exempt: dict = field(default_factory=dict)
    found: dict = field(default_factory=dict)      # (what, where) -> first seen
    frame: object = None                           # RGB array of the fullest moment (--sheet)


class Recorder:
    """Attached to a scene as `scene._audit`; DiffusionScene calls begin_beat / after_play / exempt."""

    def __init__(self, scene_name: str, keep_frames: bool = False):
        self.name = scene_name
        self.keep_frames = keep_frames
        self.beats = [Beat("(before the first beat)", 0.0)]

    def begin_beat(self, scene, narration: str):
        self.beats[-1].end = scene.renderer.time
        self.beats.append(Beat(narration, scene.renderer.time))

    def exempt(self, check: str, reason: str):
        self.beats[-1].exempt[check] = reason

    def after_play(self, scene):
        beat = self.beats[-1]
        found, span = check_frame(scene)
        for f in found:
            beat.found.setdefault(f, True)
        if max(span) >= max(beat.span) - 1e-9:
            if self.keep_frames and max(span) > 0:
                # a dry run leaves a stale background in static_image: draw on a clean one
                saved, scene.renderer.static_image = scene.renderer.static_image, None
                scene.renderer.update_frame(scene, ignore_skipping=True)
                beat.frame = np.array(scene.renderer.get_frame())[..., :3].copy()
                scene.renderer.static_image = saved
        beat.span = (max(beat.span[0], span[0]), max(beat.span[1], span[1]))

    def finish(self, scene):
        self.beats[-1].end = scene.renderer.time

    def violations(self) -> list:
        out = []
        for i, b in enumerate(self.beats):
            if i == 0 and not b.found and b.end - b.start == 0:
                continue
            for what, where in b.found:
                out.append(Violation(self.name, i, b.narration, what, where))
            if i == 0:
                continue
            if "fill" not in b.exempt and max(b.span) < MIN_FILL:
                out.append(Violation(self.name, i, b.narration, "frame not used",
                                     f"content spans {b.span[0]:.0%} of the width and {b.span[1]:.0%} of the "
                                     f"height (< {MIN_FILL:.0%})"))
            need = len(b.narration.split()) / WORDS_PER_SECOND
            if b.end - b.start < need - 0.05 and "pacing" not in b.exempt:
                out.append(Violation(self.name, i, b.narration, "beat too short",
                                     f"lasts {b.end - b.start:.1f} s, its {len(b.narration.split())} words need "
                                     f"{need:.1f} s at {WORDS_PER_SECOND:g} words/s"))
        return out


# --- running scenes ----------------------------------------------------------------------------

def _discover():
    from .registry import discover
    return discover()


def audit_scene(cls, keep_frames: bool = False) -> Recorder:
    """Run one scene class in manim's dry run with the recorder attached; return the recorder."""
    import tempfile
    from manim import config, tempconfig
    media = os.environ.get("SCENES_MEDIA_DIR") or str(ROOT / "media")
    with tempconfig({"dry_run": True, "write_to_movie": False, "save_last_frame": False, "disable_caching": True,
                     "media_dir": media, "pixel_width": 854, "pixel_height": 480, "frame_rate": 15,
                     "progress_bar": "none", "verbosity": "WARNING"}):
        rec = Recorder(cls.__name__, keep_frames)
        scene = cls(skip_animations=True)
        scene._audit = rec
        # Scene.render() without its ending (which would combine movie files that a dry run never wrote)
        scene.setup()
        scene.construct()
        scene.tear_down()
        rec.finish(scene)
    return rec


def contact_sheet(rec: Recorder, path: Path, cols: int = 4):
    from PIL import Image, ImageDraw
    frames = [(i, b.frame) for i, b in enumerate(rec.beats) if b.frame is not None]
    if not frames:
        return
    w, h = 427, 240
    rows = (len(frames) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * w, rows * (h + 16)), (128, 128, 128))
    draw = ImageDraw.Draw(sheet)
    for k, (i, f) in enumerate(frames):
        r, c = divmod(k, cols)
        sheet.paste(Image.fromarray(f).resize((w, h), Image.LANCZOS), (c * w, r * (h + 16) + 16))
        draw.text((c * w + 4, r * (h + 16) + 2), f"beat {i}", fill=(0, 0, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    sheet.save(tmp)
    os.replace(tmp, path)


def main(names=None, sheet: str | None = None) -> int:
    from diffusion.core.presets import active_preset

    from .preset import use_preset
    use_preset(active_preset(default="quick"))     # layout does not depend on how well a model trained
    scenes = _discover()
    names = names or list(scenes)
    unknown = [n for n in names if n not in scenes]
    if unknown:
        print(f"error: unknown scene(s) {', '.join(unknown)}; valid scenes: {', '.join(scenes)}", file=sys.stderr)
        return 2
    total = []
    for name in names:
        t0 = time.perf_counter()
        rec = audit_scene(scenes[name][1], keep_frames=bool(sheet))
        v = merge_runs(rec.violations())
        total += v
        for x in v:
            print(x.line(), flush=True)
        print(f"# {name}: {len(rec.beats) - 1} beats, {len(v)} violations, {time.perf_counter() - t0:.1f} s",
              file=sys.stderr, flush=True)
        if sheet:
            contact_sheet(rec, Path(sheet) / f"{name}.png")
    print(f"# {len(total)} violations in {len(names)} scenes", file=sys.stderr)
    return 1 if total else 0


def cli(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m scenes audit", description=__doc__.split("\n")[0])
    p.add_argument("scenes", nargs="*")
    p.add_argument("--sheet", help="also write a frame per beat as contact sheets DIR/<Scene>.png")
    a = p.parse_args(argv)
    return main(a.scenes, a.sheet)


if __name__ == "__main__":
    sys.exit(cli())

"""Live numbers: values that change every frame, typeset once."""
from __future__ import annotations

import numpy as np
from manim import ORIGIN, RIGHT, MathTex, Text, VGroup, VMobject

from . import style
from . import text as _text  # noqa: F401  (installs the shared SVG cache)


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


class Tracked(VGroup):
    """`tex` and beside it a number that follows `getter()` every frame (a GlyphNumber with an updater),
    for read-outs driven by a ValueTracker; `stop()` freezes it."""

    def __init__(self, tex: str, getter, decimals: int = 0, size: int = 30, color: str = style.TEXT,
                 buff: float = 0.15, sign: bool = False):
        lab = _text.math(tex, size=size, color=color)
        num = GlyphNumber(getter(), decimals=decimals, size=size, color=color, kind="tex", sign=sign)
        num.next_to(lab, RIGHT, buff=buff)
        num.add_updater(lambda m: m.set_value(getter()))
        super().__init__(lab, num)

    def stop(self) -> "Tracked":
        self[1].clear_updaters()
        return self

"""The base scene: palette background, narrated storyboard beats, slides, claims checked in setup()."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from manim import DOWN, FadeOut, ManimColor, Scene, Text, VGroup, VMobject
from manim_slides import Slide

from . import encoder, style
from . import text as _text  # noqa: F401  (installs the shared SVG cache)

encoder.install()      # x264 settings of every partial movie (scenes/kit/encoder.py)


class DiffusionScene(Slide):
    """Base class of every scene: palette background, and `beat()` for narrated storyboard beats.

    Subclasses set `description` (one line, shown by `make list`), `data` (the scene's data part, a
    module of scenes/kit/data/ without Manim: NEEDS, what it loads, and claims(), what the narration
    states) and may set `poster_beat` (the beat whose settled end state is the blog poster; default:
    the richest settled beat end, publish/poster.py) or `poster_time` (seconds into the video).

    Every scene is also a manim-slides `Slide`: each `beat()` starts a new slide (a pause for the
    lecturer), with the narration as speaker notes. A plain `manim render` only writes the video;
    slides are saved when $SCENES_SLIDES_DIR is set, as `python -m scenes render` does (beside the video).
    """
    description = ""
    data = None                    # the data part: a module with NEEDS and claims()
    poster_time: float | None = None
    poster_beat: int | None = None     # the beat whose settled end is the blog poster (publish/poster.py)
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
        """The claims the narration makes, as scenes.kit.claims.Claim over the loaded data: the data
        part's claims() (none without one)."""
        return list(cls.data.claims()) if cls.data is not None else []

    def render(self, *args, **kwargs):
        # the edge of `manim render`: the preset every model of this scene is loaded for, chosen once
        from diffusion.core.presets import active_preset

        from .preset import use_preset
        use_preset(active_preset())
        if os.environ.get("SCENES_SLIDES_DIR"):
            return Slide.render(self, *args, **kwargs)      # video + slide clips + <Scene>.json
        return Scene.render(self, *args, **kwargs)          # video only

    _audit = None                  # a scenes.kit.audit.Recorder while `python -m scenes audit` runs this scene

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

    @contextmanager
    def redrawn(self, redraw):
        """`redraw(dt)` before every frame while the block plays: the updater sits on an empty driver
        mobject first in the scene, so manim redraws every mobject after it in the same frame."""
        driver = VMobject()
        driver.add_updater(redraw)
        self.add(driver)
        self.bring_to_back(driver)
        yield
        driver.clear_updaters()
        self.remove(driver)

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

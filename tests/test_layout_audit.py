"""The layout audit (scenes/kit/audit.py): its checks catch what they claim to (every scene passes it:
tests/test_every_scene.py)."""
import numpy as np
from manim import DOWN, ImageMobject, Line, Text

from scenes.kit import audit
from scenes.kit.images import pixel_image
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label


class _Probe(DiffusionScene):
    """Adds the mobjects it is given, in one beat, and holds for `hold` s."""
    mobs: list = []
    narration = "one two three four five"
    hold = 3.0

    def construct(self):
        self.beat(self.narration, 2)
        self.add(*self.mobs)
        self.wait(self.hold)


def run(mobs, hold=3.0, narration="one two three four five"):
    cls = type("Probe", (_Probe,), dict(mobs=mobs, hold=hold, narration=narration))
    return {v.what for v in audit.audit_scene(cls).violations()}


def big_image():
    return pixel_image(np.zeros((8, 8)), height=6.0)


def test_a_clean_frame_passes():
    assert run([big_image(), label("x0").shift(DOWN * 3.4)]) == set()


def test_each_rule_fails_on_its_own_fault():
    assert "text too small" in run([big_image(), Text("tiny", font_size=12).shift(DOWN * 3.4 + 5 * np.array([1, 0, 0]))])
    a, b = label("first"), label("second")
    assert "text overlaps text" in run([big_image().shift(np.array([-3.5, 0, 0])), a.shift(np.array([4, 0, 0])),
                                         b.shift(np.array([4.1, 0.05, 0]))])
    assert "text overlaps image" in run([big_image(), label("on top")])
    line = Line(np.array([-6, -3.5, 0]), np.array([6, -3.5, 0]))
    assert "line through text" in run([big_image(), line, label("crossed").move_to(np.array([4, -3.5, 0]))])
    assert "outside the safe area" in run([big_image().shift(np.array([0, 1.5, 0]))])
    assert "frame not used" in run([pixel_image(np.zeros((8, 8)), height=1.0)])
    assert "pixels too small" in run([big_image(), pixel_image(np.zeros((64, 64)), height=1.0).shift(np.array([5, 0, 0]))])
    assert "image too small" in run([big_image(), pixel_image(np.zeros((8, 8)), height=0.6).shift(np.array([5, 0, 0]))])
    assert "beat too short" in run([big_image()], hold=1.0, narration="word " * 10)


def test_rotated_labels_measure_their_own_size():
    t = label("a rotated axis label").rotate(np.pi / 2)
    assert abs(audit.cap_px(t) - audit.cap_px(label("a rotated axis label"))) < 0.5

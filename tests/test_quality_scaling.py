"""Higher qualities show the same picture: the helpers every scene draws with (pixel images, text,
formulas, live numbers, frames) are sized in scene units, never in pixels of the 480p frame.
One still frame of a probe scene at 480p and at 2160p (4K); the 4K frame, scaled down, must match."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from publish.frames import BOUNDS, MIN_INK, compare, same_picture

ROOT = Path(__file__).resolve().parent.parent

PROBE = r'''
import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow
from scenes.kit import style
from scenes.kit.images import framed, image_grid, pixel_image
from scenes.kit.numbers import LiveValue
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math


class Probe(DiffusionScene):
    def construct(self):
        rng = np.random.default_rng(0)
        img = framed(pixel_image(rng.uniform(-1, 1, (8, 8)), 2.5), style.STATE).move_to(LEFT * 4)
        grid = image_grid(rng.uniform(-1, 1, (4, 8, 8)), 2, 2, height=2.5).move_to(RIGHT * 4)
        words = label("x_t goes in, eps_hat comes out", style.LABEL_SIZE).to_edge(UP)
        eq = math(r"x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon").to_edge(DOWN)
        t = LiveValue("t", 1000, size=30, color=style.HIGHLIGHT).set_value(417)
        arrow = Arrow(img.get_right(), grid.get_left(), color=style.MUTED)
        self.add(img, grid, words, eq, t.next_to(arrow, UP), arrow)
'''


def still(scene_file: Path, media: Path, quality: str) -> np.ndarray:
    r = subprocess.run([sys.executable, "-m", "manim", "render", f"-q{quality}", "-s", "--progress_bar", "none",
                        "--media_dir", str(media), str(scene_file), "Probe"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    png = next((media / "images").rglob("Probe*.png"))
    return np.asarray(Image.open(png).convert("L"), dtype=np.float64)


@pytest.mark.slow
def test_a_4k_frame_is_the_480p_frame_at_higher_resolution(tmp_path):
    scene_file = tmp_path / "probe.py"
    scene_file.write_text(PROBE)
    low = still(scene_file, tmp_path / "l", "l")
    high = still(scene_file, tmp_path / "k", "k")
    assert low.shape == (480, 854) and high.shape == (2160, 3840)
    # the comparison bench/quality.py applies to every scene (the 4K frame scaled down to 480p): the same
    # things in the same places, ink covering the same pixels up to antialiased edges, and grey levels close
    m = compare(low, high)
    assert m["ink"] > MIN_INK
    for name, bound in BOUNDS.items():
        assert m[name] < bound, (name, m)
    assert same_picture(m)


def test_the_comparison_fails_a_drawing_sized_in_480p_pixels():
    """A square as wide at 4K as at 480p (pixels, not scene units) is a different picture once scaled down;
    the same square scaled with the frame is the same one."""
    low = np.zeros((480, 854))
    low[200:280, 380:460] = 255
    scaled = np.zeros((2160, 3840))
    scaled[900:1260, 1708:2068] = 255
    fixed = np.zeros((2160, 3840))
    fixed[200:280, 380:460] = 255
    assert same_picture(compare(low, scaled))
    assert not same_picture(compare(low, fixed))

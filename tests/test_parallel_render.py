"""Renders running at the same time share media/Tex and media/texts without colliding.

manim compiles TeX inside the shared folder and deletes every non-SVG file there after each
compile, so two renders compiling at once used to delete each other's .dvi ("Your installation
does not support converting .dvi files to SVG"). scenes/kit/svg_cache.py compiles privately and renames
the SVG in atomically; here two renders whose scenes share every TeX string and Text start together
from an empty LaTeX cache, twice, and both must succeed with intact videos and SVGs.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import av
import pytest

ROOT = Path(__file__).resolve().parent.parent

# 16 formulas (each a separate compile) and a Text, the same in both scenes
SCENES = r'''
from manim import MathTex, Text, VGroup
from scenes.kit.scene import DiffusionScene

STRINGS = [rf"x_{{{i}}} = \sqrt{{\bar\alpha_{{{i}}}}}\, x_0 + \sqrt{{1 - \bar\alpha_{{{i}}}}}\, \epsilon" for i in range(16)]


class SharedTexA(DiffusionScene):
    description = "test"
    order = 1

    def construct(self):
        parts = [MathTex(s, font_size=20) for s in STRINGS[::self.order]]
        self.add(VGroup(*parts, Text("shared text", font_size=24)).arrange_in_grid(cols=4).scale_to_fit_width(12))
        self.wait(0.2)


class SharedTexB(SharedTexA):
    order = -1          # the same strings, compiled in the opposite order
'''


def start(scene_file: Path, media: Path, scene: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "manim", "render", "-ql", "--progress_bar", "none",
                             "--media_dir", str(media), str(scene_file), scene],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_two_renders_sharing_tex_strings_both_succeed_twice(tmp_path):
    scene_file = tmp_path / "shared_tex.py"
    scene_file.write_text(SCENES)
    for round_ in range(2):
        media = tmp_path / f"media{round_}"            # an empty LaTeX cache each round
        procs = {name: start(scene_file, media, name) for name in ("SharedTexA", "SharedTexB")}
        for name, p in procs.items():
            out, _ = p.communicate(timeout=600)
            assert p.returncode == 0, f"round {round_ + 1}: {name} failed:\n{out[-3000:]}"
            video = media / "videos" / "shared_tex" / "480p15" / f"{name}.mp4"
            with av.open(str(video)) as c:
                assert sum(1 for _ in c.decode(video=0)) >= 3
        svgs = sorted((media / "Tex").glob("*.svg"))
        assert len(svgs) == 16                               # one per string, no half-written leftovers
        for svg in svgs + sorted((media / "texts").glob("*.svg")):
            ET.parse(svg)                                    # complete XML
        assert not [f for f in (media / "Tex").iterdir() if f.name.startswith(".")]   # no temp files left


def test_text_svg_edit_never_leaves_a_shared_file_empty(tmp_path, monkeypatch):
    """Text edits its cached SVG after every load (manimpango's remove_last_M truncates, then writes):
    a render reading it at that moment parsed an empty file. The installed edit renames a complete
    file into place, and leaves an already edited file untouched."""
    from manim.mobject.text import text_mobject

    import scenes.kit.text  # noqa: F401  (installs svg_cache)
    edit = text_mobject.PangoUtils.remove_last_M
    svg = tmp_path / "glyphs.svg"
    svg.write_text('<svg><path d="M 1 2 L 3 4 Z M 5 6 "/></svg>')
    before = svg.stat().st_ino
    writes = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, mode="r", *a, **k: (
        writes.append((str(f), mode)), real_open(f, mode, *a, **k))[1])
    edit(str(svg))
    assert not [w for w in writes if w[0] == str(svg) and "w" in w[1]]      # never opened for writing
    assert svg.read_text() == '<svg><path d="M 1 2 L 3 4 Z "/></svg>'        # manimpango's edit
    assert svg.stat().st_ino != before                                       # a new file renamed in
    edited = svg.stat().st_ino
    edit(str(svg))
    assert svg.stat().st_ino == edited                                       # nothing to edit: untouched
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]

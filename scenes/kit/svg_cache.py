"""LaTeX and Pango SVGs that renders running at the same time can share without colliding.

manim caches every compiled TeX string as media/Tex/<hash>.svg and every Text as
media/texts/<hash>.svg, which is what makes the second render of a scene fast. But it compiles
inside that shared folder and, after each compile, deletes every file there that is not .svg or
.tex — another render's .dvi included, between that render's compile and its conversion (manim
then says "Your installation does not support converting .dvi files to SVG"); and a render can
open an .svg that dvisvgm or Pango is still writing. Reading is not safe either: SVGMobject writes a
modified copy as <name>_.svg beside the cached file, parses it and deletes it, so two renders
reading the same SVG delete (or overwrite) each other's copy. And Text rewrites its cached SVG in
place after every load (manimpango's PangoUtils.remove_last_M truncates, then writes), so another
render could parse an empty file.

Here every SVG is made in a private temporary folder and moved into the shared one with
os.replace, which is atomic: a render finds a complete SVG or none. Two renders that need the same
new string may both compile it (identical bytes; the last rename wins). The modified copy is
written in a private temporary folder too, and remove_last_M rewrites by atomic rename, only when
it changes something. No locks: nothing is left
locked by a killed render, and it works the same on a folder shared by several machines.

`install()` is called when scenes.kit.text is imported (by every kit module that makes Text or MathTex).
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from pathlib import Path

import svgelements as se
from manim import RIGHT, Mobject, config
from manim.mobject.svg import svg_mobject
from manim.mobject.text import tex_mobject, text_mobject
from manim.utils import tex_file_writing as tfw
from manimpango import PangoUtils

_ORIGINAL_TEXT2SVG = {}


def _write_atomic(dest: Path, data: bytes) -> None:
    """Write `data` to `dest` atomically (temp name in dest's folder, then os.replace)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    # ".part.svg": manim's own cleanup (delete every non-.svg file) never removes a file in flight
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.stem}.", suffix=".part.svg")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def publish(made: Path, dest: Path) -> Path:
    """Copy `made` to `dest` atomically."""
    _write_atomic(dest, made.read_bytes())
    return dest


class AtomicPangoUtils(PangoUtils):
    """manimpango's PangoUtils, whose remove_last_M rewrites a shared SVG without a moment when it is
    empty: the same edit (drop the stray last move-to), written by atomic rename, and only if it changes
    the file (a cached SVG was already edited when it was made)."""

    @staticmethod
    def remove_last_M(file_name: str) -> None:
        path = Path(file_name)
        content = path.read_text(encoding="utf-8")
        edited = re.sub(r'Z M [^A-Za-z]*? "\/>', 'Z "/>', content)
        if edited != content:
            _write_atomic(path, edited.encode("utf-8"))


def tex_to_svg_file(expression: str, environment: str | None = None, tex_template=None) -> Path:
    """manim's tex_to_svg_file (same file names, same commands), compiled in a private folder."""
    if tex_template is None:
        tex_template = config["tex_template"]
    if environment is not None:
        code = tex_template.get_texcode_for_expression_in_env(expression, environment)
    else:
        code = tex_template.get_texcode_for_expression(expression)
    svg = config.get_dir("tex_dir") / f"{tfw.tex_hash(code)}.svg"
    if svg.exists():
        return svg
    fmt = tex_template.output_format
    compilers = tex_template.tex_compiler
    compilers = [compilers] if isinstance(compilers, str) else list(compilers)
    with tempfile.TemporaryDirectory(prefix="manim-tex-") as tmp:
        tex = Path(tmp) / f"{svg.stem}.tex"
        tex.write_text(code, encoding="utf-8")
        for compiler in compilers:
            cmd = tfw.make_tex_compilation_command(compiler, fmt, tex, Path(tmp))
            if subprocess.run(cmd, stdout=subprocess.DEVNULL, cwd=tmp).returncode:
                tfw.print_all_tex_errors(tex.with_suffix(".log"), compiler, tex)
                raise ValueError(f"{compiler} failed on {expression!r} (LaTeX log above)")
        made = tfw.convert_to_svg(tex.with_suffix(fmt), fmt)
        publish(made, svg)
        publish(tex, svg.with_suffix(".tex"))     # kept beside the svg as manim does (debugging)
    return svg


@contextlib.contextmanager
def _text_dir(path):
    old = config.text_dir
    config.text_dir = str(path)
    try:
        yield
    finally:
        config.text_dir = old


def _atomic_text2svg(cls):
    original = _ORIGINAL_TEXT2SVG.setdefault(cls, cls._text2svg)

    def _text2svg(self, color):
        svg = config.get_dir("text_dir") / f"{self._text2hash(color)}.svg"
        if not svg.exists():
            with tempfile.TemporaryDirectory(prefix="manim-text-") as tmp:
                with _text_dir(tmp):
                    made = Path(original(self, color))
                AtomicPangoUtils.remove_last_M(str(made))    # edited before it is shared
                publish(made, svg)
        return str(svg.resolve())

    return _text2svg


def generate_mobject(self):
    """manim's SVGMobject.generate_mobject, with its modified copy of the SVG in a private folder."""
    file_path = self.get_file_path()
    new_tree = self.modify_xml_tree(svg_mobject.ET.parse(file_path))
    with tempfile.TemporaryDirectory(prefix="manim-svg-") as tmp:
        modified = Path(tmp) / f"{file_path.stem}_{file_path.suffix}"
        new_tree.write(modified)
        svg = se.SVG.parse(modified)
    mobjects, mobject_dict = self.get_mobjects_from(svg)
    self.add(*mobjects)
    self.id_to_vgroup_dict = mobject_dict
    self.flip(RIGHT)  # Flip y
    return self


def _deepcopy_sharing_path(self, memo):
    """Mobject.__deepcopy__, but the glyph's parsed SVG path (svgelements objects, read once when the
    points are generated, never changed) is shared, not copied: copying it was ~90 % of the cost of
    copying a Text or MathTex, and every Transform, FadeIn or FadeOut copies its mobjects."""
    path = self.__dict__.get("path_obj")
    if path is not None:
        memo[id(path)] = path
    return Mobject.__deepcopy__(self, memo)


def install() -> None:
    """Route manim's TeX and Text SVG caches through private folders and atomic renames (idempotent)."""
    tfw.tex_to_svg_file = tex_to_svg_file
    tex_mobject.tex_to_svg_file = tex_to_svg_file      # imported by name there
    for cls in (text_mobject.Text, text_mobject.MarkupText):
        cls._text2svg = _atomic_text2svg(cls)
    text_mobject.PangoUtils = AtomicPangoUtils           # imported by name there
    svg_mobject.SVGMobject.generate_mobject = generate_mobject
    svg_mobject.VMobjectFromSVGPath.__deepcopy__ = _deepcopy_sharing_path

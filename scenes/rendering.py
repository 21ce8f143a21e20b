"""Render one scene: check inputs, build what it loads (scenes/registry.py `needs`), run manim.

Safe to run many at once (make -j N, two terminals, several machines sharing the folder):
- LaTeX and Text SVGs are made privately and renamed into the shared cache (scenes/svg_cache.py);
- manim keeps partial movies per module, quality and scene
  (media/videos/<module>/<quality>/partial_movie_files/<Scene>/), so different scenes never share
  them; two renders of the same scene and quality (and theme) take turns on a file lock beside
  the video, so they never write the same partial movies or the same MP4 at once;
- trained models and trajectories come from the diffusion cache (atomic writes, a lock per artifact).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from diffusion.core.cache import file_lock

from .registry import MEDIA, ROOT, check_quality, check_scene, discover, fail, prepare, video_path


def validate_inputs(cls) -> None:
    """Run the scene's optional `validate_inputs()` classmethod (e.g. IMAGE/CROP checks) before manim
    starts, so a bad input stops with one line on stderr and nothing written."""
    check = getattr(cls, "validate_inputs", None)
    if callable(check):
        try:
            check()
        except ValueError as e:
            fail(str(e))


def check_claims(cls) -> None:
    """Stop before manim starts when the scene's narration would state a false claim."""
    from scenes.claims import ClaimFailed, require

    try:
        require(cls)
    except ClaimFailed as e:
        fail(str(e))


def render(name: str, quality: str, extra=()):
    from scenes.preflight import check_system

    scenes = discover()
    check_scene(name, scenes)
    check_quality(quality)
    check_system()
    module, cls = scenes[name]
    validate_inputs(cls)
    prepare(name, scenes)                     # train/sample only what this scene loads, with progress
    check_claims(cls)                         # a video never states a false claim
    out = video_path(module, name, quality)
    cmd = [sys.executable, "-m", "manim", "render", f"-q{quality}", "--media_dir", str(MEDIA),
           "--progress_bar", "none", str(ROOT / "scenes" / f"{module}.py"), name, *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with file_lock(out.parent / f".{name}.render"):   # same scene + quality + theme: one at a time
        t0 = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT, env=env)
        seconds = time.perf_counter() - t0
    if r.returncode:
        fail(f"manim failed rendering {name} (exit {r.returncode})")
    print(f"rendered {name} in {seconds:.0f} s -> {out}")
    return out

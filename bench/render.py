"""Render cost of every scene at -ql, relative to the floor: an empty scene of the same length and
frame rate, rendered in the same run through the same command. Prints a table and writes
bench/results/render.json.

  make bench            (or: PYTHONPATH=. .venv/bin/python bench/render.py [--scenes A B])

ratio = scene render seconds / empty-scene render seconds. Both include starting Python and manim,
and manim's cache is off so nothing is reused. The digits model is trained (if missing) before the
timings; run `make models` first if a scene needs another model, or its training counts as render.
A ratio far above the others points at a slow scene (e.g. thousands of Squares, not an ImageMobject).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EMPTY = '''from manim import Scene, config
from scenes import style

class Empty(Scene):
    def construct(self):
        self.camera.background_color = style.BG
        self.wait({seconds})
'''


def timed(cmd, env) -> float:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    return time.perf_counter() - t0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--scenes", nargs="*", help="only these scenes (default: every scene)")
    args = p.parse_args()
    from scenes.registry import discover
    from publish.video import probe

    scenes = discover()
    names = args.scenes or list(scenes)
    from scenes.common import digits_model
    digits_model()                                   # train/load outside the timings
    media = Path(tempfile.mkdtemp(prefix="bench-render-"))
    env = dict(os.environ, SCENES_MEDIA_DIR=str(media), PYTHONPATH=str(ROOT))
    rows = []
    for name in names:
        module, _ = scenes[name]
        seconds = timed([sys.executable, "-m", "scenes", "render", name, "--quality", "l", "--disable_caching"], env)
        info = probe(media / "videos" / module / "480p15" / f"{name}.mp4")
        empty_py = media / f"empty_{name}.py"
        empty_py.write_text(EMPTY.format(seconds=round(info.seconds, 3)))
        floor = timed([sys.executable, "-m", "manim", "render", "-ql", "--disable_caching", "--progress_bar", "none",
                       "--media_dir", str(media / "empty"), str(empty_py), "Empty"], env)
        rows.append(dict(scene=name, video_seconds=round(info.seconds, 1), fps=info.fps,
                         render_seconds=round(seconds, 1), empty_seconds=round(floor, 1),
                         ratio=round(seconds / floor, 2)))
        r = rows[-1]
        print(f"{name:<24}{r['video_seconds']:>8}{r['render_seconds']:>10}{r['empty_seconds']:>10}{r['ratio']:>8}", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "render.json").write_text(json.dumps(dict(quality="l", preset=os.environ.get("DIFFUSION_PRESET", "default"),
                                                     scenes=rows), indent=2))
    print(f"{'scene':<24}{'video s':>8}{'render s':>10}{'empty s':>10}{'ratio':>8}")
    for r in sorted(rows, key=lambda r: -r["ratio"]):
        print(f"{r['scene']:<24}{r['video_seconds']:>8}{r['render_seconds']:>10}{r['empty_seconds']:>10}{r['ratio']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

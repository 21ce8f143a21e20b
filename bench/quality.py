"""Higher qualities show the same picture, scene by scene: one frame of every scene rendered at -ql
and at a higher quality (default -qk, 2160p), the high one scaled down to 854x480 and compared.
Writes bench/reports/quality-<q>.md (and bench/results/quality-<q>.json); exits 1 when a scene differs.

  python -m bench.quality [--quality h|k] [--animation N] [--scenes A B]

The frame is the one at the end of animation N (manim `-s -n 0,N`: construct() runs, only that frame
is drawn), so a whole scene is checked without rendering its video at 4K. The comparison and its bounds
are publish/frames.py's (tests/test_quality_scaling.py holds them on a probe scene): the ink must cover
the same share of the frame, the pixels where only one frame has ink must stay few, and the grey levels
close. A scene sized in pixels of the 480p frame (a text, a stroke, an image) fails these.
Also reports seconds per still at each quality (construct() included).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.report import ROOT, Report, save_json
from publish.frames import BOUNDS, MIN_INK, compare, same_picture


def still(module: str, name: str, quality: str, animation: int, media: Path) -> tuple[np.ndarray, float]:
    cmd = [sys.executable, "-m", "manim", "render", f"-q{quality}", "-s", "-n", f"0,{animation}",
           "--progress_bar", "none", "--disable_caching", "--media_dir", str(media),
           str(ROOT / "scenes" / f"{module}.py"), name]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    png = max((media / "images").rglob(f"{name}*.png"), key=lambda p: p.stat().st_mtime)
    return np.asarray(Image.open(png).convert("L"), dtype=np.float64), seconds


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--quality", default="k", choices=["m", "h", "k"])
    p.add_argument("--animation", type=int, default=12, help="compare the frame at the end of this animation")
    p.add_argument("--retry-animation", type=int, default=20, help="used instead when that frame is (nearly) empty")
    p.add_argument("--scenes", nargs="*")
    args = p.parse_args(argv)
    from diffusion.core.presets import active_preset
    from scenes.kit.preset import use_preset
    from scenes.kit.registry import discover, prepare
    use_preset(active_preset())          # the models the scenes load are of this preset

    scenes = discover()
    names = args.scenes or list(scenes)
    for name in names:
        prepare(name, scenes)
    rows = []
    for name in names:
        module, _ = scenes[name]
        for animation in (args.animation, args.retry_animation):
            media = Path(tempfile.mkdtemp(prefix="bench-quality-"))
            low, t_low = still(module, name, "l", animation, media / "l")
            if compare(low, low)["ink"] >= MIN_INK:
                break
        high, t_high = still(module, name, args.quality, animation, media / args.quality)
        row = dict(scene=name, animation=animation, shape=list(high.shape), seconds_l=round(t_low, 1),
                   **{f"seconds_{args.quality}": round(t_high, 1)}, **compare(low, high))
        # a frame with (almost) nothing on it compares trivially: it is reported, not passed
        row["ok"] = same_picture(row)          # a nearly empty frame compares trivially: reported, not passed
        rows.append(row)
        print(f"{name}: {'ok' if row['ok'] else ('EMPTY FRAME' if row['ink'] < MIN_INK else 'DIFFERS')}", flush=True)
    rep = Report(f"quality-{args.quality}", f"Every scene at -q{args.quality} against -ql", argv=argv)
    rep.text(f"One frame per scene (the end of animation {args.animation}, or {args.retry_animation} when that one "
             f"is nearly empty) at -ql and at -q{args.quality}, the high one scaled down to 854x480. Bounds: {BOUNDS}; "
             f"at least {MIN_INK:.1%} of the frame drawn.")
    rep.table(["scene", "animation", "ink", "ink share", "ink xor", "mean diff", "s at l", f"s at {args.quality}"],
              [[r["scene"], r["animation"], r["ink"], r["ink_share"], r["ink_xor"], r["mean_diff"], r["seconds_l"],
                r[f"seconds_{args.quality}"]] for r in rows])
    for r in rows:
        rep.check(f"{r['scene']}: the same picture", "ok" if r["ok"] else
                  ("empty frame" if r["ink"] < MIN_INK else "differs"), "within bounds", r["ok"])
    save_json(f"quality-{args.quality}", dict(quality=args.quality, animation=args.animation, bounds=BOUNDS, scenes=rows))
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

"""Higher qualities show the same picture, scene by scene: one frame of every scene rendered at -ql
and at a higher quality (default -qk, 2160p), the high one scaled down to 854x480 and compared.
Prints a table and writes bench/results/quality-<q>.json.

  PYTHONPATH=. .venv/bin/python bench/quality.py [--quality h|k] [--animation N] [--scenes A B]

The frame is the one at the end of animation N (manim `-s -n 0,N`: construct() runs, only that frame
is drawn), so a whole scene is checked without rendering its video at 4K. The comparison is
tests/test_quality_scaling.py's, on real scenes: "ink" is a pixel more than 40 grey levels from the
background; the ink must cover the same share of the frame (within 15 %), the pixels where only one
of the two has ink must stay under 25 % of the ink, and the mean grey-level difference under 6.
A scene sized in pixels of the 480p frame (a text, a stroke, an image) fails these.
Also prints seconds per still at each quality (construct() included).
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

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BOUNDS = dict(ink_share=0.15, ink_xor=0.25, mean_diff=6.0)
MIN_INK = 0.005        # at least 0.5 % of the frame drawn, or the comparison says nothing


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


def compare(low: np.ndarray, high: np.ndarray) -> dict:
    down = np.asarray(Image.fromarray(high.astype(np.uint8)).resize(low.shape[::-1], Image.Resampling.BOX),
                      dtype=np.float64)
    bg = np.median(low)
    ink_low, ink_high = np.abs(low - bg) > 40, np.abs(down - bg) > 40
    ink = max(ink_low.mean(), 1e-9)
    return dict(ink=round(float(ink_low.mean()), 4), ink_share=round(abs(ink_low.mean() - ink_high.mean()) / ink, 3),
                ink_xor=round((ink_low ^ ink_high).mean() / ink, 3),
                mean_diff=round(float(np.abs(low - down).mean()), 2))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--quality", default="k", choices=["m", "h", "k"])
    p.add_argument("--animation", type=int, default=12, help="compare the frame at the end of this animation")
    p.add_argument("--retry-animation", type=int, default=20, help="used instead when that frame is (nearly) empty")
    p.add_argument("--scenes", nargs="*")
    args = p.parse_args()
    from scenes.kit.registry import discover, prepare

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
        row["ok"] = row["ink"] >= MIN_INK and all(row[k] < b for k, b in BOUNDS.items())
        rows.append(row)
        verdict = "ok" if row["ok"] else ("EMPTY FRAME" if row["ink"] < MIN_INK else "DIFFERS")
        print(f"{name:<24}{row['ink']:>7}{row['ink_share']:>10}{row['ink_xor']:>9}{row['mean_diff']:>10}"
              f"{row['seconds_l']:>9}{row[f'seconds_{args.quality}']:>9}  {verdict}", flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"quality-{args.quality}.json").write_text(json.dumps(dict(quality=args.quality, animation=args.animation,
                                                                      bounds=BOUNDS, scenes=rows), indent=2))
    print(f"{'scene':<24}{'ink':>7}{'ink share':>10}{'ink xor':>9}{'mean diff':>10}{'s at l':>9}{'s at ' + args.quality:>9}")
    bad = [r["scene"] for r in rows if not r["ok"]]
    print(f"bounds {BOUNDS}: " + (f"exceeded by {', '.join(bad)}" if bad else f"met by every scene at -q{args.quality}"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

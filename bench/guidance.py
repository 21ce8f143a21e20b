"""Classifier-free guidance on the conditional digits model, measured over a sweep of w.

  PYTHONPATH=. .venv/bin/python bench/guidance.py [--preset default] [--fresh]

For every w: the share of samples the classifier puts in the requested class, the variety within a
class (mean pairwise distance of the samples; spread of their classifier features), and the Fréchet
distance of their features to the held-out digits of that class (averaged over the ten classes).
The sweep is the cached study the Guidance scene loads (diffusion/studies/guidance.py); by default the
model and the study come from $DIFFUSION_CACHE (or ./cache), --fresh trains and measures in a private
temporary cache. Prints the table and the bounds checked; writes bench/results/guidance.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="default")
    p.add_argument("--fresh", action="store_true", help="train and measure in a private temporary cache")
    args = p.parse_args()
    if args.fresh:
        os.environ["DIFFUSION_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
    from diffusion.models import get_model
    from diffusion.studies.guidance import default_study_config, get_guidance_study

    t0 = time.perf_counter()
    tm = get_model("digits-cond", args.preset)
    cfg = default_study_config(args.preset)
    s = get_guidance_study(tm, cfg)
    wall = time.perf_counter() - t0

    rows = s["rows"]
    ws = [r["w"] for r in rows]
    share = np.array([r["share"] for r in rows])
    div = np.array([r["diversity"] for r in rows])
    spread = np.array([r["spread"] for r in rows])
    fd = np.array([r["fd"] for r in rows])
    print(f"conditional digits model {tm.key} ({args.preset}): {len(tm.history['loss'])} steps, trained in "
          f"{tm.history['seconds'][-1]:.0f} s; DDIM {s['steps']} steps, {s['n_per_class']} samples per class and w, "
          f"the same x_T for every class and w")
    print(f"{'w':>5} {'requested class':>16} {'mean pair dist':>15} {'feature spread':>15} {'FD to class':>12}")
    for r in rows:
        print(f"{r['w']:>5g} {r['share']:>15.1%} {r['diversity']:>15.2f} {r['spread']:>15.2f} {r['fd']:>12.1f}")
    real, null = s["real"], s["null"]
    print(f"{'real':>5} {real['share']:>15.1%} {real['diversity']:>15.2f} {real['spread']:>15.2f} "
          f"{real['fd_floor']:>12.1f}   "
          f"(held-out digits; FD: train half vs held-out)")
    print(f"{'∅':>5} {'-':>16} {null['diversity']:>15.2f} {null['spread']:>15.2f} {'-':>12}   "
          f"(null label = unconditional; classes read {null['class_counts'].tolist()})")

    bounds = {
        "share rises with w (never falls by more than 1 point)": bool(np.all(np.diff(share) >= -0.01)),
        "share at the largest w >= share at w = 0 + 5 points": bool(share[-1] >= share[0] + 0.05),
        "plain conditional (w = 0) gets the class >= 80 %": bool(share[0] >= 0.8),
        "variety falls: mean pair distance at the largest w < at w = 0": bool(div[-1] < div[0]),
        "feature spread at the largest w < at w = 0": bool(spread[-1] < spread[0]),
        "unconditional samples cover all ten classes": bool((null["class_counts"] > 0).all()),
    }
    if args.fresh:
        bounds["trains within 300 s"] = bool(tm.history["seconds"][-1] <= 300)
    for k, ok in bounds.items():
        print(f"bound {k:<66}{'met' if ok else 'MISSED'}")
    res = dict(preset=args.preset, model=tm.key, train_steps=len(tm.history["loss"]),
               train_seconds=round(tm.history["seconds"][-1], 1), wall_seconds=round(wall, 1),
               steps=int(s["steps"]), n_per_class=int(s["n_per_class"]), ws=ws,
               share=share.round(4).tolist(), diversity=div.round(4).tolist(), spread=spread.round(4).tolist(),
               fd=fd.round(2).tolist(), real=dict(share=round(real["share"], 4), diversity=round(real["diversity"], 4),
                                                   spread=round(real["spread"], 4), fd_floor=round(float(real["fd_floor"]), 2)),
               null=dict(diversity=round(null["diversity"], 4), class_counts=null["class_counts"].tolist()),
               bounds=bounds)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "guidance.json").write_text(json.dumps(res, indent=2))
    return 0 if all(bounds.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

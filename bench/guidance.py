"""Classifier-free guidance on the conditional digits model, measured over a sweep of w.

  python -m bench.guidance [--preset default] [--fresh]

For every w: the share of samples the classifier puts in the requested class, the variety within a
class (mean pairwise distance of the samples; spread of their classifier features), and the Fréchet
distance of their features to the held-out digits of that class (averaged over the ten classes).
The sweep is the cached study the Guidance scene loads (diffusion/studies/guidance.py); by default the
model and the study come from $DIFFUSION_CACHE (or ./cache), --fresh trains and measures in a private
temporary cache. Writes bench/reports/guidance.md (and bench/results/guidance.json); exits 1 when a
bound is missed.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from bench.report import Report, save_json


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="default")
    p.add_argument("--fresh", action="store_true", help="train and measure in a private temporary cache")
    args = p.parse_args(argv)
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
    rep = Report("guidance", "Classifier-free guidance on the conditional digits model", argv=argv)
    rep.text(f"Conditional digits model {tm.key} ({args.preset}): {len(tm.history['loss'])} steps, trained in "
             f"{tm.history['seconds'][-1]:.0f} s; DDIM {s['steps']} steps, {s['n_per_class']} samples per class and "
             f"w, the same x_T for every class and w. Real: held-out digits (FD: train half vs held-out); "
             f"null: the null label, unconditional (classes read {s['null']['class_counts'].tolist()}).")
    real, null = s["real"], s["null"]
    rep.table(["w", "requested class", "mean pair dist", "feature spread", "FD to class"],
              [[f"{r['w']:g}", f"{r['share']:.1%}", f"{r['diversity']:.2f}", f"{r['spread']:.2f}", f"{r['fd']:.1f}"]
               for r in rows]
              + [["real", f"{real['share']:.1%}", f"{real['diversity']:.2f}", f"{real['spread']:.2f}",
                  f"{real['fd_floor']:.1f}"],
                 ["null", "-", f"{null['diversity']:.2f}", f"{null['spread']:.2f}", "-"]])

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
        rep.check(k, "yes" if ok else "no", "holds", ok)
    save_json("guidance", dict(
        preset=args.preset, model=tm.key, train_steps=len(tm.history["loss"]),
        train_seconds=round(tm.history["seconds"][-1], 1), wall_seconds=round(wall, 1),
        steps=int(s["steps"]), n_per_class=int(s["n_per_class"]), ws=ws,
        share=share.round(4).tolist(), diversity=div.round(4).tolist(), spread=spread.round(4).tolist(),
        fd=fd.round(2).tolist(), real=dict(share=round(real["share"], 4), diversity=round(real["diversity"], 4),
                                            spread=round(real["spread"], 4), fd_floor=round(float(real["fd_floor"]), 2)),
        null=dict(diversity=round(null["diversity"], 4), class_counts=null["class_counts"].tolist()), bounds=bounds))
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

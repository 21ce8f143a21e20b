"""Quality and speed of the digits model. Writes bench/reports/digits.md (and bench/results/digits.json).

  make bench            (or: python -m bench.digits [--preset default] [--set NAME=VALUE ...] [--reuse-cache])

Measures, on this machine:
- training time from scratch (a private temporary cache, so nothing is reused)
- sampling 1000 digits with 50 DDIM steps (seconds; x_T seed 1234)
- Fréchet distance of classifier features (classifier trained on the train half) against the
  held-out half, for 1000 samples under each of the x_T seeds QUALITY_SEEDS (1234, 4321, 1, ..., 6):
  the mean over the seeds of samples-vs-held-out / real-vs-held-out (the floor) is the headline,
  with its min-max spread; noise vs held-out for scale
- share of samples classified with confidence > 0.9 (mean over the seeds), and the classes present
  (in every seed)
- the same Fréchet ratio for the exact score of the train half (diffusion/core/empirical.py) under the
  same sampler and seeds: what a perfect memoriser of the training set reaches with DDIM 50, a reference
  for the bound (not a target)
and checks each target with its bound (exit status 1 when one is missed). bench/digits_sweep.py screens
samplers and training variants with the same scoring (diffusion.models.digits.classifier.model_quality).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch

from bench.report import Report, save_json
from diffusion.core.settings import parse_setting
from diffusion.models import get_recipe


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--preset", default="default")
    p.add_argument("--set", dest="settings", type=parse_setting, action="append", default=[], metavar="NAME=VALUE",
                   help="override a training setting of the preset (repeatable), as in python -m diffusion "
                        "train; unet.FIELD=V changes one field of the U-Net config")
    p.add_argument("--reuse-cache", action="store_true",
                   help="load the model from $DIFFUSION_CACHE (default ./cache) instead of training anew")
    args = p.parse_args(argv)
    if not args.reuse_cache:
        os.environ["DIFFUSION_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
    from diffusion.models.digits.classifier import QUALITY_SEEDS, model_quality
    from diffusion.models import get_model
    from diffusion.core.sample import sample

    torch.manual_seed(0)
    t0 = time.perf_counter()
    tm = get_model("digits", get_recipe("digits").config(args.preset, **dict(args.settings)))
    train_seconds = tm.history["seconds"][-1]
    wall = time.perf_counter() - t0

    sample(tm.model, tm.schedule, tm.noise(50, seed=1234), "ddim", 5, record=False)   # warm-up
    q = model_quality(tm.model, tm.schedule, QUALITY_SEEDS, n=1000, steps=50, image_size=tm.config.image_size)
    sample_seconds = q["sample_seconds"][1234]      # 1000 samples, DDIM 50, x_T = tm.noise(1000, seed=1234)
    from diffusion.core.empirical import EmpiricalEps
    from diffusion.models.digits.data import load_dataset

    train_x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "train")
    memo = model_quality(EmpiricalEps(train_x, tm.schedule), tm.schedule, QUALITY_SEEDS, n=1000, steps=50,
                         image_size=tm.config.image_size)
    counts = np.sum([r["class_counts"] for r in q["per_seed"].values()], axis=0).tolist()
    res = dict(
        preset=args.preset, settings={k: repr(v) for k, v in args.settings}, image_size=tm.config.image_size, train_steps=len(tm.history["loss"]),
        train_seconds=round(train_seconds, 1), model_wall_seconds=round(wall, 1),
        sample_1000_ddim50_seconds=round(sample_seconds, 2),
        quality_seeds=list(QUALITY_SEEDS),
        fd_samples=round(q["fd_mean"], 3), fd_real=round(q["fd_real"], 3), fd_noise=round(q["fd_noise"], 3),
        fd_ratio_per_seed=[round(r["fd_ratio_samples_to_real"], 3) for r in q["per_seed"].values()],
        fd_ratio_pooled=round(q["ratio_pooled"], 3),
        confident_share=round(q["confident_mean"], 3),
        classes_present=[c for c in range(10) if all(r["class_counts"][c] for r in q["per_seed"].values())],
        class_counts=counts, min_class_count_per_seed=q["min_class_count"],
        torch_threads=torch.get_num_threads(),
    )
    res["fd_ratio_samples_to_real"] = round(q["ratio_mean"], 2)
    res["fd_ratio_spread"] = [round(q["ratio_min"], 2), round(q["ratio_max"], 2)]
    res["memoriser_fd_ratio"] = round(memo["ratio_mean"], 2)
    res["memoriser_fd_ratio_spread"] = [round(memo["ratio_min"], 2), round(memo["ratio_max"], 2)]
    res["targets"] = dict(
        train_under_300s=res["train_seconds"] <= 300,
        sample_under_10s=res["sample_1000_ddim50_seconds"] < 10,
        fd_within_1_5x_real=res["fd_ratio_samples_to_real"] <= 1.5,
        confident_90pct=res["confident_share"] >= 0.9,
        all_ten_classes=len(res["classes_present"]) == 10,
    )
    rep = Report("digits", "The digits model: quality and speed", argv=argv)
    rep.text(f"Preset {args.preset}" + (f" with {dict(args.settings)}" if args.settings else "") + ", "
             + ("loaded from the cache" if args.reuse_cache else "trained from scratch in a private cache")
             + f"; {res['train_steps']} training steps. Fréchet distance of classifier features to the held-out "
             f"half, 1000 samples per x_T seed (seeds {res['quality_seeds']}), DDIM 50; the ratio divides by the "
             "real-vs-held-out floor.")
    rep.table(["measure", "value"], [[k, res[k]] for k in (
        "train_steps", "train_seconds", "sample_1000_ddim50_seconds", "fd_samples", "fd_real", "fd_noise",
        "fd_ratio_samples_to_real", "confident_share")]
        + [["fd_ratio per seed", f"{res['fd_ratio_per_seed']} (pooled {res['fd_ratio_pooled']})"],
           ["classes present in every seed", f"{len(res['classes_present'])}; counts {res['class_counts']}"],
           ["memoriser (exact score of the train half), a reference",
            f"{res['memoriser_fd_ratio']} (spread {res['memoriser_fd_ratio_spread'][0]}-"
            f"{res['memoriser_fd_ratio_spread'][1]}), same sampler and seeds"]])
    bounds = dict(train_under_300s=(f"{res['train_seconds']} s", "<= 300 s"),
                  sample_under_10s=(f"{res['sample_1000_ddim50_seconds']} s", "< 10 s"),
                  fd_within_1_5x_real=(f"{res['fd_ratio_samples_to_real']}x (spread {res['fd_ratio_spread'][0]}-"
                                       f"{res['fd_ratio_spread'][1]}x)", "mean over seeds <= 1.5x"),
                  confident_90pct=(f"{100 * res['confident_share']:.1f} %", ">= 90 % (mean over seeds)"),
                  all_ten_classes=(f"{len(res['classes_present'])}", "10 classes in every seed"))
    for k, met in res["targets"].items():
        rep.check(k, *bounds[k], met)
    save_json("digits", res)
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the DDIM experiments on the trained digits model. Prints the measurements, writes
bench/results/experiments.json.

    PYTHONPATH=. python bench/experiments.py       # model from $DIFFUSION_PRESET (default: 'default')

Checks (the run fails if any does not hold):
- DDIM (eta = 0) from the same x_T twice is bitwise identical;
- patch perturbation: the mean output distance grows with the change to the patch, and even replacing
  the patch entirely moves the output less than switching to an unrelated x_T;
- eta sweep: spread is 0 at eta = 0, grows with eta up to eta = 0.5, and at eta = 1 the outputs
  from one x_T differ (pairwise RMS) at least 80% as much as outputs of unrelated x_T do;
- forward-backward: the share of outputs that keep their class falls from t = 0.2T to t = 0.8T.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from diffusion.core.cache import atomic_write_bytes
from diffusion.studies.experiments import RUNS, default_config, get_experiment
from diffusion.core.loader import get_model

OUT = Path(__file__).parent / "results" / "experiments.json"


def main() -> int:
    tm = get_model()
    cfg = default_config()
    res, secs = {}, {}
    for name in RUNS:
        t0 = time.perf_counter()
        res[name] = get_experiment(name, tm, cfg)
        secs[name] = time.perf_counter() - t0
    det, pat, eta, itp, fb = (res[k] for k in ("determinism", "patch", "eta_sweep", "interpolation",
                                                 "forward_backward"))
    checks = {
        "ddim bitwise identical": det["identical"],
        "patch: output distance grows with the change": bool(np.all(np.diff(pat["mean_out_dist"]) > 0)),
        "patch: full patch swap < unrelated x_T": bool(pat["mean_out_dist"][-1] < pat["unrelated_dist"]),
        "eta: spread 0 at eta=0": bool(eta["spread"][0] < 1e-6),
        "eta: spread grows with eta up to 0.5": bool(np.all(np.diff(eta["spread"][eta["etas"] <= 0.5]) > 0)),
        "eta: at eta=1 pairwise RMS >= 0.8 x unrelated x_T": bool(eta["pairwise_rms"][-1] >= 0.8 * pat["unrelated_dist"]),
        "forward-backward: share falls from 0.2T to 0.8T": bool(fb["share_kept"][0] > fb["share_kept"][-1]),
    }
    print(f"digits model {tm.key}, DDIM {cfg.steps} steps; seconds per experiment (0 = cached): "
          + ", ".join(f"{k} {v:.1f}" for k, v in secs.items()))
    print(f"determinism: {len(det['first'])} samples twice, identical={det['identical']}, "
          f"max |diff| = {det['max_abs_diff']}")
    print(f"patch {cfg.patch}x{cfg.patch} at {cfg.patch_at}, mean over {cfg.n_base} x_T (RMS per pixel):")
    print("  amount     " + " ".join(f"{a:6.2f}" for a in pat["amounts"]))
    print("  noise dist " + " ".join(f"{a:6.3f}" for a in pat["mean_noise_dist"]))
    print("  image dist " + " ".join(f"{a:6.3f}" for a in pat["mean_out_dist"]))
    print(f"  unrelated x_T: image dist {pat['unrelated_dist']:.3f}")
    print(f"eta sweep ({cfg.n_eta_xT} x_T x {cfg.n_eta_noise} sampler seeds):")
    print("  eta        " + " ".join(f"{a:6.2f}" for a in eta["etas"]))
    print("  spread     " + " ".join(f"{a:6.3f}" for a in eta["spread"]))
    print("  pair RMS   " + " ".join(f"{a:6.3f}" for a in eta["pairwise_rms"]))
    print(f"interpolation: labels {itp['labels'].tolist()}, step RMS max {itp['step_dist'].max():.3f} "
          f"(end to end {itp['end_dist']:.3f}); |x_T| slerp middle {itp['slerp_norm'][len(itp['alphas']) // 2]:.2f} "
          f"vs lerp {itp['lerp_norm'][len(itp['alphas']) // 2]:.2f}")
    print(f"forward-backward ({len(fb['labels_true'])} held-out digits x {cfg.fb_repeats} denoisings, "
          f"{cfg.fb_sampler}):")
    print("  t          " + " ".join(f"{a:6d}" for a in fb["t"]))
    print("  share kept " + " ".join(f"{a:6.3f}" for a in fb["share_kept"]))
    for k, v in checks.items():
        print(f"  [{'ok' if v else 'FAIL'}] {k}")
    ok = all(checks.values())
    summary = dict(model=tm.key, config=repr(cfg), seconds=secs, checks=checks, passed=ok,
                   determinism=dict(identical=det["identical"], max_abs_diff=det["max_abs_diff"]),
                   patch={k: np.asarray(pat[k]).tolist() for k in ("amounts", "mean_noise_dist", "mean_out_dist")}
                   | dict(unrelated_dist=pat["unrelated_dist"]),
                   eta_sweep={k: np.asarray(eta[k]).tolist() for k in ("etas", "spread", "pairwise_rms")},
                   interpolation=dict(labels=itp["labels"].tolist(), step_dist=itp["step_dist"].tolist(),
                                      end_dist=itp["end_dist"]),
                   forward_backward=dict(t=fb["t"].tolist(), share_kept=fb["share_kept"].tolist()))
    atomic_write_bytes(OUT, json.dumps(summary, indent=2).encode())
    print(f"wrote {OUT}; {'all checks hold' if ok else 'CHECKS FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The DDIM experiments on the trained digits model. Writes bench/reports/experiments.md (and
bench/results/experiments.json).

    python -m bench.experiments       # model from $DIFFUSION_PRESET (default: 'default')

Checks (the run fails if any does not hold):
- DDIM (eta = 0) from the same x_T twice is bitwise identical;
- patch perturbation: the mean output distance grows with the change to the patch, and even replacing
  the patch entirely moves the output less than switching to an unrelated x_T;
- eta sweep: spread is 0 at eta = 0, grows with eta up to eta = 0.5, and at eta = 1 the outputs
  from one x_T differ (pairwise RMS) at least 80% as much as outputs of unrelated x_T do;
- forward-backward: the share of outputs that keep their class falls from t = 0.2T to t = 0.8T.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from bench.report import Report, save_json
from diffusion.core.presets import active_preset
from diffusion.studies.experiments import RUNS, default_config, get_experiment
from diffusion.models import get_model


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    preset = active_preset()
    tm = get_model("digits", preset)
    cfg = default_config(preset)
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
    rep = Report("experiments", "What DDIM does with its starting noise, on the digits model", argv=argv)
    rep.text(f"Digits model {tm.key}, DDIM {cfg.steps} steps; seconds per experiment (0 = cached): "
             + ", ".join(f"{k} {v:.1f}" for k, v in secs.items()) + ". Determinism: "
             f"{len(det['first'])} samples twice, identical={det['identical']}, max abs diff {det['max_abs_diff']}.")
    rep.table(["amount"] + [f"{a:.2f}" for a in pat["amounts"]],
              [["noise dist"] + [f"{a:.3f}" for a in pat["mean_noise_dist"]],
               ["image dist"] + [f"{a:.3f}" for a in pat["mean_out_dist"]]],
              caption=f"Patch {cfg.patch}x{cfg.patch} at {cfg.patch_at}, mean over {cfg.n_base} x_T (RMS per pixel); "
                      f"unrelated x_T: image dist {pat['unrelated_dist']:.3f}")
    rep.table(["eta"] + [f"{a:.2f}" for a in eta["etas"]],
              [["spread"] + [f"{a:.3f}" for a in eta["spread"]],
               ["pair RMS"] + [f"{a:.3f}" for a in eta["pairwise_rms"]]],
              caption=f"Eta sweep ({cfg.n_eta_xT} x_T x {cfg.n_eta_noise} sampler seeds)")
    mid = len(itp["alphas"]) // 2
    rep.text(f"Interpolation: labels {itp['labels'].tolist()}, step RMS max {itp['step_dist'].max():.3f} (end to end "
             f"{itp['end_dist']:.3f}); abs(x_T) at the slerp middle {itp['slerp_norm'][mid]:.2f} vs lerp "
             f"{itp['lerp_norm'][mid]:.2f}.")
    rep.table(["t"] + [str(a) for a in fb["t"]], [["share kept"] + [f"{a:.3f}" for a in fb["share_kept"]]],
              caption=f"Forward-backward ({len(fb['labels_true'])} held-out digits x {cfg.fb_repeats} denoisings, "
                      f"{cfg.fb_sampler})")
    for k, v in checks.items():
        rep.check(k, "yes" if v else "no", "holds", v)
    save_json("experiments", dict(
        model=tm.key, config=repr(cfg), seconds=secs, checks=checks,
        determinism=dict(identical=det["identical"], max_abs_diff=det["max_abs_diff"]),
        patch={k: np.asarray(pat[k]).tolist() for k in ("amounts", "mean_noise_dist", "mean_out_dist")}
        | dict(unrelated_dist=pat["unrelated_dist"]),
        eta_sweep={k: np.asarray(eta[k]).tolist() for k in ("etas", "spread", "pairwise_rms")},
        interpolation=dict(labels=itp["labels"].tolist(), step_dist=itp["step_dist"].tolist(), end_dist=itp["end_dist"]),
        forward_backward=dict(t=fb["t"].tolist(), share_kept=fb["share_kept"].tolist())))
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

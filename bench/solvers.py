"""Higher-order ODE solvers against the number of network calls (NFE): quality on the 2D spiral and on
digits, and the speed of sampling 1000 digits. Writes bench/reports/solvers.md (and the numbers to
bench/results/solvers.json).

  PYTHONPATH=. .venv/bin/python bench/solvers.py [--seeds 8] [--nfe 5 10 20 50]

Models come from $DIFFUSION_CACHE (trained there if missing, default preset). Measures:
- toy2d (4000 particles from one x_T): sliced Wasserstein-1 to exact draws of the spiral divided by the
  floor (two exact sets), and the share of samples more than 3 std from every component (exact draws:
  exp(-4.5) = 1.1 %), for the exact eps* and the trained network, DDIM / Heun / DPM-Solver++(2M) at
  each NFE, DDPM over all 1000 steps as the reference row.
- digits: the digits bench's measure (diffusion.models.digits.classifier.quality_over_seeds: Fréchet
  distance of classifier features to the held-out half over the floor, 1000 samples per x_T seed, mean
  and min-max over the seeds) for the network and the memoriser (core/empirical.py, the exact score of
  the train half), same rows. Samples are kept in bench/results/solver-samples/ (by model key, sampler,
  NFE, seed), so a second run only scores them.
- speed: 1000 digits at 50 NFE (DDIM and the best solver), the plain path (the network as trained, as
  `sample` ran it before) against `diffusion.core.inference.fast_eps_model`, in the same run, and the
  largest difference between their samples.
- the default sampler: the best solver at 50 NFE replaces DDIM only if it beats it beyond the seed
  spread (its worst seed better than DDIM's best).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diffusion.core.cache import atomic_write_bytes  # noqa: E402

REPORT = ROOT / "bench" / "reports" / "solvers.md"
RESULTS = ROOT / "bench" / "results" / "solvers.json"
SAMPLES = ROOT / "bench" / "results" / "solver-samples"
SOLVERS = ("ddim", "heun", "dpm++2m")
NAMES = {"ddim": "DDIM (Euler)", "heun": "Heun (EDM)", "dpm++2m": "DPM-Solver++(2M)", "ddpm": "DDPM"}
COMMAND = "PYTHONPATH=. .venv/bin/python bench/solvers.py"


def machine() -> str:
    import os

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.machine())
    return (f"a {os.cpu_count()}-core {platform.machine()} CPU ({cpu}), no GPU, torch {torch.__version__} "
            f"with {torch.get_num_threads()} threads")


# --- toy2d ------------------------------------------------------------------------------------

def outlier_share(x: np.ndarray, mix) -> float:
    """Share of points further than 3 std from every component's mean."""
    _, mu, s = mix.params()
    d = np.linalg.norm(x[:, None, :] - mu[None], axis=-1) / s[None]
    return float((d.min(1) > 3).mean())


def toy2d_rows(nfes, n=4000, seed=0) -> dict:
    from diffusion.models.toy2d import get_toy2d_model
    from diffusion.models.toy2d.flow import sample_toy2d
    from diffusion.models.toy2d.measure import distances_to_mixture, floor
    from diffusion.models.toy2d.mixture import ExactEps, sample_marginal

    tm = get_toy2d_model(progress=False)
    mix = tm.config.mixture
    fl = floor(mix, n)["sw1"]
    exact_draws = sample_marginal(mix, tm.schedule, -1, n, seed=20_000)
    rows = []
    runs = [("ddpm", tm.schedule.T)] + [(s, k) for s in SOLVERS for k in nfes]
    for model_name, model in (("exact eps*", ExactEps(mix, tm.schedule)), ("network", None)):
        for sampler, nfe in runs:
            x = sample_toy2d(tm, n, seed, sampler, nfe, record=False, model=model).numpy()
            rows.append(dict(model=model_name, sampler=sampler, nfe=nfe,
                             sw1_ratio=distances_to_mixture(x, mix)["sw1"] / fl, outliers=outlier_share(x, mix)))
            print(f"toy2d {model_name:10s} {sampler:8s} {nfe:5d}: SW1 {rows[-1]['sw1_ratio']:.2f}x floor, "
                  f"outliers {100 * rows[-1]['outliers']:.1f} %", flush=True)
    return dict(model=tm.key, n=n, seed=seed, floor_sw1=fl, exact_outliers=outlier_share(exact_draws, mix), rows=rows)


# --- digits -----------------------------------------------------------------------------------

def digit_samples(model, model_key: str, schedule, sampler: str, nfe: int, seed: int, n: int = 1000) -> np.ndarray:
    """n samples from x_T seeded by `seed` (the digits bench's draw), kept on disk after the first run."""
    from diffusion.core.sample import sample

    path = SAMPLES / f"{model_key}-{sampler}-{nfe}-{seed}-{n}.npy"
    if path.exists():
        return np.load(path)
    x_T = torch.randn((n, 1, 8, 8), generator=torch.Generator().manual_seed(seed))
    x = sample(model, schedule, x_T, sampler, nfe, 0.0, torch.Generator().manual_seed(seed + 1), record=False).numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, x)
    tmp.replace(path)
    return x


def digits_rows(nfes, seeds, ddpm_seeds=None) -> dict:
    from diffusion.core.empirical import EmpiricalEps
    from diffusion.core.inference import fast_eps_model
    from diffusion.models import get_model
    from diffusion.models.digits.classifier import quality_over_seeds
    from diffusion.models.digits.data import load_dataset

    tm = get_model("digits", progress=False)
    train_x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "train")
    models = (("network", fast_eps_model(tm.model, (1, 8, 8)), tm.key),
              ("memoriser", EmpiricalEps(train_x, tm.schedule), f"memo-{tm.key}"))
    runs = [("ddpm", tm.schedule.T)] + [(s, k) for s in SOLVERS for k in nfes]
    rows = []
    for name, model, key in models:
        for sampler, nfe in runs:
            t0 = time.perf_counter()
            use = ddpm_seeds if (sampler == "ddpm" and name == "network" and ddpm_seeds) else seeds
            xs = {s: digit_samples(model, key, tm.schedule, sampler, nfe, s) for s in use}
            q = quality_over_seeds(xs, tm.config.image_size)
            rows.append(dict(model=name, sampler=sampler, nfe=nfe, ratio_mean=q["ratio_mean"],
                             ratio_min=q["ratio_min"], ratio_max=q["ratio_max"],
                             seeds=list(use), per_seed=[q["per_seed"][s]["fd_ratio_samples_to_real"] for s in use],
                             confident=q["confident_mean"]))
            print(f"digits {name:9s} {sampler:8s} {nfe:5d}: {q['ratio_mean']:.2f}x ({q['ratio_min']:.2f}-"
                  f"{q['ratio_max']:.2f}) in {time.perf_counter() - t0:.0f}s", flush=True)
    return dict(model=tm.key, seeds=list(seeds), rows=rows)


def speed(samplers=("ddim", "dpm++2m"), nfe: int = 50, n: int = 1000, seed: int = 1234, repeats: int = 2) -> list[dict]:
    """Seconds for n digits at nfe calls: the plain network (as `sample` ran it before) against
    fast_eps_model (and, for the first sampler, its two parts alone), alternated `repeats` times (best
    time of each), and the largest difference between each one's samples and the plain ones."""
    from diffusion.core.inference import CHUNK, FastEps, fast_eps_model
    from diffusion.core.sample import sample
    from diffusion.models import get_model

    tm = get_model("digits", progress=False)
    x_T = tm.noise(n, seed)
    out = []
    for i, sampler in enumerate(samplers):
        variants = {"plain": tm.model, "fast": fast_eps_model(tm.model, tm.shape)}
        if i == 0:
            variants |= {f"chunks of {CHUNK} and channels-last": FastEps(tm.model, CHUNK, channels_last=True),
                         "channels-last only": FastEps(tm.model, n, channels_last=True)}
        best = {k: np.inf for k in variants}
        res = {}
        for _ in range(repeats):
            for name, model in variants.items():
                t0 = time.perf_counter()
                res[name] = sample(model, tm.schedule, x_T, sampler, nfe, record=False)
                best[name] = min(best[name], time.perf_counter() - t0)
        for name in variants:
            diff = float((res["plain"] - res[name]).abs().max())
            out.append(dict(sampler=sampler, nfe=nfe, n=n, path=name, seconds=best[name],
                            speedup=best["plain"] / best[name], max_abs_diff=diff))
            print(f"speed {sampler} {nfe} NFE x {n} {name}: {best[name]:.2f}s (x{best['plain'] / best[name]:.2f}), "
                  f"max |diff| {diff:.2e}", flush=True)
    return out


# --- report -----------------------------------------------------------------------------------

def decide(digits: dict, nfe: int = 50) -> dict:
    """The best sampler at `nfe` calls on the network, whether it beats DDIM beyond the seed spread
    (its worst seed below DDIM's best seed) and whether it reaches DDPM-1000 (its mean at or below
    DDPM's worst seed)."""
    net = {(r["sampler"], r["nfe"]): r for r in digits["rows"] if r["model"] == "network"}
    cand = {s: net[(s, nfe)] for s in SOLVERS if (s, nfe) in net}
    best = min(cand, key=lambda s: cand[s]["ratio_mean"])
    ddim, ddpm = cand["ddim"], next(r for k, r in net.items() if k[0] == "ddpm")
    b = cand[best]
    return dict(nfe=nfe, best=best, best_mean=b["ratio_mean"],
                beats_ddim_beyond_spread=best != "ddim" and b["ratio_max"] < ddim["ratio_min"],
                within_ddpm_spread_or_better=b["ratio_mean"] <= ddpm["ratio_max"])


def report(res: dict, seconds: float) -> str:
    t2, dg, sp, dec = res["toy2d"], res["digits"], res["speed"], res["decision"]
    nfes = res["nfes"]
    L = ["# ODE solvers: quality against network calls, and sampling speed", "",
         f"Written by `{res['command']}` on {res['machine']} (this run: {seconds / 60:.0f} min; sections "
         "not measured in it come from the previous run's bench/results/solvers.json, made by the same script).", "",
         "NFE = network calls. DDIM (eta 0) is Euler's method on the probability-flow ODE; Heun (EDM) spends two "
         "calls per step (its last step, to sigma = 0, is Euler); DPM-Solver++(2M) one call per step, "
         "extrapolating the data prediction from the last two. All solvers use DDIM's timesteps (evenly spaced "
         "in t). DDPM over all 1000 steps is the reference row.", "",
         f"## The 2D spiral ({t2['n']} particles from one x_T, model {t2['model']})", "",
         f"SW1 / floor: sliced Wasserstein-1 to exact draws over that of two exact sets ({t2['floor_sw1']:.4f}); "
         f"outliers: share further than 3 std from every component (exact draws: "
         f"{100 * t2['exact_outliers']:.1f} %).", ""]
    for model in ("exact eps*", "network"):
        rows = {(r["sampler"], r["nfe"]): r for r in t2["rows"] if r["model"] == model}
        ddpm = next(r for k, r in rows.items() if k[0] == "ddpm")
        L += [f"**{model}** — DDPM 1000: SW1 {ddpm['sw1_ratio']:.2f}x, outliers {100 * ddpm['outliers']:.1f} %", "",
              "| solver | " + " | ".join(f"NFE {k}" for k in nfes) + " |", "|---" * (len(nfes) + 1) + "|"]
        for s in SOLVERS:
            L.append(f"| {NAMES[s]} | " + " | ".join(
                f"{rows[(s, k)]['sw1_ratio']:.2f}x, {100 * rows[(s, k)]['outliers']:.1f} %" for k in nfes) + " |")
        L.append("")
    L += [f"## Digits (Fréchet ratio to the floor, mean over {len(dg['seeds'])} x_T seeds {dg['seeds']}, "
          f"min-max in brackets; model {dg['model']})", ""]
    for model in ("network", "memoriser"):
        rows = {(r["sampler"], r["nfe"]): r for r in dg["rows"] if r["model"] == model}
        ddpm = next(r for k, r in rows.items() if k[0] == "ddpm")
        L += [f"**{model}** — DDPM 1000: {ddpm['ratio_mean']:.2f}x ({ddpm['ratio_min']:.2f}-{ddpm['ratio_max']:.2f}"
              f"{'' if len(ddpm['seeds']) == len(dg['seeds']) else ', seeds ' + str(ddpm['seeds'])})",
              "", "| solver | " + " | ".join(f"NFE {k}" for k in nfes) + " |", "|---" * (len(nfes) + 1) + "|"]
        for s in SOLVERS:
            L.append(f"| {NAMES[s]} | " + " | ".join(
                f"{rows[(s, k)]['ratio_mean']:.2f}x ({rows[(s, k)]['ratio_min']:.2f}-{rows[(s, k)]['ratio_max']:.2f})"
                for k in nfes) + " |")
        L.append("")
    L += [f"Best at {dec['nfe']} NFE on the network: {NAMES[dec['best']]}, {dec['best_mean']:.2f}x; beats DDIM beyond "
          f"the seed spread: {'yes' if dec['beats_ddim_beyond_spread'] else 'no'}; within DDPM-1000's spread or "
          f"better: {'yes' if dec['within_ddpm_spread_or_better'] else 'no'}.", "",
          "## Speed: 1000 digits", "",
          "plain: the trained network as `sample` ran it before; fast: `diffusion.core.inference.fast_eps_model` "
          "(the batch cut into chunks; timed alternately in the same run, best of two each; a difference "
          "is float rounding of convolutions summed in another order).", "",
          "| sampler | NFE | path | seconds | speed-up | max abs difference to plain |", "|---|---|---|---|---|---|"]
    for r in sp:
        L.append(f"| {NAMES[r['sampler']]} | {r['nfe']} | {r['path']} | {r['seconds']:.2f} s | {r['speedup']:.2f}x | "
                 f"{r['max_abs_diff']:.1e} |")
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    from diffusion.models.digits.classifier import QUALITY_SEEDS

    p = argparse.ArgumentParser()
    p.add_argument("--nfe", type=int, nargs="+", default=[5, 10, 20, 50])
    p.add_argument("--seeds", type=int, default=len(QUALITY_SEEDS), help="how many of the digits bench's x_T seeds")
    p.add_argument("--ddpm-seeds", type=int, default=len(QUALITY_SEEDS),
                   help="seeds of the digits network's DDPM-1000 row (1000 calls per seed)")
    p.add_argument("--only", choices=("speed", "toy2d", "digits"), nargs="+", default=None,
                   help="measure these sections; the others are taken from the last run's bench/results/solvers.json")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    res = json.loads(RESULTS.read_text()) if args.only and RESULTS.exists() else {}
    res |= dict(machine=machine(), nfes=args.nfe)
    todo = args.only or ("speed", "toy2d", "digits")
    if "speed" in todo:
        res["speed"] = speed()
    if "toy2d" in todo:
        res["toy2d"] = toy2d_rows(args.nfe)
    if "digits" in todo:
        res["digits"] = digits_rows(args.nfe, QUALITY_SEEDS[:args.seeds], QUALITY_SEEDS[:args.ddpm_seeds])
        res["decision"] = decide(res["digits"], max(args.nfe))
    seconds = time.perf_counter() - t0
    res["command"] = " ".join([COMMAND] + (argv if argv is not None else sys.argv[1:]))
    atomic_write_bytes(RESULTS, json.dumps(res, indent=2).encode())
    atomic_write_bytes(REPORT, report(res, seconds).encode())
    print(f"wrote {REPORT.relative_to(ROOT)} in {seconds:.0f}s")
    fast = [r["seconds"] for r in res["speed"] if r["nfe"] == 50 and r["path"] == "fast"]
    print(f"1000 digits at 50 NFE within 4 s: {'met' if fast and max(fast) <= 4.0 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Higher-order ODE solvers, and their SDE form, against the number of network calls (NFE): quality on the 2D spiral and on
digits, and the speed of sampling 1000 digits. Writes bench/reports/solvers.md (and the numbers to
bench/results/solvers-PARTS.json).

  python -m bench.solvers [--part speed toy2d digits] [--seeds 8] [--ddpm-seeds 8] [--nfe 5 10 20 50]

Each --part is its own section of the report (a run of some parts keeps the others' sections).

Models come from $DIFFUSION_CACHE (trained there if missing; $DIFFUSION_PRESET, else the default preset). Measures:
- toy2d (4000 particles from one x_T): sliced Wasserstein-1 to exact draws of the spiral divided by the
  floor (two exact sets), and the share of samples more than 3 std from every component (exact draws:
  exp(-4.5) = 1.1 %), for the exact eps* and the trained network, DDIM / Heun / Heun with EDM's churn /
  DPM-Solver++(2M) / SDE-DPM-Solver++(2M) at each NFE on uniform and on Karras (rho = 7) timesteps, DDPM on the same
  uniform steps (ancestral, respaced), DDPM over all 1000 steps as the reference row.
- digits: the digits bench's measure (diffusion.models.digits.classifier.quality_over_seeds: Fréchet
  distance of classifier features to the held-out half over the floor, 1000 samples per x_T seed, mean
  and min-max over the seeds) for the network and the memoriser (core/empirical.py, the exact score of
  the train half), same rows (DDPM-1000 over the first --ddpm-seeds seeds). Samples are kept in bench/results/solver-samples/ (by model key, sampler,
  NFE, seed), so a second run only scores them.
- speed: 1000 digits at 50 NFE (DDIM and the best solver), the plain path (the network as trained, as
  `sample` ran it before) against `diffusion.core.inference.fast_eps_model`, in the same run, and the
  largest difference between their samples.
- the default sampler: the best solver at 50 NFE replaces DDIM only if it beats it beyond the seed
  spread (its worst seed better than DDIM's best).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from bench.report import Report, save_json
from diffusion.core.presets import active_preset
from diffusion.studies.sampler_choice import RUNS, decide

SAMPLES = Path(__file__).resolve().parent / "results" / "solver-samples"
SAMPLE_SETS = {"made": 0, "loaded": 0}       # digit sample sets this run made, and loaded from an earlier one
NAMES = {"ddim": "DDIM (Euler)", "heun": "Heun (EDM)", "heun-churn": "Heun with EDM's churn", "dpm++2m": "DPM-Solver++(2M)",
         "dpm++2m-sde": "SDE-DPM-Solver++(2M)", "ddpm": "DDPM"}
SPEED_BOUND_S = 4.0          # 1000 digits at 50 calls on this CPU


# --- toy2d ------------------------------------------------------------------------------------

def outlier_share(x: np.ndarray, mix) -> float:
    """Share of points further than 3 std from every component's mean."""
    _, mu, s = mix.params()
    d = np.linalg.norm(x[:, None, :] - mu[None], axis=-1) / s[None]
    return float((d.min(1) > 3).mean())


def toy2d_rows(nfes, preset, n=4000, seed=0) -> dict:
    from diffusion.models import get_model
    from diffusion.models.toy2d.flow import sample_toy2d
    from diffusion.models.toy2d.measure import distances_to_mixture, floor
    from diffusion.models.toy2d.mixture import ExactEps, sample_marginal

    tm = get_model("toy2d", preset, progress=False)
    mix = tm.config.mixture
    fl = floor(mix, n)["sw1"]
    exact_draws = sample_marginal(mix, tm.schedule, -1, n, seed=20_000)
    rows = []
    runs = [("ddpm", "uniform", tm.schedule.T)] + [(s, sp, k) for s, sp in RUNS for k in nfes if k < tm.schedule.T]
    for model_name, model in (("exact eps*", ExactEps(mix, tm.schedule)), ("network", None)):
        for sampler, spacing, nfe in runs:
            x = sample_toy2d(tm, n, seed, sampler, nfe, record=False, model=model, spacing=spacing).numpy()
            rows.append(dict(model=model_name, sampler=sampler, spacing=spacing, nfe=nfe,
                             sw1_ratio=distances_to_mixture(x, mix)["sw1"] / fl, outliers=outlier_share(x, mix)))
            print(f"toy2d {model_name:10s} {sampler:8s} {spacing:7s} {nfe:5d}: SW1 {rows[-1]['sw1_ratio']:.2f}x floor, "
                  f"outliers {100 * rows[-1]['outliers']:.1f} %", flush=True)
    return dict(model=tm.key, T=tm.schedule.T, n=n, seed=seed, floor_sw1=fl, exact_outliers=outlier_share(exact_draws, mix), rows=rows)


# --- digits -----------------------------------------------------------------------------------

def digit_samples(model, model_key: str, schedule, sampler: str, nfe: int, seed: int, n: int = 1000,
                  spacing: str = "uniform") -> np.ndarray:
    """n samples from x_T seeded by `seed` (the digits bench's draw), kept on disk after the first run."""
    from diffusion.core.sample import sample

    path = SAMPLES / f"{model_key}-{sampler}-{nfe}-{seed}-{n}{'' if spacing == 'uniform' else '-' + spacing}.npy"
    if path.exists():
        SAMPLE_SETS["loaded"] += 1
        return np.load(path)
    SAMPLE_SETS["made"] += 1
    x_T = torch.randn((n, 1, 8, 8), generator=torch.Generator().manual_seed(seed))
    x = sample(model, schedule, x_T, sampler, nfe, 0.0, torch.Generator().manual_seed(seed + 1), record=False,
               spacing=spacing).numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, x)
    tmp.replace(path)
    return x


def digits_rows(nfes, preset, seeds, ddpm_seeds=None) -> dict:
    from diffusion.core.empirical import EmpiricalEps
    from diffusion.core.inference import fast_eps_model
    from diffusion.models import get_model
    from diffusion.models.digits.classifier import quality_over_seeds
    from diffusion.models.digits.data import load_dataset

    tm = get_model("digits", preset, progress=False)
    train_x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "train")
    models = (("network", fast_eps_model(tm.model, (1, 8, 8)), tm.key),
              ("memoriser", EmpiricalEps(train_x, tm.schedule), f"memo-{tm.key}"))
    runs = [("ddpm", "uniform", tm.schedule.T)] + [(s, sp, k) for s, sp in RUNS for k in nfes if k < tm.schedule.T]
    rows = []
    for name, model, key in models:
        for sampler, spacing, nfe in runs:
            t0 = time.perf_counter()
            use = ddpm_seeds if (sampler == "ddpm" and nfe == tm.schedule.T and ddpm_seeds) else seeds
            xs = {s: digit_samples(model, key, tm.schedule, sampler, nfe, s, spacing=spacing) for s in use}
            q = quality_over_seeds(xs, tm.config.image_size)
            rows.append(dict(model=name, sampler=sampler, spacing=spacing, nfe=nfe, ratio_mean=q["ratio_mean"],
                             ratio_min=q["ratio_min"], ratio_max=q["ratio_max"],
                             seeds=list(use), per_seed=[q["per_seed"][s]["fd_ratio_samples_to_real"] for s in use],
                             confident=q["confident_mean"]))
            print(f"digits {name:9s} {sampler:8s} {spacing:7s} {nfe:5d}: {q['ratio_mean']:.2f}x ({q['ratio_min']:.2f}-"
                  f"{q['ratio_max']:.2f}) in {time.perf_counter() - t0:.0f}s", flush=True)
    return dict(model=tm.key, T=tm.schedule.T, seeds=list(seeds), rows=rows)


def speed(preset, samplers=("ddim", "dpm++2m"), nfe: int = 50, n: int = 1000, seed: int = 1234, repeats: int = 2) -> list[dict]:
    """Seconds for n digits at nfe calls: the plain network as `sample` ran it before (timed first, before a
    FastEps keeps freed memory), then, alternated `repeats` times, the same after it and fast_eps_model
    (and, for the first sampler, its parts: untraced, the chunks one at a time with torch's threads, and
    with channels-last tensors); the best time of each, and the largest difference between each one's
    samples and the old path's."""
    from diffusion.core.inference import CHUNK, FastEps, fast_eps_model
    from diffusion.core.sample import sample
    from diffusion.models import get_model

    tm = get_model("digits", preset, progress=False)
    x_T = tm.noise(n, seed)
    out = []
    before, old = {}, {}        # the plain network before any FastEps changed the allocator: the old path
    for sampler in samplers:
        before[sampler] = np.inf
        for _ in range(repeats):
            t0 = time.perf_counter()
            old[sampler] = sample(tm.model, tm.schedule, x_T, sampler, nfe, record=False)
            before[sampler] = min(before[sampler], time.perf_counter() - t0)
        print(f"speed {sampler} {nfe} NFE x {n} plain, as before: {before[sampler]:.2f}s", flush=True)
    for i, sampler in enumerate(samplers):
        out.append(dict(sampler=sampler, nfe=nfe, n=n, path="plain, as before", seconds=before[sampler], speedup=1.0,
                        max_abs_diff=0.0))
        fast = fast_eps_model(tm.model, tm.shape)
        variants = {"plain, freed memory kept": tm.model,
                    f"fast: traced, chunks of {CHUNK} on {fast.workers} workers of one core": fast}
        if i == 0:
            variants |= {f"chunks of {CHUNK} on {fast.workers} workers, not traced": FastEps(tm.model, CHUNK, workers=fast.workers),
                         f"chunks of {CHUNK}, torch's threads on each": FastEps(tm.model, CHUNK),
                         f"chunks of {CHUNK}, channels-last": FastEps(tm.model, CHUNK, channels_last=True)}
        best = {k: np.inf for k in variants}
        res = {}
        with torch.inference_mode():                 # the trace is made once, outside the timing
            fast(x_T[:8], torch.zeros(8, dtype=torch.long))
        for _ in range(repeats):
            for name, model in variants.items():
                t0 = time.perf_counter()
                res[name] = sample(model, tm.schedule, x_T, sampler, nfe, record=False)
                best[name] = min(best[name], time.perf_counter() - t0)
        for name in variants:
            diff = float((old[sampler] - res[name]).abs().max())
            out.append(dict(sampler=sampler, nfe=nfe, n=n, path=name, seconds=best[name],
                            speedup=before[sampler] / best[name], max_abs_diff=diff))
            print(f"speed {sampler} {nfe} NFE x {n} {name}: {best[name]:.2f}s (x{before[sampler] / best[name]:.2f}), "
                  f"max |diff| {diff:.2e}", flush=True)
    return out


# --- report -----------------------------------------------------------------------------------

def write(rep: Report, res: dict) -> None:
    nfes = res["nfes"]
    rep.text("NFE = network calls. DDIM (eta 0) is Euler's method on the probability-flow ODE; Heun (EDM) spends "
             "two calls per step (its last step, to sigma = 0, is Euler); Heun with EDM's churn (Karras et al. 2022, "
             "Algorithm 2, their ImageNet-64 settings S_churn 40, S_tmin 0.05, S_tmax 50, S_noise 1.003) the same "
             "calls, each step first noised up from sigma to sigma (1 + gamma); DPM-Solver++(2M) one call per step, "
             "extrapolating the data prediction from the last two; SDE-DPM-Solver++(2M) the same calls and "
             "extrapolation on the reverse SDE, forgetting part of x_t and adding fresh noise each step (diffusers' "
             "sde-dpmsolver++); DDPM at NFE < 1000: ancestral sampling respaced to the same uniform steps (DDIM "
             "eta 1), fresh noise each step and first order. Spacing of the timesteps: uniform, evenly "
             "spaced in t (the default); karras, evenly spaced in sigma^(1/7) with sigma = sqrt((1 - alpha_bar) / "
             "alpha_bar) (Karras et al. 2022, rho = 7), taken to the nearest trained step: short steps near the "
             "data. DDPM over all 1000 steps is the reference row.")
    if "speed" in res:
        rep.text("**Speed, 1000 digits.** plain, as before: the trained network as `sample` ran it before, timed "
                 "first in the process; plain, freed memory kept: the same after the allocator keeps freed memory "
                 "(`diffusion.core.inference.keep_freed_memory`, which a fast path sets up); fast: "
                 "`diffusion.core.inference.fast_eps_model`, the network traced (torch.jit.trace) and the batch cut "
                 "into chunks shared among worker threads of one core each (the default path of the command line "
                 "and the digits bench); the same without the trace; the chunks one at a time with torch's threads "
                 "splitting each layer (the previous fast path), and with channels-last tensors; timed alternately "
                 "in the same run, best of two each. Speed-up and difference columns: against plain, as before.")
        rep.table(["sampler", "NFE", "path", "seconds", "speed-up", "max abs difference"],
                  [[NAMES[r["sampler"]], r["nfe"], r["path"], f"{r['seconds']:.2f} s", f"{r['speedup']:.2f}x",
                    f"{r['max_abs_diff']:.1e}"] for r in res["speed"]])
        for r in res["speed"]:
            if r["path"].startswith("fast"):
                rep.check(f"1000 digits, {NAMES[r['sampler']]} {r['nfe']} NFE, fast path", f"{r['seconds']:.2f} s",
                          f"<= {SPEED_BOUND_S} s", met=r["seconds"] <= SPEED_BOUND_S)
    if "toy2d" in res:
        t2 = res["toy2d"]
        rep.text(f"**The 2D spiral**, {t2['n']} particles from one x_T (model {t2['model']}). SW1: sliced "
                 f"Wasserstein-1 to exact draws over that of two exact sets ({t2['floor_sw1']:.4f}); outliers: share "
                 f"further than 3 std from every component (exact draws: {100 * t2['exact_outliers']:.1f} %).")
        for model in ("exact eps*", "network"):
            rows = {(r["sampler"], r["spacing"], r["nfe"]): r for r in t2["rows"] if r["model"] == model}
            ddpm = rows[("ddpm", "uniform", t2["T"])]
            rep.table(["solver", "spacing"] + [f"NFE {k}" for k in nfes],
                      [[NAMES[s], sp] + [f"{rows[(s, sp, k)]['sw1_ratio']:.2f}x, "
                                         f"{100 * rows[(s, sp, k)]['outliers']:.1f} %" for k in nfes] for s, sp in RUNS],
                      caption=f"toy2d, {model}: SW1 / floor, outliers (DDPM 1000: {ddpm['sw1_ratio']:.2f}x, "
                              f"{100 * ddpm['outliers']:.1f} %)")
    if "digits" in res:
        dg, dec = res["digits"], res["decision"]
        rep.text(f"**Digits** (model {dg['model']}): the digits bench's Fréchet ratio to the floor, 1000 samples per "
                 f"x_T seed, mean over the seeds {dg['seeds']} with the min-max in brackets. Memoriser: the exact "
                 "score of the train half (diffusion/core/empirical.py).")
        for model in ("network", "memoriser"):
            rows = {(r["sampler"], r["spacing"], r["nfe"]): r for r in dg["rows"] if r["model"] == model}
            ddpm = rows[("ddpm", "uniform", dg["T"])]
            seeds = "" if len(ddpm["seeds"]) == len(dg["seeds"]) else f", seeds {ddpm['seeds']}"
            cell = lambda r: f"{r['ratio_mean']:.2f}x ({r['ratio_min']:.2f}-{r['ratio_max']:.2f})"
            rep.table(["solver", "spacing"] + [f"NFE {k}" for k in nfes],
                      [[NAMES[s], sp] + [cell(rows[(s, sp, k)]) for k in nfes] for s, sp in RUNS],
                      caption=f"digits, {model} (DDPM 1000: {ddpm['ratio_mean']:.2f}x ({ddpm['ratio_min']:.2f}-"
                              f"{ddpm['ratio_max']:.2f}{seeds}))")
        rep.text(f"Best at {dec['nfe']} NFE on the network: {NAMES[dec['best']]} on {dec['spacing']} steps, "
                 f"{dec['best_mean']:.2f}x (worst seed {dec['best_max']:.2f}x), against DDIM on uniform steps "
                 f"{dec['ddim_mean']:.2f}x (best seed {dec['ddim_min']:.2f}x) and DDPM over 1000 steps "
                 f"{dec['ddpm_mean']:.2f}x (worst seed {dec['ddpm_max']:.2f}x). It "
                 f"{'beats' if dec['beats_ddim_beyond_spread'] else 'does not beat'} DDIM beyond the seed spread "
                 "(its worst seed better than DDIM's best), so the digits default sampler "
                 + (f"becomes {NAMES[dec['best']]} on {dec['spacing']} steps" if dec['beats_ddim_beyond_spread']
                    else "stays DDIM on uniform steps") + ".")
        if dec["best_on_ddpm_seeds"] is not None:
            rep.text(f"On DDPM-1000's own seeds {dec['ddpm_seeds']} (the same x_T): {NAMES[dec['best']]} at "
                     f"{dec['nfe']} NFE {dec['best_on_ddpm_seeds']:.2f}x, DDPM over 1000 steps {dec['ddpm_mean']:.2f}x.")
        rep.check(f"digits network, best solver at {dec['nfe']} NFE, within DDPM-1000's seed spread or better",
                  f"{dec['best_mean']:.2f}x", "mean <= DDPM-1000's worst seed", met=dec["within_ddpm_spread_or_better"])
        rep.check(f"digits network, best solver at {dec['nfe']} NFE beats DDIM beyond the seed spread",
                  dec["beats_ddim_beyond_spread"], "-", met=None)


def main(argv=None) -> int:
    from diffusion.models.digits.classifier import QUALITY_SEEDS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("speed", "toy2d", "digits"), nargs="+", default=["speed", "toy2d", "digits"])
    p.add_argument("--nfe", type=int, nargs="+", default=[5, 10, 20, 50])
    p.add_argument("--seeds", type=int, default=len(QUALITY_SEEDS), help="how many of the digits bench's x_T seeds")
    p.add_argument("--ddpm-seeds", type=int, default=len(QUALITY_SEEDS),
                   help="seeds of the digits DDPM-1000 rows, network and memoriser (1000 calls per seed)")
    args = p.parse_args(argv)
    preset = active_preset()
    t0 = time.perf_counter()
    rep = Report("solvers", "ODE and SDE solvers: quality against network calls, and sampling speed", argv=argv,
                 keep_other_commands=True)
    res = dict(nfes=args.nfe)
    if "speed" in args.part:
        res["speed"] = speed(preset)
    if "toy2d" in args.part:
        res["toy2d"] = toy2d_rows(args.nfe, preset)
    if "digits" in args.part:
        res["digits"] = digits_rows(args.nfe, preset, QUALITY_SEEDS[:args.seeds], QUALITY_SEEDS[:args.ddpm_seeds])
        res["decision"] = decide(res["digits"], max(args.nfe))
    write(rep, res)
    reused = (f" ({SAMPLE_SETS['loaded']} of {sum(SAMPLE_SETS.values())} digit sample sets were made by an earlier "
              "run of it and only scored)") if SAMPLE_SETS["loaded"] else ""
    rep.text(f"This command ran for {(time.perf_counter() - t0) / 60:.0f} min{reused}.")
    save_json("solvers-" + "-".join(args.part), res)
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

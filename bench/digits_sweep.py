"""Screening runs for the digits model, scored exactly as bench/digits.py scores
(diffusion.models.digits.classifier.model_quality): for each x_T seed of QUALITY_SEEDS (1234, 4321,
1, ..., 6) 1000 samples, DDIM 50, the Fréchet distance of classifier features to the held-out half divided
by the real-vs-real floor; reported as the mean ratio over the seeds with its min-max spread, the
pooled ratio of all samples, and the mean share classified with confidence > 0.9.

  samplers: one trained model (from $DIFFUSION_CACHE, trained there if missing), many samplers
    python -m bench.digits_sweep samplers [--preset P] [--set NAME=VALUE ...] [--slow]
  spacing: one trained model, DDIM 50 with its steps placed evenly, densely near t = 0 or near t = T, and
    with sampler noise (eta), against DDPM respaced to 100 steps
    python -m bench.digits_sweep spacing
  seeds: the measure under other x_T seed sets (--seeds, in groups of --group) on one trained model
    python -m bench.digits_sweep seeds [--set NAME=VALUE ...] [--seeds 1234 4321 ...]
  train: one fresh training run (nothing cached), scored; optionally extra EMA tracks beside the engine's
    python -m bench.digits_sweep train [--set NAME=VALUE ...] [--threads 1]
        [--ema 0.9995 warmup:0.999 raw] [--save weights.pt] [--sample-steps 50 ...]
  steptime: ms per training step of a few variants (equal training cost)
    python -m bench.digits_sweep steptime [--threads 1]
  rescore: score the weights a `train --save` wrote (e.g. with other seeds or sampler steps)
    python -m bench.digits_sweep rescore --load weights.pt [--set ... as trained]
  classmix: what the distance is made of. Per x_T seed 3000 samples (DDIM 50); the ratio of the first
    1000, of those without the 50 farthest from the held-out features, and of 1000 re-drawn from the
    3000 so that each class (as the classifier labels it) has its held-out count; each class's share. A diagnosis only: the bench never re-draws.
    python -m bench.digits_sweep classmix [--load weights.pt] [--set ...] [--seeds ...]

`--set unet.base_channels=32` changes one field of the U-Net config. Each command writes its table into
bench/reports/digits_sweep-MODE.md (the tables of other commands stay), and every result is appended as
a JSON line (with the command) to bench/results/digits_sweep.jsonl. A screening run's seconds are
the engine's training seconds minus the time the extra EMA tracks took.
"""
from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch

from bench.report import ROOT, Report
from diffusion.core import engine
from diffusion.core.sample import sample
from diffusion.core.settings import parse_setting
from diffusion.models import get_recipe
from diffusion.models.digits.classifier import QUALITY_SEEDS, get_classifier, model_quality

RESULTS = ROOT / "bench" / "results" / "digits_sweep.jsonl"
ROWS: list[dict] = []         # this command's results, in order: the report's table


def make_config(preset, settings):
    """The digits config of a preset with --set overrides (unet.FIELD=V sets one U-Net field)."""
    return get_recipe("digits").config(preset, **dict(settings))


def score(net, schedule, sampler="ddim", steps=50, eta=0.0, clip_x0=True, seeds=QUALITY_SEEDS) -> dict:
    """The bench's measure (model_quality) as one flat row: ratio mean / min / max over the seeds."""
    q = model_quality(net, schedule, tuple(seeds), sampler=sampler, steps=steps, eta=eta, clip_x0=clip_x0)
    return dict(sampler=f"{sampler} {steps}" + (f" eta={eta}" if eta else "") + ("" if clip_x0 else " no clip"),
                seeds=list(seeds), ratio_mean=round(q["ratio_mean"], 3), ratio_min=round(q["ratio_min"], 3),
                ratio_max=round(q["ratio_max"], 3), ratio_pooled=round(q["ratio_pooled"], 3),
                ratios=[round(r["fd_ratio_samples_to_real"], 3) for r in q["per_seed"].values()],
                fd_mean=round(q["fd_mean"], 2), floor=round(q["fd_real"], 3),
                confident=round(q["confident_mean"], 3), min_class=q["min_class_count"],
                sample_seconds=round(min(q["sample_seconds"].values()), 2))


def report(row: dict) -> None:
    ROWS.append(dict(row))
    row["command"] = COMMAND
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


COMMAND = ""


def samplers(args) -> None:
    from diffusion.models import get_model

    tm = get_model("digits", make_config(args.preset, args.settings))
    net = tm.model
    base = dict(settings=dict(args.settings), train_seconds=round(tm.history["seconds"][-1], 1))
    sample(net, tm.schedule, tm.noise(50, 0), "ddim", 5, record=False)       # warm-up
    variants = [("ddim50", {}), ("ddim50 no clip", dict(clip_x0=False)), ("ddim25", dict(steps=25)),
                ("ddim35", dict(steps=35)), ("ddim70", dict(steps=70)), ("ddim100", dict(steps=100)),
                ("ddim50 eta=1", dict(eta=1.0))]
    if args.slow:
        variants += [("ddim200", dict(steps=200)), ("ddpm1000", dict(sampler="ddpm", steps=1000))]
    for name, kw in variants:
        report(dict(base, variant=name, **score(net, tm.schedule, **kw)))
    for step in sorted(tm.snapshots):
        report(dict(base, variant=f"ddim50 EMA snapshot {step}", **score(tm.model_at(step), tm.schedule)))


def respaced(schedule, power: float):
    """A copy of the schedule whose sampler steps are t = round((T - 1) u^power), u evenly from 1 to 0 (power 1:
    the library's even spacing; 2: denser near t = 0; 0.5: denser near t = T), kept strictly descending.
    Screening only: the library keeps even spacing."""
    s = copy.copy(schedule)

    def timesteps(steps, start=None):
        assert start is None, "respaced schedules sample from pure noise only"
        ts = np.round(np.linspace(1, 0, steps) ** power * (schedule.T - 1)).astype(int)
        ts[-1] = 0
        for i in range(len(ts) - 2, -1, -1):         # the last steps of a dense end would repeat: push them apart
            ts[i] = max(ts[i], ts[i + 1] + 1)
        return [int(t) for t in ts]

    s.timesteps = timesteps
    return s


def spacing(args) -> None:
    """Fifty network calls placed differently (and with sampler noise), against DDPM respaced to 100 calls."""
    from diffusion.models import get_model

    tm = get_model("digits", make_config(args.preset, args.settings))
    base = dict(settings=dict(args.settings), train_seconds=round(tm.history["seconds"][-1], 1))
    sample(tm.model, tm.schedule, tm.noise(50, 0), "ddim", 5, record=False)       # warm-up
    for power, kw in ((1, {}), (1, dict(eta=0.5)), (1, dict(eta=1.0)), (2, {}), (2, dict(eta=1.0)),
                      (0.5, dict(eta=1.0)), (1, dict(sampler="ddpm", steps=100))):
        report(dict(base, variant=f"spacing u^{power}", **score(tm.model, respaced(tm.schedule, power), **kw)))


def seeds(args) -> None:
    """The measure under several x_T seed sets (--seeds cut into groups of --group): how far apart
    two scorings of the same model land, for the mean of per-seed ratios and for the pooled ratio."""
    from diffusion.models import get_model

    tm = get_model("digits", make_config(args.preset, args.settings))
    base = dict(settings=dict(args.settings), train_seconds=round(tm.history["seconds"][-1], 1))
    for i in range(0, len(args.seeds), args.group):
        report(dict(base, variant="seed set", **score(tm.model, tm.schedule, seeds=args.seeds[i:i + args.group])))


def ema_decay(spec: str):
    """'0.999' -> constant decay; 'warmup:0.999' -> min(0.999, (1 + n) / (10 + n)) at update n."""
    if spec.startswith("warmup:"):
        top = float(spec[7:])
        return lambda n: min(top, (1 + n) / (10 + n))
    d = float(spec)
    return lambda n: d


def train(args) -> None:
    recipe = get_recipe("digits")
    config = make_config(args.preset, args.settings)
    get_classifier()            # trained (if missing) before the run, so that it is not in the timing
    if args.threads:
        torch.set_num_threads(args.threads)
    tracks = {s: None for s in args.ema if s != "raw"}
    decays = {s: ema_decay(s) for s in tracks}
    state = dict(n=0, extra=0.0, raw=None)
    real_update = engine.ema_update

    def update(ema, model, decay):
        real_update(ema, model, decay)
        t0 = time.perf_counter()
        for s in tracks:
            if tracks[s] is None:
                tracks[s] = copy.deepcopy(model).requires_grad_(False)   # starts at the first updated weights
            else:
                real_update(tracks[s], model, decays[s](state["n"]))
        state["n"] += 1
        state["raw"] = model
        state["extra"] += time.perf_counter() - t0

    engine.ema_update = update
    try:
        result = engine.train(recipe, config, progress=False)
    finally:
        engine.ema_update = real_update
    seconds = result["history"]["seconds"][-1] - state["extra"]
    schedule = recipe.schedule(config)
    nets = {f"engine EMA {config.ema_decay}": recipe.network(config)}
    nets[f"engine EMA {config.ema_decay}"].load_state_dict(result["ema"])
    for s, m in tracks.items():
        nets[f"EMA {s}"] = m
    if "raw" in args.ema:
        nets["raw"] = state["raw"]
    torch.set_num_threads(args.threads or torch.get_num_threads())
    base = dict(settings=dict(args.settings), threads=torch.get_num_threads(), train_seconds=round(seconds, 1),
                final_loss=round(sum(result["history"]["loss"][-200:]) / 200, 4))
    if args.save:
        torch.save(dict(base=base, nets={k: v.state_dict() for k, v in nets.items()}), args.save)
    for name, net in nets.items():
        net.eval().requires_grad_(False)
        for steps in args.sample_steps:
            report(dict(base, weights=name, **score(net, schedule, steps=steps, seeds=args.seeds or QUALITY_SEEDS)))


def saved_nets(args):
    """(base row, schedule, {name: network}) from the file a `train --save` wrote, built with --set as trained."""
    recipe = get_recipe("digits")
    config = make_config(args.preset, args.settings)
    saved = torch.load(args.load)
    if "nets" not in saved:                     # an older file: the state dicts alone
        saved = dict(base=dict(settings=dict(args.settings)), nets=saved)
    nets = {}
    for name, state in saved["nets"].items():
        nets[name] = recipe.network(config)
        nets[name].load_state_dict(state)
        nets[name].eval().requires_grad_(False)
    return saved["base"], recipe.schedule(config), nets


def rescore(args) -> None:
    """Score the weights of a `train --save` file again (other seeds, other DDIM step counts)."""
    base, schedule, nets = saved_nets(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    for name, net in nets.items():
        for steps in args.sample_steps:
            for i in range(0, len(args.seeds or QUALITY_SEEDS), args.group):
                sd = (args.seeds or QUALITY_SEEDS)[i:i + args.group]
                report(dict(base, weights=name, rescored=str(args.load), threads=torch.get_num_threads(),
                            **score(net, schedule, steps=steps, seeds=sd)))


def class_mix(net, schedule, seed: int, f_held, floor: float, held_counts, n: int = 3000) -> dict:
    """One seed of `classmix`: plain and class-balanced ratio, class shares (see the module docstring)."""
    import numpy as np

    from diffusion.models.digits.classifier import classify, frechet_distance

    x_T = torch.randn((n, 1, 8, 8), generator=torch.Generator().manual_seed(seed))
    x = sample(net, schedule, x_T, "ddim", 50, 0.0, torch.Generator().manual_seed(seed + 1), record=False, clip_x0=True)
    labels, _, f = classify(x.clamp(-1, 1))
    target = np.round(held_counts * 1000 / held_counts.sum()).astype(int)
    rng = np.random.default_rng(seed)
    pick = np.concatenate([rng.choice(np.flatnonzero(labels == c), target[c], replace=(labels == c).sum() < target[c])
                           for c in range(10)])
    # outliers? the same 1000 without the 50 farthest from the held-out features (Mahalanobis distance)
    d = f[:1000] - f_held.mean(0)
    maha = np.einsum("ni,ij,nj->n", d, np.linalg.pinv(np.cov(f_held, rowvar=False)), d)
    near = f[:1000][np.argsort(maha)[:950]]
    return dict(seed=seed, ratio=round(frechet_distance(f[:1000], f_held) / floor, 3),
                ratio_without_50_farthest=round(frechet_distance(near, f_held) / floor, 3),
                ratio_class_balanced=round(frechet_distance(f[pick], f_held) / floor, 3),
                class_share=[round(float(v), 3) for v in np.bincount(labels, minlength=10) / n],
                held_out_share=[round(float(v), 3) for v in held_counts / held_counts.sum()])


def classmix(args) -> None:
    import numpy as np

    from diffusion.models.digits.classifier import reference_features, frechet_distance
    from diffusion.models.digits.data import load_digits

    if args.load:
        base, schedule, nets = saved_nets(args)
        name = next(k for k in nets if k.startswith("engine"))       # the engine's own EMA weights
        net, base = nets[name], dict(base, weights=name)
    else:
        from diffusion.models import get_model

        tm = get_model("digits", make_config(args.preset, args.settings))
        net, schedule, base = tm.model, tm.schedule, dict(settings=dict(args.settings), model=tm.key)
    f_held, f_real, _ = reference_features(8)
    floor = frechet_distance(f_real, f_held)
    held_counts = np.bincount(np.asarray(load_digits(8, "heldout")[1]), minlength=10)
    for seed in args.seeds or (1234, 4321, 2, 3):
        report(dict(base, variant="class mix", **class_mix(net, schedule, seed, f_held, floor, held_counts)))


STEPTIME_VARIANTS = [[], ["batch_size=256"], ["batch_size=192"], ["unet.base_channels=32"],
                     ["unet.base_channels=16"], ["unet.attention=True"], ["prediction=v"],
                     ["unet.base_channels=32", "unet.attention=True"]]


def steptime(args) -> None:
    """ms per training step of the preset with each of STEPTIME_VARIANTS' settings (80 steps, the
    mean of steps 21-80), at --threads threads (default 1): what equal training cost means."""
    recipe = get_recipe("digits")
    torch.set_num_threads(args.threads or 1)
    for v in STEPTIME_VARIANTS:
        config = make_config(args.preset, [parse_setting(x) for x in v + ["steps=80"]])
        h = engine.train(recipe, config, progress=False)["history"]["seconds"]
        report(dict(settings=v, threads=torch.get_num_threads(), ms_per_step=round((h[-1] - h[19]) / 60 * 1000, 1)))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("samplers", "spacing", "seeds", "train", "rescore", "steptime", "classmix"))
    p.add_argument("--seeds", type=int, nargs="*", default=None,
                   help="x_T seeds to score, in groups of --group (default: QUALITY_SEEDS, the bench's)")
    p.add_argument("--group", type=int, default=len(QUALITY_SEEDS), help="seeds per scoring (seeds, rescore)")
    p.add_argument("--sample-steps", type=int, nargs="*", default=[50], help="train, rescore: DDIM steps to score")
    p.add_argument("--load", type=Path, default=None, help="rescore, classmix: a file that train --save wrote")
    p.add_argument("--preset", default="default")
    p.add_argument("--set", dest="settings", type=parse_setting, action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--slow", action="store_true", help="samplers: also DDIM 200 and DDPM 1000 (minutes)")
    p.add_argument("--threads", type=int, default=None, help="train: torch threads (1 to screen two runs at once)")
    p.add_argument("--ema", nargs="*", default=[],
                   help="train: extra EMA tracks scored beside the engine's own (e.g. 0.9995 warmup:0.999 raw)")
    p.add_argument("--save", type=Path, default=None, help="train: write every track's weights here")
    args = p.parse_args(argv)
    global COMMAND
    rep = Report(f"digits_sweep-{args.mode}", f"Digits screens: {args.mode}", argv=argv, keep_other_commands=True)
    COMMAND = rep.command
    if args.mode == "seeds" and args.seeds is None:
        args.seeds = list(QUALITY_SEEDS) + list(range(7, 7 + len(QUALITY_SEEDS)))   # two disjoint sets
    ROWS.clear()
    dict(samplers=samplers, spacing=spacing, seeds=seeds, train=train, rescore=rescore, steptime=steptime,
         classmix=classmix)[args.mode](args)
    rep.records([{k: v for k, v in r.items() if k not in ("seeds", "ratios", "class_share", "held_out_share")} | (
        dict(ratios=r["ratios"]) if "ratios" in r else {}) for r in ROWS])
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

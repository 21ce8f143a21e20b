"""Screening runs for the digits model, scored exactly as bench/digits.py scores (sample_quality):
1000 samples from x_T = noise(1000, seed=1234), Fréchet distance of classifier features to the
held-out half, divided by the real-vs-real floor, and the share classified with confidence > 0.9.

  samplers: one trained model (from $DIFFUSION_CACHE, trained there if missing), many samplers
    PYTHONPATH=. .venv/bin/python bench/digits_sweep.py samplers [--preset P] [--set NAME=VALUE ...] [--slow]
  seeds: the bench's measure under several x_T seeds (how noisy one seed's figure is)
    PYTHONPATH=. .venv/bin/python bench/digits_sweep.py seeds [--set NAME=VALUE ...] [--seeds 1234 4321 ...]
  train: one fresh training run (nothing cached), its weights scored under several EMA decays at once
    PYTHONPATH=. .venv/bin/python bench/digits_sweep.py train [--set NAME=VALUE ...] [--threads 1]
        [--ema 0.999 0.9995 warmup:0.999 raw]

`--set unet.base_channels=32` changes one field of the U-Net config. Every result is appended as a
JSON line (with the command) to bench/results/digits_sweep.jsonl. A screening run's seconds are
the engine's training seconds minus the time the extra EMA tracks took.
"""
from __future__ import annotations

import argparse
import copy
import json
import shlex
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diffusion.__main__ import _setting  # noqa: E402
sys.path.insert(0, str(ROOT / "bench"))
from digits import make_config  # noqa: E402  (the bench's own --set handling)
from diffusion.core import engine  # noqa: E402
from diffusion.core.sample import sample  # noqa: E402
from diffusion.models import get_recipe  # noqa: E402
from diffusion.models.digits.classifier import get_classifier, sample_quality  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "digits_sweep.jsonl"


def score(net, schedule, sampler="ddim", steps=50, eta=0.0, clip_x0=True, seed=1234) -> dict:
    x_T = torch.randn((1000, 1, 8, 8), generator=torch.Generator().manual_seed(seed))
    t0 = time.perf_counter()
    x = sample(net, schedule, x_T, sampler, steps, eta, torch.Generator().manual_seed(seed + 1), record=False,
               clip_x0=clip_x0)
    seconds = time.perf_counter() - t0
    q = sample_quality(x)
    return dict(sample_seconds=round(seconds, 2), fd=round(q["fd_samples"], 2),
                ratio=round(q["fd_ratio_samples_to_real"], 3), confident=round(q["confident_share"], 3),
                floor=round(q["fd_real"], 2), min_class=min(q["class_counts"]))


def report(row: dict) -> None:
    row["command"] = " ".join(shlex.quote(a) for a in sys.argv)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


def samplers(args) -> None:
    from diffusion.core.loader import get_model

    tm = get_model("digits", make_config(args.preset, args.settings))
    net = tm.model
    base = dict(settings=dict(args.settings), train_seconds=round(tm.history["seconds"][-1], 1))
    sample(net, tm.schedule, tm.noise(50, 0), "ddim", 5, record=False)       # warm-up
    variants = [("ddim50", {}), ("ddim50 seed 4321", dict(seed=4321)), ("ddim50 no clip", dict(clip_x0=False)),
                ("ddim25", dict(steps=25)), ("ddim100", dict(steps=100)), ("ddim50 eta=1", dict(eta=1.0))]
    if args.slow:
        variants += [("ddim200", dict(steps=200)), ("ddpm1000", dict(sampler="ddpm", steps=1000))]
    for name, kw in variants:
        report(dict(base, variant=name, **score(net, tm.schedule, **kw)))
    for step in sorted(tm.snapshots):
        report(dict(base, variant=f"ddim50 EMA snapshot {step}", **score(tm.model_at(step), tm.schedule)))


def seeds(args) -> None:
    """The bench's measure (DDIM 50, 1000 samples) under several x_T seeds: how much of a difference
    between two models one seed can show."""
    from diffusion.core.loader import get_model

    tm = get_model("digits", make_config(args.preset, args.settings))
    base = dict(settings=dict(args.settings), train_seconds=round(tm.history["seconds"][-1], 1))
    rows = [score(tm.model, tm.schedule, seed=s) for s in args.seeds]
    for s, r in zip(args.seeds, rows):
        report(dict(base, variant=f"ddim50 seed {s}", **r))
    fds = sorted(r["ratio"] for r in rows)
    report(dict(base, variant=f"ddim50 over seeds {args.seeds}", ratio_min=fds[0], ratio_max=fds[-1],
                ratio_mean=round(sum(fds) / len(fds), 3), ratio_median=fds[len(fds) // 2],
                confident_mean=round(sum(r["confident"] for r in rows) / len(rows), 3)))


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
    get_classifier()            # trained (if missing) with torch's own thread count, as the bench trains it
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
    for name, net in nets.items():
        net.eval().requires_grad_(False)
        report(dict(base, weights=name, **score(net, schedule)))
    if args.save:
        torch.save({k: v.state_dict() for k, v in nets.items()}, args.save)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("samplers", "seeds", "train"))
    p.add_argument("--seeds", type=int, nargs="*", default=[1234, 4321, 1, 2, 3, 4],
                   help="seeds: the x_T seeds to score (the bench's is 1234)")
    p.add_argument("--preset", default="default")
    p.add_argument("--set", dest="settings", type=_setting, action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--slow", action="store_true", help="samplers: also DDIM 200 and DDPM 1000 (minutes)")
    p.add_argument("--threads", type=int, default=None, help="train: torch threads (1 to screen two runs at once)")
    p.add_argument("--ema", nargs="*", default=["0.9995", "warmup:0.999", "warmup:0.9995", "raw"],
                   help="train: extra EMA tracks scored beside the engine's own")
    p.add_argument("--save", type=Path, default=None, help="train: write every track's weights here")
    args = p.parse_args()
    dict(samplers=samplers, seeds=seeds, train=train)[args.mode](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

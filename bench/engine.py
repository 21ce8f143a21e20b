"""Speed of the one training engine, and whether a seed gives the same run twice on this device.

  python -m bench.engine [--model digits] [--preset large] [--steps 1000] [--twice]

Trains `--steps` steps of the preset (the engine itself, no cache) on the default device (CUDA when
present) and prints steps/s after a warm-up, the preset's full run extrapolated from it, and 1000
samples x 50 DDIM steps on the same device. --twice trains the measured steps a second time and
reports whether losses and EMA weights are bit-identical. Bound (GPU only): the large digits preset
within 180 s on one H100-class GPU. Writes bench/reports/engine.md (one section per command).
"""
from __future__ import annotations

import argparse
import time

import torch

from bench.report import Report

LARGE_BOUND_S = 180.0


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main(argv=None) -> int:
    from diffusion.core.engine import default_device, train
    from diffusion.core.trained import TrainedModel
    from diffusion.models import get_config, get_recipe

    p = argparse.ArgumentParser()
    p.add_argument("--model", default="digits")
    p.add_argument("--preset", default="large")
    p.add_argument("--steps", type=int, default=1000, help="steps measured (after a 50-step warm-up run)")
    p.add_argument("--twice", action="store_true", help="train again and compare bit for bit")
    args = p.parse_args(argv)
    rep = Report("engine", "The training engine: speed and determinism", argv=argv, keep_other_commands=True)

    recipe = get_recipe(args.model)
    full = get_config(args.model, args.preset)
    device = torch.device(recipe.device or default_device())
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    rep.text(f"torch {torch.__version__} on {name}; {args.model} {args.preset}: {full.steps} steps, batch "
             f"{full.batch_size}; {args.steps} steps measured after a 50-step warm-up run.")
    rows = []

    train(recipe, recipe.override(full, steps=50), progress=False)                  # warm-up: kernels, allocator
    cfg = recipe.override(full, steps=args.steps)
    sync(device)
    t0 = time.perf_counter()
    a = train(recipe, cfg, progress=False)
    sync(device)
    seconds = time.perf_counter() - t0
    rate = args.steps / seconds
    est = full.steps / rate
    rows += [["training steps per second", f"{rate:.1f}"], ["training samples per second", f"{rate * full.batch_size:.0f}"],
             [f"the full {full.steps} steps, extrapolated", f"{est:.0f} s"]]
    if args.model == "digits" and args.preset == "large":
        rep.check(f"large preset trains within {LARGE_BOUND_S:.0f} s (GPU only)", f"{est:.0f} s",
                  f"<= {LARGE_BOUND_S:.0f} s", est <= LARGE_BOUND_S if device.type == "cuda" else None)

    if args.twice:
        b = train(recipe, cfg, progress=False)
        same_loss = a["history"]["loss"] == b["history"]["loss"]
        same_ema = all(torch.equal(a["ema"][k], b["ema"][k]) for k in a["ema"])
        worst = max(float((a["ema"][k] - b["ema"][k]).abs().max()) for k in a["ema"])
        rows += [["same seed twice: losses", "identical" if same_loss else "differ"],
                 ["same seed twice: EMA weights", "identical" if same_ema else f"differ (max abs {worst:.2e})"]]

    if recipe.default_sampler != "ancestral":
        net = recipe.network(cfg)
        net.load_state_dict(a["ema"])
        tm = TrainedModel(args.model, cfg, net.eval().requires_grad_(False), recipe.schedule(cfg), a["history"],
                          {}, "bench", recipe=recipe)
        recipe.sample(tm, 100, 0, "ddim", 5, device=device)                      # warm-up
        sync(device)
        t0 = time.perf_counter()
        recipe.sample(tm, 1000, 0, "ddim", 50, device=device)
        sync(device)
        rows.append([f"sample 1000 x DDIM 50 steps on {device.type}", f"{time.perf_counter() - t0:.2f} s"])
    rep.table(["measure", "value"], rows)
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

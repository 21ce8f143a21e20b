"""Speed of the one training engine, and whether a seed gives the same run twice on this device.

  PYTHONPATH=. .venv/bin/python bench/engine.py [--model digits] [--preset large] [--steps 1000]

Trains `--steps` steps of the preset (the engine itself, no cache) on the default device (CUDA when
present) and prints steps/s after a warm-up, the preset's full run extrapolated from it, and 1000
samples x 50 DDIM steps on the same device. --twice trains the measured steps a second time and
reports whether losses and EMA weights are bit-identical. Bound (GPU only): the large digits preset
within 180 s on one H100-class GPU (issue 12's goal).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LARGE_BOUND_S = 180.0


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> int:
    from diffusion.core.engine import default_device, train
    from diffusion.core.trained import TrainedModel
    from diffusion.models import get_config, get_recipe

    p = argparse.ArgumentParser()
    p.add_argument("--model", default="digits")
    p.add_argument("--preset", default="large")
    p.add_argument("--steps", type=int, default=1000, help="steps measured (after a 50-step warm-up run)")
    p.add_argument("--twice", action="store_true", help="train again and compare bit for bit")
    args = p.parse_args()

    recipe = get_recipe(args.model)
    full = get_config(args.model, args.preset)
    device = torch.device(recipe.device or default_device())
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"torch {torch.__version__} on {name}; {args.model} {args.preset}: {full.steps} steps, "
          f"batch {full.batch_size}")

    train(recipe, recipe.override(full, steps=50), progress=False)                  # warm-up: kernels, allocator
    cfg = recipe.override(full, steps=args.steps)
    sync(device)
    t0 = time.perf_counter()
    a = train(recipe, cfg, progress=False)
    sync(device)
    seconds = time.perf_counter() - t0
    rate = args.steps / seconds
    est = full.steps / rate
    print(f"train: {rate:.1f} steps/s ({rate * full.batch_size:.0f} samples/s); the full {full.steps} steps "
          f"~ {est:.0f} s")
    if device.type == "cuda" and args.model == "digits" and args.preset == "large":
        print(f"  large preset within {LARGE_BOUND_S:.0f} s: {'met' if est <= LARGE_BOUND_S else 'MISSED'}")

    if args.twice:
        b = train(recipe, cfg, progress=False)
        same_loss = a["history"]["loss"] == b["history"]["loss"]
        same_ema = all(torch.equal(a["ema"][k], b["ema"][k]) for k in a["ema"])
        worst = max(float((a["ema"][k] - b["ema"][k]).abs().max()) for k in a["ema"])
        print(f"same seed twice: losses {'identical' if same_loss else 'differ'}, EMA weights "
              f"{'identical' if same_ema else f'differ (max abs {worst:.2e})'}")

    if recipe.default_sampler != "ancestral":
        net = recipe.network(cfg)
        net.load_state_dict(a["ema"])
        tm = TrainedModel(args.model, cfg, net.eval().requires_grad_(False), recipe.schedule(cfg), a["history"],
                          {}, "bench", recipe=recipe)
        recipe.sample(tm, 100, 0, "ddim", 5, device=device)                      # warm-up
        sync(device)
        t0 = time.perf_counter()
        x = recipe.sample(tm, 1000, 0, "ddim", 50, device=device)
        sync(device)
        print(f"sample: 1000 x DDIM 50 steps on {device.type} in {time.perf_counter() - t0:.2f} s {x.shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

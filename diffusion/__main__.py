"""Command line: python -m diffusion train digits | python -m diffusion sample digits --out FILE.npz"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def main(argv=None) -> int:
    from .models.digits.data import DATASETS
    from .models.digits.config import PRESETS
    from .core.sample import SAMPLERS

    p = argparse.ArgumentParser(prog="python -m diffusion", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="train (or load from the cache) a model")
    tr.add_argument("dataset", choices=DATASETS)
    tr.add_argument("--preset", choices=list(PRESETS), default=None, help="default: $DIFFUSION_PRESET or 'default'")
    tr.add_argument("--steps", type=_positive_int, default=None, help="override the preset's training steps")
    sp = sub.add_parser("sample", help="sample images from the trained model into an .npz (key 'samples')")
    sp.add_argument("dataset", choices=DATASETS)
    sp.add_argument("--preset", choices=list(PRESETS), default=None)
    sp.add_argument("--n", type=_positive_int, default=16)
    sp.add_argument("--sampler", choices=SAMPLERS, default="ddim")
    sp.add_argument("--steps", type=_positive_int, default=50)
    sp.add_argument("--eta", type=float, default=0.0)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--batch", type=_positive_int, default=1000, help="samples per network call")
    sp.add_argument("--out", required=True, type=Path)
    args = p.parse_args(argv)

    import torch

    from .core.loader import get_model
    from .models.digits.config import get_preset, with_dataset
    from .core.sample import check_sampler, sample

    config = with_dataset(get_preset(args.preset), args.dataset)
    if args.cmd == "train":
        if args.steps:
            config = replace(config, steps=args.steps,
                             snapshots=tuple(s for s in config.snapshots if s < args.steps) + (args.steps,))
        t0 = time.perf_counter()
        tm = get_model(config)
        h = tm.history
        print(f"model {tm.key}: {len(h['loss'])} steps, final loss (mean of last 100) "
              f"{np.mean(h['loss'][-100:]):.4f}, trained in {h['seconds'][-1]:.1f}s; ready in "
              f"{time.perf_counter() - t0:.1f}s")
        return 0

    try:
        check_sampler(args.sampler, args.steps, config.T)
        if not 0.0 <= args.eta <= 1.0:
            raise ValueError(f"eta must be in [0, 1], got {args.eta}")
        if args.out.suffix != ".npz":
            raise ValueError(f"--out must end in .npz, got {args.out}")
    except ValueError as e:
        p.error(str(e))
    tm = get_model(config)
    gen = torch.Generator().manual_seed(args.seed + 1)
    x_T = tm.noise(args.n, args.seed)
    t0 = time.perf_counter()
    out = [sample(tm.model, tm.schedule, x_T[i:i + args.batch], args.sampler, args.steps, args.eta, gen,
                  record=False) for i in range(0, args.n, args.batch)]
    samples = torch.cat(out)[:, 0].clamp(-1, 1).numpy().astype(np.float32)
    seconds = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, samples=samples)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: samples {samples.shape} in [-1, 1], {args.sampler} {args.steps} steps, "
          f"{seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

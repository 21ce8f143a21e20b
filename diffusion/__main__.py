"""Command line: python -m diffusion train digits | python -m diffusion sample digits --out FILE.npz

The class-conditional model: python -m diffusion train digits-cond, and
python -m diffusion sample digits-cond --label K --guidance W --out FILE.npz
(guided eps = (1 + W) * eps(x, t, K) - W * eps(x, t, null); W = 0 is the plain conditional model)."""
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
    from .models.digits_cond import NAME as COND, NUM_CLASSES
    from .core.sample import SAMPLERS

    models = DATASETS + (COND,)
    p = argparse.ArgumentParser(prog="python -m diffusion", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("train", help="train (or load from the cache) a model")
    tr.add_argument("dataset", choices=models)
    tr.add_argument("--preset", choices=list(PRESETS), default=None, help="default: $DIFFUSION_PRESET or 'default'")
    tr.add_argument("--steps", type=_positive_int, default=None, help="override the preset's training steps")
    sp = sub.add_parser("sample", help="sample images from the trained model into an .npz (key 'samples')")
    sp.add_argument("dataset", choices=models)
    sp.add_argument("--preset", choices=list(PRESETS), default=None)
    sp.add_argument("--n", type=_positive_int, default=16)
    sp.add_argument("--sampler", choices=SAMPLERS, default="ddim")
    sp.add_argument("--steps", type=_positive_int, default=50)
    sp.add_argument("--eta", type=float, default=0.0)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--batch", type=_positive_int, default=1000, help="samples per network call")
    sp.add_argument("--out", required=True, type=Path)
    sp.add_argument("--label", type=int, default=None, help=f"{COND} only: the class 0..{NUM_CLASSES - 1} to draw")
    sp.add_argument("--guidance", type=float, default=0.0,
                    help=f"{COND} only: w in (1 + w) eps(x, t, label) - w eps(x, t, null); 0 = plain conditional")
    args = p.parse_args(argv)

    import torch

    from .core.loader import get_model
    from .models.digits.config import get_preset, with_dataset
    from .core.sample import check_sampler, sample

    conditional = args.dataset == COND
    if conditional:
        from .core.guidance import GuidedEps, check_guidance
        from .models.digits_cond import cond_config
        config = cond_config(args.preset)
    else:
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
        if conditional:
            if args.label is None:
                raise ValueError(f"{COND} needs --label K (a class 0..{NUM_CLASSES - 1})")
            check_guidance(args.label, args.guidance, NUM_CLASSES)
        elif args.label is not None or args.guidance:
            raise ValueError(f"--label and --guidance need the conditional model ({COND}), not {args.dataset}")
    except ValueError as e:
        p.error(str(e))
    tm = get_model(config)
    model = GuidedEps(tm.model, args.label, args.guidance) if conditional else tm.model
    gen = torch.Generator().manual_seed(args.seed + 1)
    x_T = tm.noise(args.n, args.seed)
    t0 = time.perf_counter()
    out = [sample(model, tm.schedule, x_T[i:i + args.batch], args.sampler, args.steps, args.eta, gen,
                  record=False) for i in range(0, args.n, args.batch)]
    samples = torch.cat(out)[:, 0].clamp(-1, 1).numpy().astype(np.float32)
    seconds = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, samples=samples)
    os.replace(tmp, args.out)
    what = f", label {args.label}, guidance w = {args.guidance:g}" if conditional else ""
    print(f"wrote {args.out}: samples {samples.shape} in [-1, 1], {args.sampler} {args.steps} steps{what}, "
          f"{seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

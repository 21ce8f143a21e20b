"""Command line for every registered model:

    python -m diffusion list
    python -m diffusion train MODEL [--preset P] [--steps N] [--set name=value ...]
    python -m diffusion sample MODEL --out FILE.npz [--preset P] [--set steps=N ...] [--n N] [--sampler S]
                                                 [--steps NFE]

`sample` reaches the model `train` made with the same --preset and --set (train --steps N is
--set steps=N); `train` prints the sample command to reuse.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .core.settings import parse_setting


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def _model_name(s: str) -> str:
    from .models import check_name

    try:
        return check_name(s)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def parser() -> argparse.ArgumentParser:
    from .core.presets import PRESET_NAMES

    p = argparse.ArgumentParser(prog="python -m diffusion", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the registered models and their presets")
    tr = sub.add_parser("train", help="train (or load from the cache) a model")
    sp = sub.add_parser("sample", help="samples from the trained model into an .npz (key 'samples')")
    for q in (tr, sp):
        q.add_argument("model", type=_model_name, metavar="MODEL")
        q.add_argument("--preset", choices=PRESET_NAMES, default=None, help="default: $DIFFUSION_PRESET or 'default'")
        q.add_argument("--set", dest="settings", type=parse_setting, action="append", default=[], metavar="NAME=VALUE",
                       help="override a training setting of the preset (repeatable), e.g. --set steps=9000")
    tr.add_argument("--steps", type=_positive_int, default=None, help="training steps (the same as --set steps=N)")
    sp.add_argument("--n", type=_positive_int, default=16)
    sp.add_argument("--sampler", default=None,
                    help="ddim (default), ddpm, dpm++2m (DPM-Solver++(2M)), dpm++2m-sde (its SDE form: fresh noise "
                         "each step, seeded by --seed), heun (EDM) or heun-churn (EDM's stochastic Heun, its "
                         "ImageNet-64 churn settings); graphs: ancestral")
    sp.add_argument("--steps", type=_positive_int, default=50, help="network calls (NFE); heun spends two per step")
    sp.add_argument("--spacing", default="uniform",
                    help="timesteps evenly spaced in t (uniform, default) or in sigma ** (1/7) (karras: short steps "
                         "near the data, Karras et al. 2022); eps-models only")
    sp.add_argument("--eta", type=float, default=0.0, help="ddim's noise (0: deterministic); 0 for the solvers")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--batch", type=_positive_int, default=1000, help="samples per network call")
    sp.add_argument("--device", default=None, help="default: cuda when present, else cpu")
    sp.add_argument("--out", required=True, type=Path)
    sp.add_argument("--label", type=int, default=None, help="digits-cond: the class 0..9 to draw")
    sp.add_argument("--guidance", type=float, default=0.0,
                    help="digits-cond: w in (1 + w) eps(x, t, label) - w eps(x, t, null); 0 = plain conditional")
    return p


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    from .core.presets import active_preset
    from .models import MODELS, get_recipe

    if args.cmd == "list":
        from .core.cache import config_key

        for name in MODELS:
            recipe = get_recipe(name)
            keys = ", ".join(f"{k} {config_key(c.to_dict())}" for k, c in recipe.presets.items())
            print(f"{name:8s} {(recipe.__doc__ or type(recipe).__name__).strip().splitlines()[0]}  [{keys}]")
        return 0

    recipe = get_recipe(args.model)
    settings = dict(args.settings)
    if args.cmd == "train" and args.steps:
        settings["steps"] = args.steps
    try:
        config = recipe.config(active_preset(args.preset), **settings)
    except (ValueError, TypeError) as e:
        p.error(str(e))

    from .models import get_model

    if args.cmd == "train":
        t0 = time.perf_counter()
        tm = get_model(args.model, config)
        h = tm.history
        print(f"model {args.model} {tm.key}: {len(h['loss'])} steps, final loss (mean of last 100) "
              f"{np.mean(h['loss'][-100:]):.4f}, trained in {h['seconds'][-1]:.1f}s; ready in "
              f"{time.perf_counter() - t0:.1f}s")
        again = ["python -m diffusion sample", args.model] + (["--preset", args.preset] if args.preset else [])
        again += [f"--set {shlex.quote(f'{k}={v!r}')}" for k, v in settings.items()] + ["--out samples.npz"]
        print("sample it with:", " ".join(again))
        return 0

    import torch

    from .core.flow_recipe import FlowMatching
    from .core.sample import check_sampler, check_spacing

    sampler = args.sampler or recipe.default_sampler
    try:
        if sampler not in recipe.samplers():
            raise ValueError(f"invalid choice: sampler {sampler!r}; {args.model} has {', '.join(recipe.samplers())}")
        if sampler != "ancestral":
            check_sampler(sampler, args.steps, config.T, args.eta)
        check_spacing(args.spacing)
        if args.spacing != "uniform" and (sampler == "ancestral" or isinstance(recipe, FlowMatching)):
            raise ValueError(f"--spacing {args.spacing} is for the eps-models' samplers, not {args.model}'s {sampler}")
        if not 0.0 <= args.eta <= 1.0:
            raise ValueError(f"eta must be in [0, 1], got {args.eta}")
        if args.out.suffix != ".npz":
            raise ValueError(f"--out must end in .npz, got {args.out}")
        guided = getattr(recipe, "guided", False)
        if guided:
            from .core.guidance import check_guidance
            if args.label is None:
                raise ValueError(f"{args.model} needs --label K (a class 0..{config.unet.num_classes - 1})")
            check_guidance(args.label, args.guidance, config.unet.num_classes)
        elif args.label is not None or args.guidance:
            raise ValueError(f"--label and --guidance need a conditional model (digits-cond), not {args.model}")
    except ValueError as e:
        p.error(str(e))
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    tm = get_model(args.model, config)
    t0 = time.perf_counter()
    extra = dict(label=args.label, guidance=args.guidance) if guided else {}
    if args.spacing != "uniform":            # only then: the graphs' and flows' sample() take no spacing
        extra["spacing"] = args.spacing
    samples = recipe.sample(tm, args.n, args.seed, sampler, args.steps, args.eta, args.batch, device, **extra)
    seconds = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, samples=samples)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: samples {samples.shape} {samples.dtype} from {args.model} {tm.key}, {sampler}"
          f"{'' if sampler == 'ancestral' else f' {args.steps} steps'}"
          f"{'' if args.spacing == 'uniform' else f' ({args.spacing} spacing)'} on {device}, {seconds:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())


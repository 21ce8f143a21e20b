"""What the sampler does with its starting noise: measured experiments on the digits model.

- determinism: the same x_T through DDIM (eta = 0) twice gives the identical image (bitwise);
- patch perturbation: change one square patch of x_T by growing amounts, measure the output distance;
- eta sweep: a fixed x_T with different sampler noise; how far the outputs spread as eta grows;
- interpolation: spherical interpolation (slerp) between two x_T and the DDIM outputs along it;
- forward-backward: noise a held-out digit to t and denoise it back several times; share of the
  outputs the classifier still puts in the digit's class, against t.

Every `run_*` is seeded and returns plain numpy arrays in a dict; every `get_*` caches it by the model,
the config and the library version (get_or_build), so scenes only load results.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..core.cache import cached, TORCH
from ..core.presets import Preset, as_preset
from ..models.digits.classifier import ClassifierConfig, classify, get_classifier
from ..models.digits.data import load_dataset
from ..core.sample import sample


@dataclass(frozen=True)
class ExperimentConfig:
    seed: int = 0
    steps: int = 50                                   # DDIM network calls
    n_determinism: int = 8
    # patch perturbation
    patch: int = 3                                    # side of the square patch (pixels)
    patch_at: tuple = (2, 3)                          # its top-left corner (row, column)
    amounts: tuple = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    n_base: int = 16                                  # x_T's the distances are averaged over
    # eta sweep
    etas: tuple = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
    n_eta_xT: int = 4
    n_eta_noise: int = 8                              # sampler noise seeds per x_T and eta
    # interpolation
    n_interp: int = 13
    # forward-backward
    fb_fracs: tuple = (0.2, 0.4, 0.6, 0.8)            # t / T
    fb_per_class: int = 2                             # held-out digits per class
    fb_repeats: int = 8                               # denoisings per digit and t
    fb_sampler: str = "ddpm"
    fb_steps: int = 100                               # sampler steps for a full T (scaled with t)
    classifier: ClassifierConfig = ClassifierConfig()


QUICK = ExperimentConfig(steps=10, n_determinism=4, amounts=(0.0, 0.25, 0.5, 1.0), n_base=4, etas=(0.0, 0.5, 1.0),
                         n_eta_xT=2, n_eta_noise=3, n_interp=5, fb_per_class=1, fb_repeats=2, fb_steps=20,
                         classifier=ClassifierConfig(steps=200))


def ddim(tm, x_T: torch.Tensor, steps: int, eta: float = 0.0, generator: torch.Generator | None = None,
         **kw) -> torch.Tensor:
    """Final samples of the model's DDIM sampler from x_T, through diffusion.sample."""
    return sample(tm.model, tm.schedule, x_T, "ddim", steps, eta, generator, record=False, **kw)


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().numpy().astype(np.float32)


def _rms(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Root-mean-square difference per sample (over all but the first axis)."""
    return (a - b).flatten(1).pow(2).mean(1).sqrt()


# --- determinism ------------------------------------------------------------------------------

def run_determinism(tm, cfg: ExperimentConfig = ExperimentConfig()) -> dict:
    x_T = tm.noise(cfg.n_determinism, cfg.seed)
    a, b = ddim(tm, x_T.clone(), cfg.steps), ddim(tm, x_T.clone(), cfg.steps)
    return dict(x_T=_np(x_T), first=_np(a), second=_np(b), identical=bool(torch.equal(a, b)),
                max_abs_diff=float((a - b).abs().max()))


# --- patch perturbation -----------------------------------------------------------------------

def patch_mask(shape, patch: int, at: tuple) -> torch.Tensor:
    """1 inside the square patch (top-left corner `at`, side `patch`), 0 elsewhere; shape (C, H, W)."""
    m = torch.zeros(shape)
    r, c = at
    if r < 0 or c < 0 or r + patch > shape[-2] or c + patch > shape[-1]:
        raise ValueError(f"patch of side {patch} at {at} does not fit an image of shape {tuple(shape)}")
    m[..., r:r + patch, c:c + patch] = 1
    return m


def perturb_patch(x_T: torch.Tensor, z: torch.Tensor, mask: torch.Tensor, amount: float) -> torch.Tensor:
    """Rotate the patch of x_T towards other noise z by angle amount * pi/2: cos a x + sin a z.
    Every result is still N(0, I) noise; amount 0 is x_T, amount 1 replaces the patch by z."""
    a = amount * math.pi / 2
    return x_T + mask * ((math.cos(a) - 1) * x_T + math.sin(a) * z)


def run_patch(tm, cfg: ExperimentConfig = ExperimentConfig()) -> dict:
    x_T = tm.noise(cfg.n_base, cfg.seed)
    z = tm.noise(cfg.n_base, cfg.seed + 1000)
    mask = patch_mask(x_T.shape[1:], cfg.patch, cfg.patch_at)
    xs = torch.stack([perturb_patch(x_T, z, mask, a) for a in cfg.amounts])        # (A, B, C, H, W)
    A, B = xs.shape[:2]
    out = ddim(tm, xs.flatten(0, 1), cfg.steps).reshape(xs.shape)
    noise_dist = torch.stack([_rms(xs[i], xs[0]) for i in range(A)], 1)            # (B, A)
    out_dist = torch.stack([_rms(out[i], out[0]) for i in range(A)], 1)
    unrelated = _rms(out[0], out[0].roll(1, 0))                                   # different x_T, same model
    return dict(amounts=np.array(cfg.amounts), mask=_np(mask), x_T=_np(xs[:, 0]), outputs=_np(out[:, 0]),
                x_T_all=_np(xs), outputs_all=_np(out),                            # (A, B, C, H, W)
                noise_dist=_np(noise_dist), out_dist=_np(out_dist),
                mean_noise_dist=_np(noise_dist.mean(0)), mean_out_dist=_np(out_dist.mean(0)),
                unrelated_dist=float(unrelated.mean()))


# --- eta sweep --------------------------------------------------------------------------------

def run_eta_sweep(tm, cfg: ExperimentConfig = ExperimentConfig()) -> dict:
    x_T = tm.noise(cfg.n_eta_xT, cfg.seed)
    k = cfg.n_eta_noise
    outs, spread, pair = [], [], []
    for i, eta in enumerate(cfg.etas):
        gen = torch.Generator().manual_seed(cfg.seed + 1 + i)
        o = ddim(tm, x_T.repeat_interleave(k, 0), cfg.steps, eta, gen).reshape(cfg.n_eta_xT, k, *x_T.shape[1:])
        outs.append(o)
        spread.append(o.std(1, unbiased=True).flatten(1).mean(1).mean())         # per-pixel std over noise seeds
        d = torch.stack([_rms(o[:, a], o[:, b]) for a in range(k) for b in range(a + 1, k)])
        pair.append(d.mean())
    return dict(etas=np.array(cfg.etas), outputs=_np(torch.stack(outs)),         # (E, n_xT, k, C, H, W)
                spread=_np(torch.stack(spread)), pairwise_rms=_np(torch.stack(pair)))


# --- interpolation ----------------------------------------------------------------------------

def slerp(z0: torch.Tensor, z1: torch.Tensor, alpha: float) -> torch.Tensor:
    """Spherical interpolation per sample (flattened): sin((1-a)th)/sin th z0 + sin(a th)/sin th z1,
    th the angle between z0 and z1 (linear interpolation when they are parallel)."""
    a0, a1 = z0.flatten(1).double(), z1.flatten(1).double()
    cos = (a0 * a1).sum(1) / (a0.norm(dim=1) * a1.norm(dim=1))
    th = torch.arccos(cos.clamp(-1, 1))
    s = torch.sin(th)
    small = s < 1e-6
    w0 = torch.where(small, 1 - alpha, torch.sin((1 - alpha) * th) / torch.where(small, 1.0, s))
    w1 = torch.where(small, alpha, torch.sin(alpha * th) / torch.where(small, 1.0, s))
    out = w0[:, None] * a0 + w1[:, None] * a1
    return out.to(z0.dtype).reshape(z0.shape)


def run_interpolation(tm, cfg: ExperimentConfig = ExperimentConfig()) -> dict:
    z0, z1 = tm.noise(1, cfg.seed + 2000), tm.noise(1, cfg.seed + 2001)
    alphas = np.linspace(0, 1, cfg.n_interp)
    zs = torch.cat([slerp(z0, z1, float(a)) for a in alphas])
    lerp = torch.cat([(1 - float(a)) * z0 + float(a) * z1 for a in alphas])
    out = ddim(tm, zs, cfg.steps)
    labels, conf, _ = classify(out.clamp(-1, 1), get_classifier(cfg.classifier))
    return dict(alphas=alphas, x_T=_np(zs), outputs=_np(out), labels=labels, confidence=conf,
                slerp_norm=_np(zs.flatten(1).norm(dim=1)), lerp_norm=_np(lerp.flatten(1).norm(dim=1)),
                step_dist=_np(_rms(out[1:], out[:-1])), end_dist=float(_rms(out[-1:], out[:1])))


# --- forward-backward -------------------------------------------------------------------------

def fb_digits(tm, cfg: ExperimentConfig):
    """The first `fb_per_class` held-out digits of each class that the classifier labels correctly."""
    x, y = load_dataset(tm.config.dataset, tm.config.image_size, "heldout")
    pred, _, _ = classify(x, get_classifier(cfg.classifier))
    idx = []
    for c in range(10):
        ok = np.flatnonzero((y.numpy() == c) & (pred == c))
        idx.extend(ok[:cfg.fb_per_class].tolist())
    idx = np.array(idx)
    return x[idx], y[idx], idx


def run_forward_backward(tm, cfg: ExperimentConfig = ExperimentConfig()) -> dict:
    x0, y, idx = fb_digits(tm, cfg)
    T, r = tm.schedule.T, cfg.fb_repeats
    clf = get_classifier(cfg.classifier)
    ts, noised, outs, labels, share, share_per_digit = [], [], [], [], [], []
    for i, frac in enumerate(cfg.fb_fracs):
        t = int(round(frac * T)) - 1                                             # 0-based step of x_t
        gen = torch.Generator().manual_seed(cfg.seed + 100 + i)
        x_rep = x0.repeat_interleave(r, 0)
        x_t = tm.schedule.add_noise(x_rep, t, torch.randn(x_rep.shape, generator=gen))
        steps = max(1, int(round(frac * cfg.fb_steps)))
        out = sample(tm.model, tm.schedule, x_t, cfg.fb_sampler, steps, 1.0, gen, record=False, start=t)
        out = out.clamp(-1, 1)
        lab, _, _ = classify(out, clf)
        kept = (lab == y.numpy().repeat(r)).reshape(len(x0), r)
        ts.append(t + 1)                                                         # the paper's 1-based t
        noised.append(x_t.reshape(len(x0), r, *x0.shape[1:])); outs.append(out.reshape(len(x0), r, *x0.shape[1:]))
        labels.append(lab.reshape(len(x0), r)); share.append(kept.mean()); share_per_digit.append(kept.mean(1))
    return dict(fracs=np.array(cfg.fb_fracs), t=np.array(ts), T=T, digits=_np(x0), labels_true=y.numpy(),
                heldout_index=idx, noised=_np(torch.stack(noised)), outputs=_np(torch.stack(outs)),
                labels=np.stack(labels), share_kept=np.array(share, dtype=np.float64),
                share_kept_per_digit=np.stack(share_per_digit))


# --- cached access ----------------------------------------------------------------------------

REVISION = 2        # part of the cache key: bump when what a run_* function returns changes
RUNS = dict(determinism=run_determinism, patch=run_patch, eta_sweep=run_eta_sweep,
            interpolation=run_interpolation, forward_backward=run_forward_backward)


def get_experiment(name: str, tm, cfg: ExperimentConfig = ExperimentConfig()) -> dict:
    """The cached result of experiment `name` (one of RUNS) for a trained model and config."""
    if name not in RUNS:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(RUNS)}")
    spec = dict(name=name, model=tm.key, config=asdict(cfg), revision=REVISION)
    return cached("experiments", name, spec, lambda: RUNS[name](tm, cfg), TORCH)


def default_config(preset: Preset | str) -> ExperimentConfig:
    """QUICK for the quick preset (the model it studies is quick too), else the full ExperimentConfig."""
    return QUICK if as_preset(preset).quick else ExperimentConfig()

"""NoiseSpectrum's data (no Manim import): what the scene loads, measures and claims.

The photo (scikit-learn's china.jpg, or IMAGE=...) and the digits are noised by the library's
NoiseSchedule and read in frequency by diffusion/studies/spectrum.py; the reverse process is the
cached DDPM trajectory that ReverseProcess shows (the digits U-Net, nothing trained here).
Steps: the library's 0-based t inside, the paper's 1-based t on screen (t = 0 is the data).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from diffusion.core.schedule import NoiseSchedule
from diffusion.models.digits.data import load_dataset
from diffusion.studies import spectrum as S
from diffusion.studies.images import image_from_env
from scenes.kit.claims import choose, claim, fact, worded
from scenes.kit.data.reverse_process import reverse_trajectory   # the trajectory ReverseProcess shows
from scenes.kit.models import digits_model

PHOTO_SIZE = 64                 # the photo is 64 x 64 pixels: 32 radial bins
EPS_SEED = 0                    # the one noise image shown
N_DRAWS = 64                    # noise draws that measure the power of x_t against the formula
PAUSE_T = (10, 60, 200, 500)    # paper's t where the photo's sweep stops to read the crossing
SWEEP_END = 800                 # paper's t where the photo's sweep ends
GRID = 4                        # GRID x GRID digits on screen (ReverseProcess samples as many)
N_DIGITS = 256                  # real digits whose mean spectrum is the digits' P_0
PHOTO_SCHEDULE = ("linear", 1000)


# --- what is loaded --------------------------------------------------------------------------------

def photo() -> np.ndarray:
    """the photo, PHOTO_SIZE x PHOTO_SIZE in [-1, 1]"""
    return image_from_env(PHOTO_SIZE)


@lru_cache(maxsize=1)
def photo_schedule() -> NoiseSchedule:
    return NoiseSchedule(*PHOTO_SCHEDULE)


def eps_like(shape, seed: int = EPS_SEED) -> np.ndarray:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).numpy()


def x_t(schedule: NoiseSchedule, x0, t_paper: int, eps) -> np.ndarray:
    """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps through `add_noise` (t_paper = 0: x_0)."""
    if t_paper == 0:
        return np.asarray(x0, dtype=np.float64)
    return schedule.add_noise(torch.as_tensor(np.array(x0, dtype=np.float64)), t_paper - 1,
                              torch.as_tensor(eps)).numpy()


@lru_cache(maxsize=1)
def real_digits() -> np.ndarray:
    """(N_DIGITS, 8, 8) training digits of the digits model's dataset"""
    cfg = digits_model().config
    x, _ = load_dataset(cfg.dataset, cfg.image_size, "train")
    return x[:N_DIGITS, 0].numpy().astype(np.float64)


NEEDS = (digits_model, real_digits, reverse_trajectory)      # what the scene loads (built before manim starts)


# --- what is measured ------------------------------------------------------------------------------

def sweep_state(schedule: NoiseSchedule, x0, spec: S.Spectrum, t_paper: int, eps) -> dict:
    """Everything one frame of a sweep shows at the paper's t: the image x_t, the measured spectrum
    of the x_t on screen, the signal and noise powers, the crossing frequency and lambda."""
    k = max(t_paper - 1, 0)
    xt = x_t(schedule, x0, t_paper, eps)
    if t_paper == 0:
        return dict(x=xt, measured=S.radial_power_spectrum(xt).power, signal=spec.power, noise=0.0,
                    fstar=float("inf"), lam=float("inf"))
    return dict(x=xt, measured=S.radial_power_spectrum(xt).power, signal=S.signal_power(schedule, k, spec.power),
                noise=float(S.noise_power(schedule, k)),
                fstar=S.crossing_frequency(spec, float(S.crossing_level(schedule, k))),
                lam=float(schedule.lam(k)))


def xt_formula_error(schedule: NoiseSchedule, x0, spec: S.Spectrum, ts_paper, draws: int = N_DRAWS,
                     formula=S.xt_power) -> float:
    """Largest |log(measured / formula)| over bins and the paper's ts, the power of x_t measured over
    `draws` noise images (add_noise) against `formula(schedule, t, P_0)`."""
    worst = 0.0
    for t in ts_paper:
        eps = eps_like((draws, *np.shape(x0)), seed=1000 + t)
        xs = x_t(schedule, np.broadcast_to(x0, eps.shape), t, eps)
        m = S.radial_power_spectrum(xs).power
        worst = max(worst, float(np.abs(np.log(m / formula(schedule, t - 1, spec.power))).max()))
    return worst


def sweep_range(schedule: NoiseSchedule, spec: S.Spectrum) -> tuple[int, int]:
    """(first, last) paper's t at which the crossing lies inside the spectrum's band of frequencies."""
    fstar = S.crossing_curve(schedule, spec, np.arange(schedule.T))
    inside = np.nonzero(np.isfinite(fstar) & (fstar > 0))[0]
    return (int(inside[0]) + 1, int(inside[-1]) + 1) if len(inside) else (0, 0)


def fine_to_coarse(schedule: NoiseSchedule, spec: S.Spectrum, min_steps: int = 100) -> bool:
    """The claim: as t grows the crossing never moves to finer detail, and it travels through the band
    over at least min_steps steps (a flat spectrum would drown every frequency at one step)."""
    fstar = S.crossing_curve(schedule, spec, np.arange(schedule.T))
    monotone = all(a >= b for a, b in zip(fstar, fstar[1:]))
    first, last = sweep_range(schedule, spec)
    return monotone and last - first >= min_steps


def coarse_first(settle_t) -> bool:
    """The claim: in the reverse process band 1 (coarsest) settles first (at the largest t), then 2, ..."""
    return bool(np.all(np.diff(np.asarray(settle_t)) < 0))


def reverse_bands(traj) -> dict:
    """Band by band along a trajectory of digits: the signal share of x_t (its regression on the final
    sample, spectrum.band_signal_share) and the paper's t at which each band settles (share >= 1/2
    from then on). Row k of `share` is the state x[k], at the paper's t = `t[k]` (0 for the sample)."""
    final = np.clip(traj.final[:, 0], -1, 1)
    share = S.band_signal_share(traj.x[:, :, 0], final)
    t = np.r_[np.asarray(traj.timesteps) + 1, 0]
    return dict(share=share, t=t, settle=S.emergence(share, t), final_power=S.radial_power_spectrum(final).power)


@lru_cache(maxsize=2)
def measure() -> dict:
    """The numbers the narration and the labels use."""
    sch = photo_schedule()
    x0 = photo()
    spec = S.radial_power_spectrum(x0)
    slope, _ = S.power_law_fit(spec)
    noise = S.radial_power_spectrum(eps_like((N_DRAWS, PHOTO_SIZE, PHOTO_SIZE), seed=7)).power
    tm = digits_model()
    dspec = S.radial_power_spectrum(real_digits())
    drowned = np.array([S.drowned_step(tm.schedule, p) + 1 for p in dspec.power])     # paper's t
    rev = reverse_bands(reverse_trajectory())
    return dict(slope=slope, noise_spread=float(np.abs(noise - 1).max()),
                formula_error=xt_formula_error(sch, x0, spec, PAUSE_T),
                photo_range=sweep_range(sch, spec), photo_fine_to_coarse=fine_to_coarse(sch, spec),
                pause=[(t, sweep_state(sch, x0, spec, t, eps_like(x0.shape))["fstar"]) for t in PAUSE_T],
                digit_bins=len(dspec.freq), digits_power=dspec.power, drowned=drowned,
                settle=rev["settle"], T=tm.schedule.T)


def claims() -> list:
    """What the narration states, each checked on the measured data (scenes/kit/claims.py): facts of the
    construction apart; every empirical claim with the perturbations it must fail under."""
    m = measure()
    first, last = m["photo_range"]
    d, st = m["drowned"], m["settle"]
    gap = int(np.abs(st - d).max())
    sch = photo_schedule()

    def noise_spec():                  # white noise of the photo's size, in place of the photo
        return S.radial_power_spectrum(eps_like((N_DRAWS, PHOTO_SIZE, PHOTO_SIZE), seed=8))

    both = lambda v: bool(v[1])
    return [
        claim("photo_power_falls", round(m["slope"], 2), lambda v: v < -1.5,
              f"the photo's power falls with frequency, about as f to the power {m['slope']:.1f}",
              perturb={"white noise in place of the photo": lambda: round(S.power_law_fit(noise_spec())[0], 2)}),
        claim("noise_is_flat", round(m["noise_spread"], 3), lambda v: v < 0.15,
              "white noise has the same power at every frequency",
              perturb={"the photo in place of the noise": lambda: round(float(np.abs(
                  S.radial_power_spectrum(photo()).power / np.mean(S.radial_power_spectrum(photo()).power) - 1).max()), 3)}),
        # a formula checked by sampling the noise, as a test would: shown, not evidence
        fact("xt_power_formula", round(m["formula_error"], 3), m["formula_error"] < 0.1,
             "the power of x_t is alpha_bar P_0 plus the flat 1 - alpha_bar (measured over noise draws)"),
        claim("crossing_fine_to_coarse", (first, last, m["photo_fine_to_coarse"]), lambda v: bool(v[2]),
              f"the crossing moves from the finest detail at t = {first} to the coarsest at t = {last}",
              perturb={"white noise's flat spectrum in place of the photo's":
                       lambda: (first, last, fine_to_coarse(sch, noise_spec()))}),
        fact("digit_bins", m["digit_bins"], True, choose(m["digit_bins"], [
            (lambda k: k == 4, "an 8×8 digit has only four radial frequency bins"),
            (lambda k: True, f"a digit has {m['digit_bins']} radial frequency bins")])),
        claim("digits_power_falls", tuple(round(float(p), 3) for p in m["digits_power"]),
              lambda v: bool(np.all(np.diff(v) < 0)), "the digits' power falls with frequency too",
              perturb={"white noise in place of the digits": lambda: tuple(
                  round(float(p), 3) for p in S.radial_power_spectrum(eps_like(real_digits().shape, seed=9)).power)}),
        claim("digits_drown_fine_first", tuple(int(v) for v in d), coarse_first,
              "the digits' fine rings drown first in the forward process",
              perturb={"the rings in reversed order": lambda: tuple(int(v) for v in d[::-1])}),
        worded("reverse_coarse_first", tuple(int(v) for v in st), [
            (coarse_first, "the reverse process settles the coarse rings first"),
            (lambda v: bool(np.all(np.diff(v) <= 0)), "the reverse process settles no fine ring before a coarser one"),
            (lambda v: True, "the reverse process does not settle the rings in coarse-to-fine order")],
            perturb={"the rings in reversed order": lambda: tuple(int(v) for v in st[::-1])}),
        worded("reverse_vs_forward", (gap, coarse_first(st) and coarse_first(d)), [
            (lambda v: v[0] <= 0.25 * m["T"] and both(v),
             f"each ring settles within {gap} steps of where the forward process drowned it: sampling undoes "
             f"the noise in the order the forward process added it, coarse to fine"),
            (lambda v: True, f"the rings settle up to {gap} steps away from where the forward process drowned them")],
            # in step: the drowning order reversed must break it; out of step: a sampler that settled each ring
            # exactly where it drowned must not be read as out of step
            perturb={"the forward drowning steps in reversed ring order":
                     lambda: (int(np.abs(st - d[::-1]).max()), coarse_first(st) and coarse_first(d[::-1]))}
            if gap <= 0.25 * m["T"] and coarse_first(st) and coarse_first(d) else
            {"settling exactly where each ring drowned": lambda: (0, coarse_first(d))}),
    ]

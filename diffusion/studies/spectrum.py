"""The forward process in frequency ("diffusion is spectral autoregression", Dieleman 2024).

x_t = sqrt(alpha_bar) x_0 + sqrt(1 - alpha_bar) eps, and the Fourier transform is linear and orthogonal
(up to a constant), so per frequency the power of x_t is, in expectation over eps,

    P_t(f) = alpha_bar_t P_0(f) + (1 - alpha_bar_t)          (white noise: the same power at every f)

Natural images have P_0 falling with frequency (roughly a power law), so the noise drowns the fine
detail first: the crossing frequency f*(t), where alpha_bar_t P_0(f*) = 1 - alpha_bar_t, i.e.
P_0(f*) = exp(-2 lambda_t) with lambda_t = log(alpha_t / sigma_t) (`NoiseSchedule.lam`), moves from
fine to coarse as t grows. Sampling runs the other way: coarse bands of x_t settle first.

Conventions: images are square (..., N, N); the power of a frequency k is |FFT(x)[k]|^2 / N^2, so
by Parseval the powers of one image sum to the sum of its squared pixels, and white noise of
variance s^2 has power s^2 at every frequency. Radial bin b collects the frequencies whose radius
sqrt(kx^2 + ky^2) (in cycles per image) rounds to b; bins 1..N/2 are kept (DC and the corners past
the Nyquist radius are dropped), at frequency b / N cycles per pixel. An 8x8 digit has four.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..core.schedule import NoiseSchedule


class SpectrumError(ValueError):
    """Bad input to a spectrum function (the message is one line)."""


def _square(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2] or x.shape[-1] < 2:
        raise SpectrumError(f"need square images (..., N, N) with N >= 2, got shape {x.shape}")
    return x


def power_2d(x) -> np.ndarray:
    """|FFT2(x)|^2 / N^2 per frequency, same shape as x (Parseval: sums to (x^2).sum() per image)."""
    x = _square(x)
    n = x.shape[-1]
    return np.abs(np.fft.fft2(x)) ** 2 / (n * n)


def radius_index(n: int) -> np.ndarray:
    """(n, n) integer radial bin of each FFT frequency: round(sqrt(kx^2 + ky^2)), k in cycles per image."""
    k = np.fft.fftfreq(n) * n
    return np.rint(np.hypot(k[:, None], k[None, :])).astype(int)


def radial_profile(p2d) -> tuple[np.ndarray, np.ndarray]:
    """Mean power per radial bin 0..max of a (..., N, N) power array (leading axes averaged too), and
    the number of frequencies in each bin."""
    p2d = _square(p2d)
    n = p2d.shape[-1]
    r = radius_index(n).ravel()
    counts = np.bincount(r)
    sums = np.bincount(r, weights=p2d.reshape(-1, n * n).mean(0))
    return sums / counts, counts


@dataclass(frozen=True)
class Spectrum:
    """Radially averaged power: power[i] at freq[i] cycles per pixel (bins 1..N/2 of an N x N image)."""
    freq: np.ndarray
    power: np.ndarray
    size: int

    @property
    def bins(self) -> np.ndarray:
        return np.arange(1, len(self.freq) + 1)


def radial_power_spectrum(x) -> Spectrum:
    """The radially averaged power spectrum of an image (N, N), or the mean over a stack (..., N, N)."""
    x = _square(x)
    n = x.shape[-1]
    prof, _ = radial_profile(power_2d(x))
    b = np.arange(1, n // 2 + 1)
    return Spectrum(freq=b / n, power=prof[b], size=n)


def power_law_fit(spec: Spectrum) -> tuple[float, float]:
    """(slope, log amplitude) of the least-squares line log P = slope log f + c over the bins."""
    slope, c = np.polyfit(np.log(spec.freq), np.log(spec.power), 1)
    return float(slope), float(c)


# --- the schedule in frequency -------------------------------------------------------------------

def noise_power(schedule: NoiseSchedule, t) -> np.ndarray:
    """The flat power of sqrt(1 - alpha_bar_t) eps at every frequency (0-based step t, int or array)."""
    return 1.0 - schedule.alpha_bar.numpy()[np.asarray(t)]


def signal_power(schedule: NoiseSchedule, t, power) -> np.ndarray:
    """alpha_bar_t P_0(f): the power of sqrt(alpha_bar_t) x_0 (t an int; power an array over f)."""
    return schedule.alpha_bar.numpy()[t] * np.asarray(power, dtype=np.float64)


def xt_power(schedule: NoiseSchedule, t, power) -> np.ndarray:
    """Expected power of x_t per frequency: alpha_bar_t P_0(f) + (1 - alpha_bar_t)."""
    return signal_power(schedule, t, power) + noise_power(schedule, t)


def crossing_frequency(spec: Spectrum, level: float) -> float:
    """The lowest frequency where the spectrum falls to `level` (P_0(f) = level), on the straight
    log-log line between bins. +inf when every bin lies above the level (nothing drowned yet), 0 when
    every bin lies below it (everything drowned). Non-increasing in `level`."""
    if not level > 0:
        raise SpectrumError(f"level must be positive, got {level!r}")
    p, f = spec.power, spec.freq
    below = np.nonzero(p <= level)[0]
    if len(below) == 0:
        return float("inf")
    i = int(below[0])
    if i == 0:
        return 0.0
    # log P is linear in log f between bins i-1 and i; solve for log P = log level
    lp0, lp1, lf0, lf1 = np.log(p[i - 1]), np.log(p[i]), np.log(f[i - 1]), np.log(f[i])
    w = (np.log(level) - lp0) / (lp1 - lp0)
    return float(np.exp(lf0 + w * (lf1 - lf0)))


def crossing_level(schedule: NoiseSchedule, t) -> np.ndarray:
    """The P_0 at which signal and noise power are equal at step t: (1 - alpha_bar) / alpha_bar =
    exp(-2 lambda_t)."""
    return np.exp(-2 * schedule.lam().numpy()[np.asarray(t)])


def crossing_curve(schedule: NoiseSchedule, spec: Spectrum, ts) -> np.ndarray:
    """f*(t) for 0-based steps ts: where alpha_bar_t P_0(f*) = 1 - alpha_bar_t."""
    return np.array([crossing_frequency(spec, float(lv)) for lv in crossing_level(schedule, np.asarray(ts))])


def drowned_step(schedule: NoiseSchedule, power_at_f: float) -> int:
    """The first 0-based step at which the noise power 1 - alpha_bar_t exceeds the signal power
    alpha_bar_t P_0 at one frequency (T when it never does)."""
    ab = schedule.alpha_bar.numpy()
    over = np.nonzero(1.0 - ab > ab * power_at_f)[0]
    return int(over[0]) if len(over) else schedule.T


# --- the noised image and the reverse process, band by band --------------------------------------

def noised(schedule: NoiseSchedule, x0, t: int, seed: int = 0) -> np.ndarray:
    """x_t of a clean image (or stack) at 0-based step t, eps from `seed` (through `add_noise`)."""
    x0 = torch.as_tensor(np.asarray(x0, dtype=np.float64))
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return schedule.add_noise(x0, t, eps).numpy()


def band_signal_share(xs, final) -> np.ndarray:
    """How much of each radial band of x_t is its final image, along a trajectory.

    xs: (S, M, N, N) states; final: (M, N, N). Per step and band b = 1..N/2, the band's Fourier
    coefficients of x_t (pooled over the M images) are regressed on the final image's: x_t^b = c x_0^b
    + r. Returns (S, N/2) shares c^2 |x_0^b|^2 / |x_t^b|^2 in [0, 1]: 1/2 where the band's signal and
    its noise have equal power (for the forward process, at the crossing of alpha_bar P_0 and
    1 - alpha_bar)."""
    xs, final = np.asarray(xs, dtype=np.float64), _square(final)
    if xs.shape[1:] != final.shape:
        raise SpectrumError(f"states {xs.shape} do not match final images {final.shape}")
    n = final.shape[-1]
    r = radius_index(n)
    fx, f0 = np.fft.fft2(xs), np.fft.fft2(final)
    out = np.zeros((len(xs), n // 2))
    for b in range(1, n // 2 + 1):
        m = r == b
        a, z = fx[:, :, m].reshape(len(xs), -1), f0[:, m].ravel()
        zz = np.vdot(z, z).real
        c = (a @ z.conj()).real / zz                             # least-squares coefficient, per step
        total = (np.abs(a) ** 2).sum(1)
        out[:, b - 1] = np.where(total > 0, c ** 2 * zz / np.maximum(total, 1e-300), 0.0)
    return np.clip(out, 0.0, 1.0)


def emergence(share: np.ndarray, ts) -> np.ndarray:
    """Per band, the step t (from `ts`, the step of each row, descending along the trajectory) from
    which on the band's signal share stays at or above 1/2 to the end. Returns one t per band."""
    share, ts = np.asarray(share), np.asarray(ts)
    out = []
    for b in range(share.shape[1]):
        below = np.nonzero(share[:, b] < 0.5)[0]
        k = below[-1] + 1 if len(below) else 0                 # first row of the last run at >= 1/2
        out.append(ts[k] if k < len(ts) else ts[-1])
    return np.array(out)

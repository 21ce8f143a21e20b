"""The forward process in frequency (diffusion/studies/spectrum.py) against direct computation:
Parseval, white noise measured from samples, the power of x_t measured from `add_noise` draws,
the crossing frequency found by brute force, and wrong formulas that these checks would catch."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from diffusion.core.schedule import NoiseSchedule
from diffusion.models.digits.data import load_digits
from diffusion.studies import spectrum as S
from diffusion.studies.images import load_image

SCHED = NoiseSchedule("linear", 1000)


def shuffled_pixels(x, seed: int = 0) -> np.ndarray:
    """Each image's pixels in a random order: the same values, no spatial structure (a flat spectrum)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(v.ravel()).reshape(v.shape) for v in np.asarray(x)])


@pytest.fixture(scope="module")
def photo():
    return load_image(size=64)


@pytest.fixture(scope="module")
def digits():
    return load_digits(8, "train")[0][:, 0].numpy().astype(np.float64)


def test_parseval_power_sums_to_the_squared_pixels(photo):
    p = S.power_2d(photo)
    assert np.isclose(p.sum(), (photo ** 2).sum(), rtol=1e-12)
    prof, counts = S.radial_profile(p)
    assert counts.sum() == photo.size and np.isclose((prof * counts).sum(), (photo ** 2).sum(), rtol=1e-12)


def test_radial_bins_by_hand_for_8x8():
    spec = S.radial_power_spectrum(np.zeros((8, 8)))
    assert len(spec.freq) == 4 and np.allclose(spec.freq, [1 / 8, 2 / 8, 3 / 8, 4 / 8])   # an 8x8 image: four bins
    # a pure cosine of 2 cycles along x: all its power in bin 2, split over (±2, 0)
    x = np.cos(2 * np.pi * 2 * np.arange(8) / 8)[None, :].repeat(8, 0)
    spec = S.radial_power_spectrum(x)
    r = S.radius_index(8)
    assert np.argmax(spec.power) == 1 and np.isclose(spec.power[1] * (r == 2).sum(), (x ** 2).sum())


def test_white_noise_is_flat_at_its_variance_measured_from_samples():
    g = np.random.default_rng(0)
    for var in (0.3, 1.0):
        spec = S.radial_power_spectrum(np.sqrt(var) * g.standard_normal((400, 32, 32)))
        assert np.abs(spec.power / var - 1).max() < 0.08
    # blurred (pink-ish) noise is not flat: the check can fail
    z = g.standard_normal((400, 32, 32))
    blurred = (z + np.roll(z, 1, -1) + np.roll(z, 1, -2) + np.roll(z, (1, 1), (-2, -1))) / 2
    spec = S.radial_power_spectrum(blurred)
    assert spec.power[0] / spec.power[-1] > 10


def test_photo_power_falls_as_a_power_law_and_shuffled_pixels_do_not(photo):
    slope, _ = S.power_law_fit(S.radial_power_spectrum(photo))
    assert -3.5 < slope < -1.5
    flat, _ = S.power_law_fit(S.radial_power_spectrum(shuffled_pixels(photo[None])[0]))
    assert abs(flat) < 0.5


def _measured_xt_power(x0, t, n=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.as_tensor(x0)[None].expand(n, *x0.shape)
    eps = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    return S.radial_power_spectrum(SCHED.add_noise(x0, t, eps).numpy()).power


@pytest.mark.parametrize("t", [60, 250, 600])
def test_xt_power_is_alpha_bar_signal_plus_flat_noise_and_wrong_formulas_miss(photo, t):
    p0 = S.radial_power_spectrum(photo).power
    measured = _measured_xt_power(photo, t)
    predicted = S.xt_power(SCHED, t, p0)
    assert np.abs(np.log(measured / predicted)).max() < 0.1
    ab = SCHED.alpha_bar.numpy()
    betas = SCHED.betas.numpy()
    wrong = {"beta as std": ab[t] * p0 + betas[t] ** 2,
             "alpha_bar as a sum": max(1 - betas[:t + 1].sum(), 1e-6) * p0 + betas[:t + 1].sum(),
             "sqrt(alpha_bar) as the power scale": np.sqrt(ab[t]) * p0 + np.sqrt(1 - ab[t])}
    if t < 300:          # early on 1 - sum(beta) and prod(1 - beta) agree to first order
        wrong.pop("alpha_bar as a sum")
    for name, w in wrong.items():
        assert np.abs(np.log(measured / w)).max() > 0.3, name


def test_noise_power_is_one_minus_alpha_bar_and_lambda_is_half_the_log_snr():
    ts = np.array([0, 10, 500, 999])
    ab = np.cumprod(1 - SCHED.betas.numpy())
    assert np.allclose(S.noise_power(SCHED, ts), 1 - ab[ts])
    lam = SCHED.lam().numpy()
    assert np.allclose(lam, np.log(np.sqrt(ab) / np.sqrt(1 - ab)))
    assert np.allclose(2 * lam, np.log(SCHED.snr().numpy()))            # log(alpha^2/sigma^2) is twice lambda
    assert np.all(np.diff(lam) < 0)                                       # data end (t = 0) high, noise end low
    assert np.allclose(S.crossing_level(SCHED, ts), (1 - ab[ts]) / ab[ts])


def _brute_force_crossing(spec, level, n=200_001):
    """The first point of a dense log-log grid where the line through the bins reaches `level`."""
    lf = np.linspace(np.log(spec.freq[0]), np.log(spec.freq[-1]), n)
    lp = np.interp(lf, np.log(spec.freq), np.log(spec.power))
    hit = np.nonzero(lp <= np.log(level))[0]
    if not len(hit):
        return np.inf
    return 0.0 if hit[0] == 0 else float(np.exp(lf[hit[0]]))


def test_crossing_frequency_against_brute_force_and_monotone_in_t(photo, digits):
    for spec in (S.radial_power_spectrum(photo), S.radial_power_spectrum(digits)):
        ts = np.arange(0, 1000, 7)
        fstar = S.crossing_curve(SCHED, spec, ts)
        for t, f in zip(ts, fstar):
            bf = _brute_force_crossing(spec, float(S.crossing_level(SCHED, t)))
            assert (f == bf) if not np.isfinite(bf) or bf == 0 else abs(np.log(f / bf)) < 1e-3
        assert all(a >= b for a, b in zip(fstar, fstar[1:]))              # fine to coarse as t grows (inf first)
        # at the crossing, signal and noise power are equal (read off the interpolated spectrum)
        mid = np.isfinite(fstar) & (fstar > 0)
        t, f = ts[mid][0], fstar[mid][0]
        p_at = np.exp(np.interp(np.log(f), np.log(spec.freq), np.log(spec.power)))
        assert np.isclose(S.signal_power(SCHED, t, p_at), S.noise_power(SCHED, t), rtol=1e-9)


def test_crossing_sweeps_the_photo_band_over_hundreds_of_steps_but_not_for_a_flat_spectrum(photo):
    ts = np.arange(1000)
    inside = lambda spec: np.count_nonzero(np.isfinite(c := S.crossing_curve(SCHED, spec, ts)) & (c > 0))
    assert inside(S.radial_power_spectrum(photo)) > 300
    flat = S.Spectrum(freq=np.arange(1, 33) / 64, power=np.full(32, 0.5), size=64)
    assert inside(flat) == 0


def test_drowned_step_is_where_noise_power_first_exceeds_signal_power():
    for p in (0.1, 1.0, 30.0):
        t = S.drowned_step(SCHED, p)
        assert S.noise_power(SCHED, t) > S.signal_power(SCHED, t, p)
        assert S.noise_power(SCHED, t - 1) <= S.signal_power(SCHED, t - 1, p)
    assert S.drowned_step(SCHED, 1.0) == int(np.argmax(SCHED.snr().numpy() < 1))


def test_forward_bands_emerge_where_signal_and_noise_powers_cross_coarse_first(digits):
    """Noising real digits and reading x_t back from t = T to 0: each band's signal share reaches 1/2
    where the spectrum says its signal and noise powers cross; pixel-shuffled digits (a flat spectrum)
    have every band emerge at about the same step."""
    ts = np.arange(999, -1, -1)
    x0 = digits[:128]
    share = S.band_signal_share(np.stack([S.noised(SCHED, x0, t, seed=1) for t in ts]), x0)
    got = S.emergence(share, ts)
    spec = S.radial_power_spectrum(x0)
    want = np.array([S.drowned_step(SCHED, p) for p in spec.power])
    assert np.all(np.diff(got) < 0) and np.all(np.abs(got - want) < 0.1 * want)
    flat = shuffled_pixels(x0)
    got_flat = S.emergence(S.band_signal_share(np.stack([S.noised(SCHED, flat, t, seed=1) for t in ts]), flat), ts)
    assert np.ptp(got_flat) < 0.1 * got_flat.mean()


def test_bad_input_is_one_clear_error():
    with pytest.raises(S.SpectrumError, match="square"):
        S.radial_power_spectrum(np.zeros((4, 6)))
    with pytest.raises(S.SpectrumError, match="positive"):
        S.crossing_frequency(S.radial_power_spectrum(np.ones((8, 8)) + np.eye(8)), 0.0)
    with pytest.raises(S.SpectrumError, match="match"):
        S.band_signal_share(np.zeros((3, 2, 8, 8)), np.zeros((3, 8, 8)))

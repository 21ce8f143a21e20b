"""NoiseSpectrum: its narrated claims fail on plausible wrong inputs (a shuffled photo, pixel-shuffled
digits, an untrained network, a wrong noise formula), and the equations on screen agree with the
library code that made the frames. (The claims themselves are evaluated on the quick model by the
layout audit's every-scene test.)"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from diffusion.core.sample import sample
from diffusion.core.schedule import NoiseSchedule
from diffusion.studies import spectrum as S
from scenes.kit.data import noise_spectrum as D
from test_spectrum import shuffled_pixels

SCHED = NoiseSchedule("linear", 1000)


@pytest.fixture(scope="module")
def photo():
    return D.photo()


def test_photo_power_falls_but_not_for_the_shuffled_photo(photo):
    slope, _ = S.power_law_fit(S.radial_power_spectrum(photo))
    assert slope < -1.5                                                   # the claim's predicate
    wrong, _ = S.power_law_fit(S.radial_power_spectrum(shuffled_pixels(photo[None])[0]))
    assert not wrong < -1.5


def test_crossing_fine_to_coarse_holds_for_the_photo_and_fails_for_a_flat_spectrum(photo):
    spec = S.radial_power_spectrum(photo)
    assert D.fine_to_coarse(SCHED, spec)
    first, last = D.sweep_range(SCHED, spec)
    assert 1 <= first < 100 < 500 < last <= SCHED.T
    flat = S.radial_power_spectrum(shuffled_pixels(np.repeat(photo[None], 8, 0)))
    assert not D.fine_to_coarse(SCHED, flat)


def test_xt_power_on_screen_matches_add_noise_draws_and_a_wrong_formula_does_not(photo):
    spec = S.radial_power_spectrum(photo)
    assert D.xt_formula_error(SCHED, photo, spec, D.PAUSE_T) < 0.1        # the claim's bound

    def beta_as_std(schedule, t, p0):
        return schedule.alpha_bar.numpy()[t] * p0 + schedule.betas.numpy()[t] ** 2
    assert D.xt_formula_error(SCHED, photo, spec, D.PAUSE_T, formula=beta_as_std) > 0.1


def test_crossing_on_screen_is_where_signal_meets_noise_and_p0_meets_exp_minus_two_lambda(photo):
    """f*: alpha_bar P_0(f*) = 1 - alpha_bar  <=>  P_0(f*) = e^{-2 lambda_t}, lambda_t = log(alpha_t / sigma_t)."""
    spec = S.radial_power_spectrum(photo)
    eps = D.eps_like(photo.shape)
    for t in (60, 200, 500):
        st = D.sweep_state(SCHED, photo, spec, t, eps)
        ab = SCHED.alpha_bar[t - 1].item()
        lam = np.log(np.sqrt(ab) / np.sqrt(1 - ab))
        assert np.isclose(st["lam"], lam)
        p_at = np.exp(np.interp(np.log(st["fstar"]), np.log(spec.freq), np.log(spec.power)))
        assert np.isclose(ab * p_at, 1 - ab, rtol=1e-9) and np.isclose(p_at, np.exp(-2 * lam), rtol=1e-9)
        # the image on screen is add_noise's x_t and its dots are its measured spectrum
        want = SCHED.add_noise(torch.as_tensor(photo), t - 1, torch.as_tensor(eps)).numpy()
        assert np.allclose(st["x"], want) and np.allclose(st["measured"], S.radial_power_spectrum(want).power)


def test_settled_on_screen_is_signal_power_at_least_the_rest_computed_in_pixel_space():
    """x_t^(b) = c x_0^(b) + r, settled when c^2 ||x_0^(b)||^2 >= ||r||^2: band-pass images by inverse FFT,
    least squares in pixel space, against band_signal_share >= 1/2."""
    g = np.random.default_rng(3)
    x0 = g.standard_normal((6, 8, 8))
    r = S.radius_index(8)
    for mix in (0.3, 0.9, 1.1, 2.0):
        xs = (x0 + mix * g.standard_normal(x0.shape))[None]
        share = S.band_signal_share(xs, x0)[0]
        for b in range(1, 5):
            band = lambda x: np.fft.ifft2(np.fft.fft2(x) * (r == b)).real
            xb, zb = band(xs[0]), band(x0)
            c = (xb * zb).sum() / (zb * zb).sum()
            sig, rest = c ** 2 * (zb ** 2).sum(), ((xb - c * zb) ** 2).sum()
            assert np.isclose(share[b - 1], sig / (sig + rest), rtol=1e-9)
            assert (share[b - 1] >= 0.5) == (sig >= rest)


def test_coarse_first_fails_for_pixel_shuffled_digits_and_an_untrained_network():
    digits = D.load_dataset("digits", 8, "train")[0][:256, 0].numpy().astype(np.float64)
    drowned = [S.drowned_step(SCHED, p) for p in S.radial_power_spectrum(digits).power]
    assert D.coarse_first(drowned)
    assert not D.coarse_first([S.drowned_step(SCHED, p) for p in S.radial_power_spectrum(shuffled_pixels(digits)).power])

    class Untrained(torch.nn.Module):               # predicts no noise at all
        def forward(self, x, t, *args, **kwargs):
            return torch.zeros_like(x)

    x_T = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    traj = sample(Untrained(), SCHED, x_T, "ddpm", 1000, 0.0, torch.Generator().manual_seed(1))
    assert not D.coarse_first(D.reverse_bands(traj)["settle"])

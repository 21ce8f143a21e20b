"""RePaint-style inpainting with the quick image model: the known half ends exactly at the real pixels."""
from __future__ import annotations

import numpy as np
import pytest

from diffusion.studies.inpaint import InpaintSpec, get_inpainting, half_mask, inpaint, known_region_error


@pytest.fixture(scope="module")
def quick_digits(quick_model):
    return quick_model


def test_half_masks():
    m = half_mask(8, "top")
    assert m.sum() == 32 and m[0, :4].all() and not m[0, 4:].any()
    assert (half_mask(8, "left")[0, :, :4] == 1).all()
    with pytest.raises(ValueError):
        half_mask(8, "middle")


def test_known_half_is_kept_and_completions_differ(quick_digits):
    spec = InpaintSpec(n=4, steps=50, sampler="ddpm")
    traj = inpaint(quick_digits, spec)
    assert known_region_error(traj, quick_digits, spec) < 1e-5
    free = ~half_mask(quick_digits.config.image_size, spec.keep).numpy().astype(bool)
    finals = traj.final[:, free]
    assert np.abs(finals[0] - finals[1]).max() > 0.1          # different noise, different completion
    assert np.array_equal(get_inpainting(quick_digits, spec).x, traj.x)   # cached run == direct run
    assert np.array_equal(get_inpainting(quick_digits, spec).x, traj.x)   # and loaded again
    assert np.array_equal(inpaint(quick_digits, spec).x, traj.x)  # seeded


def test_repaint_schedule_denoises_every_step_resample_times():
    from diffusion.core.sample import repaint_schedule

    T = 100
    assert repaint_schedule(T) == list(range(T - 1, -2, -1))          # no resampling: plain descent
    for jump, resample in ((1, 3), (10, 5)):
        ts = repaint_schedule(T, jump, resample)
        assert ts[0] == T - 1 and ts[-1] == -1
        assert all(abs(b - a) == 1 for a, b in zip(ts, ts[1:]))         # one step at a time, down or up
        down = [a for a, b in zip(ts, ts[1:]) if b < a]
        counts = np.bincount(np.array(down))
        # every step denoised `resample` times, except the top `jump` ones (never jumped back to)
        assert set(counts[:T - jump]) == {resample} and set(counts[T - jump:]) == {1}
    with pytest.raises(ValueError):
        repaint_schedule(T, 0, 2)


def test_repaint_resampling_keeps_the_known_half_and_is_measured(quick_digits):
    from diffusion.studies.inpaint import SeamStudy, get_seam_study

    spec = InpaintSpec(n=2, steps=quick_digits.schedule.T, sampler="ddpm", jump=10, resample=2)
    traj = inpaint(quick_digits, spec)
    assert known_region_error(traj, quick_digits, spec) < 1e-5
    assert len(traj.timesteps) > quick_digits.schedule.T                # steps were denoised again
    with pytest.raises(ValueError, match="RePaint"):
        inpaint(quick_digits, InpaintSpec(n=2, steps=50, jump=10, resample=2))
    r = get_seam_study(quick_digits, SeamStudy(n_images=2, per_image=1, jump=10, resample=2))
    for key in ("replace", "repaint"):
        assert r[f"{key}_samples"].shape == (2, 8, 8) and 0 <= r[f"{key}_jump"] <= 2
    assert not np.array_equal(r["replace_samples"], r["repaint_samples"])

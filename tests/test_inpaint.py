"""RePaint-style inpainting with the quick image model: the known half ends exactly at the real pixels."""
from __future__ import annotations

import numpy as np
import pytest

from diffusion.models.digits.data import load_dataset
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


def test_repaint_resampling_keeps_the_known_half_and_is_measured(quick_digits, monkeypatch):
    """One RePaint run (the seam study's, the only costly part: about 2T network calls) serves every check:
    the known half exact, the steps denoised again, both runs measured; inpaint() hands its RePaint
    settings to the same loop (checked without sampling)."""
    import diffusion.studies.inpaint as inpainting
    from diffusion.studies.inpaint import SeamStudy, run_seam_study

    T = quick_digits.schedule.T
    study = SeamStudy(n_images=2, per_image=1, jump=10, resample=2)
    calls = []
    hook = quick_digits.model.register_forward_hook(lambda *_: calls.append(1))
    try:
        r = run_seam_study(quick_digits, study)
    finally:
        hook.remove()
    assert len(calls) > 2 * T                  # replacement: T calls; RePaint denoises steps again: over T
    x, _ = load_dataset(quick_digits.config.dataset, quick_digits.config.image_size, "heldout")
    known = half_mask(8, "top").numpy().astype(bool)[0]
    for key in ("replace", "repaint"):
        assert r[f"{key}_samples"].shape == (2, 8, 8) and 0 <= r[f"{key}_jump"] <= 2
        np.testing.assert_allclose(r[f"{key}_samples"][:, known], x[:2, 0].numpy()[:, known], atol=1e-5)
    assert not np.array_equal(r["replace_samples"], r["repaint_samples"])
    with pytest.raises(ValueError, match="RePaint"):
        inpaint(quick_digits, InpaintSpec(n=2, steps=50, jump=10, resample=2))
    handed = {}
    monkeypatch.setattr(inpainting, "sample", lambda *a, **kw: handed.update(kw, steps=a[4]))
    inpaint(quick_digits, InpaintSpec(n=2, steps=T, sampler="ddpm", jump=10, resample=2))
    assert (handed["steps"], handed["jump"], handed["resample"]) == (T, 10, 2) and handed["mask"].sum() == 2 * 32

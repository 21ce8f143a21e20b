"""RePaint-style inpainting with the quick image model: the known half ends exactly at the real pixels."""
from __future__ import annotations

import numpy as np
import pytest

from diffusion.studies.inpaint import InpaintSpec, get_inpainting, half_mask, inpaint, known_region_error
from diffusion.models import get_model


@pytest.fixture(scope="module")
def quick_digits(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DIFFUSION_CACHE", str(tmp_path_factory.mktemp("inpaint-cache")))
    try:
        yield get_model("digits", "quick", progress=False)
    finally:
        mp.undo()


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

"""What the claims read that the library did not measure before: Tweedie's posterior mean by Monte Carlo,
DDPM at few steps on the 2D model, the x0_hat reference errors, per-digit seam figures, an untrained
copy of a model (the perturbation claims must fail on)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from diffusion.core.schedule import NoiseSchedule
from diffusion.models.toy2d.mixture import Spiral, exact_eps_ab, tweedie_eps_mc

MIX = Spiral()
SCHED = NoiseSchedule("linear", 1000)


@pytest.mark.parametrize("t", [599, 199])
def test_tweedie_monte_carlo_posterior_mean_is_eps_star_and_not_a_wrong_formula(t):
    ab = SCHED.alpha_bar[t].item()
    pts = np.array([[0.0, 0.0], [1.0, -0.5], [-1.5, 1.2], [2.0, 2.0], [0.3, 1.1]])
    r = tweedie_eps_mc(MIX, pts, ab, n=40_000, seed=1)
    star = exact_eps_ab(MIX, torch.as_tensor(pts, dtype=torch.float64), ab).numpy()
    z = np.abs(r["eps"] - star) / r["se"]
    assert (r["ess"] > 50).all() and z.max() < 4.5
    wrong = star * np.sqrt(1 - ab)                   # -(1 - ab) grad log q: the square root dropped
    assert np.median(np.abs(r["eps"] - wrong) / r["se"]) > 10


def test_toy2d_quality_table_runs_ddpm_with_few_steps_beside_ddim():
    from diffusion.models.toy2d.measure import QUALITY_RUNS, quality_vs_steps
    from diffusion.models import get_model

    assert {("ddpm", 50), ("ddpm", 100), ("ddim", 50), ("ddim", 100)} <= set(QUALITY_RUNS)
    tm = get_model("toy2d", "quick", progress=False)
    rows = quality_vs_steps(tm, n=300, runs=(("ddpm", 50), ("ddim", 50)), exact=False)
    assert [(r["sampler"], r["steps"]) for r in rows] == [("ddpm", 50), ("ddim", 50)]
    assert rows[0]["sw1"] != rows[1]["sw1"] and all(np.isfinite(r["sw1"]) for r in rows)   # two samplers really ran


def test_x0_references_are_predicting_zero_and_the_mean_digit(quick_model):
    from diffusion.models.digits.data import load_dataset
    from diffusion.studies.noise_prediction import x0_references

    ref = x0_references(quick_model, n_samples=64)
    x, _ = load_dataset(quick_model.config.dataset, quick_model.config.image_size, "heldout")
    x0 = x[:64].double()
    assert ref["zero"] == pytest.approx(float((x0 ** 2).mean()))
    assert ref["mean"] == pytest.approx(float(x0.var(0, unbiased=False).mean()))
    assert 0 < ref["mean"] < ref["zero"]


def test_seam_per_digit_is_zero_for_the_real_digits(quick_model):
    from diffusion.studies.inpaint import SeamStudy, seam_per_digit

    study = SeamStudy(n_images=3, per_image=2)
    rng = np.random.default_rng(0)
    fake = dict(replace_samples=rng.uniform(-1, 1, (6, 8, 8)), repaint_samples=rng.uniform(-1, 1, (6, 8, 8)))
    real = np.repeat(seam_per_digit(quick_model, fake, study)["real"], 2, 0)
    d = seam_per_digit(quick_model, fake, study, repaint=real)
    assert np.allclose(d["repaint_jump_off"], 0) and np.allclose(d["repaint_hidden_rms"], 0)
    assert d["replace_jump_off"].shape == (3,) and (d["replace_hidden_rms"] > 0.1).all()


def test_untrained_copy_has_fresh_seeded_weights_and_its_own_key(quick_model):
    u, u2 = quick_model.untrained(), quick_model.untrained()
    p, q = dict(quick_model.model.named_parameters()), dict(u.model.named_parameters())
    assert p.keys() == q.keys() and any(not torch.equal(p[k], q[k]) for k in p)
    assert all(torch.equal(a, b) for a, b in zip(u.model.parameters(), u2.model.parameters()))
    assert u.key != quick_model.key and u.key.startswith(quick_model.key) and u.schedule is quick_model.schedule


def test_raw_snapshots_replay_the_run_and_differ_from_the_lagging_ema(quick_model):
    from diffusion.studies.noise_prediction import raw_snapshots, snapshot_samples

    raw = raw_snapshots(quick_model)                 # raises if the replay's EMA is not the stored one
    first = min(quick_model.snapshots)
    assert sorted(raw) == sorted(quick_model.snapshots)
    ema = quick_model.snapshots[first]
    assert any(not torch.allclose(raw[first][k], ema[k]) for k in ema if ema[k].is_floating_point())
    s_raw = snapshot_samples(quick_model, n=2, seed=0, steps=3, weights="raw")
    s_ema = snapshot_samples(quick_model, n=2, seed=0, steps=3)
    assert s_raw.keys() == s_ema.keys() and not np.allclose(s_raw[first], s_ema[first])
    with pytest.raises(ValueError, match="weights"):
        snapshot_samples(quick_model, weights="mean")


def test_raw_snapshot_replay_refuses_a_model_it_does_not_reproduce(quick_model, tmp_path, monkeypatch):
    from dataclasses import replace

    from diffusion.studies.noise_prediction import raw_snapshots

    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path))
    step = min(quick_model.snapshots)
    tampered = {k: v + 0.01 if v.is_floating_point() else v for k, v in quick_model.snapshots[step].items()}
    other = replace(quick_model, snapshots={**quick_model.snapshots, step: tampered})
    with pytest.raises(RuntimeError, match="does not reproduce"):
        raw_snapshots(other)

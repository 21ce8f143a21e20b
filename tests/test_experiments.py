"""DDIM experiments on the quick digits model: determinism (bitwise), patch perturbation, eta sweep,
slerp, forward-backward. Trends on the default model are held by bench/experiments.py."""
import math

import numpy as np
import pytest
import torch

from diffusion.core.presets import Preset
from diffusion.studies.experiments import (QUICK, RUNS, ddim, default_config, get_experiment, patch_mask, perturb_patch,
                                   run_determinism, slerp)


@pytest.fixture(scope="module")
def tm(quick_model):
    return quick_model


@pytest.fixture(scope="module")
def results(tm):
    return {name: get_experiment(name, tm, QUICK) for name in RUNS}


def test_default_config_follows_the_preset():
    assert default_config(Preset("quick")) == default_config("quick") == QUICK
    assert default_config(Preset("default")) != QUICK


def test_ddim_eta0_is_bitwise_deterministic(tm):
    x_T = tm.noise(6, 11)
    a, b = ddim(tm, x_T.clone(), 10), ddim(tm, x_T.clone(), 10)
    assert torch.equal(a, b)
    assert not torch.equal(a, ddim(tm, tm.noise(6, 12), 10))          # and it does depend on x_T
    r = run_determinism(tm, QUICK)
    assert r["identical"] and r["max_abs_diff"] == 0.0 and np.array_equal(r["first"], r["second"])


def test_ddim_eta_positive_depends_on_the_sampler_seed(tm):
    x_T = tm.noise(4, 0)
    a = ddim(tm, x_T, 10, 1.0, torch.Generator().manual_seed(1))
    b = ddim(tm, x_T, 10, 1.0, torch.Generator().manual_seed(2))
    c = ddim(tm, x_T, 10, 1.0, torch.Generator().manual_seed(1))
    assert torch.equal(a, c) and not torch.equal(a, b)


def test_perturb_patch_changes_only_the_patch():
    x, z = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0)).unbind(0)
    m = patch_mask(x.shape, 3, (2, 3))
    assert m.sum() == 9
    assert torch.equal(perturb_patch(x, z, m, 0.0), x)
    y = perturb_patch(x, z, m, 1.0)
    assert torch.equal(y[m == 0], x[m == 0]) and torch.allclose(y[m == 1], z[m == 1], atol=1e-6)
    with pytest.raises(ValueError):
        patch_mask(x.shape, 3, (6, 0))


def test_patch_results(results):
    r = results["patch"]
    A, B = len(QUICK.amounts), QUICK.n_base
    assert r["out_dist"].shape == (B, A) and r["outputs"].shape == (A, 1, 8, 8)
    assert r["outputs_all"].shape == (A, B, 1, 8, 8) and np.array_equal(r["outputs_all"][:, 0], r["outputs"])
    assert np.all(r["out_dist"][:, 0] == 0) and np.all(r["noise_dist"][:, 0] == 0)
    assert np.all(np.diff(r["mean_noise_dist"]) > 0)                  # the change grows with the amount
    assert r["mean_out_dist"][-1] > 0 and r["unrelated_dist"] > 0


def test_eta_sweep_results(results):
    r = results["eta_sweep"]
    E = len(QUICK.etas)
    assert r["outputs"].shape == (E, QUICK.n_eta_xT, QUICK.n_eta_noise, 1, 8, 8)
    assert r["spread"][0] < 1e-6                                      # eta = 0: the noise seed does not matter
    assert r["spread"][-1] > 0.05 and r["pairwise_rms"][-1] > 0.05


def test_slerp_endpoints_and_geometry():
    g = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(3, 1, 8, 8, generator=g), torch.randn(3, 1, 8, 8, generator=g)
    assert torch.allclose(slerp(z0, z1, 0.0), z0, atol=1e-6)
    assert torch.allclose(slerp(z0, z1, 1.0), z1, atol=1e-6)
    e1, e2 = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    assert torch.allclose(slerp(e1, e2, 0.5), torch.tensor([[1.0, 1.0]]) / math.sqrt(2), atol=1e-6)
    assert torch.allclose(slerp(e1, e2, 1 / 3), torch.tensor([[math.cos(math.pi / 6), 0.5]]), atol=1e-6)
    assert torch.allclose(slerp(e1, 2 * e1, 0.5), 1.5 * e1)           # parallel: falls back to lerp


def test_interpolation_results(results, tm):
    r = results["interpolation"]
    n = QUICK.n_interp
    assert r["outputs"].shape == (n, 1, 8, 8) and r["labels"].shape == (n,) and r["step_dist"].shape == (n - 1,)
    assert np.array_equal(r["x_T"][0], tm.noise(1, QUICK.seed + 2000)[0].numpy())
    assert np.allclose(r["x_T"][-1], tm.noise(1, QUICK.seed + 2001)[0].numpy(), atol=1e-6)
    # slerp keeps the norm of typical noise; lerp shrinks it in the middle
    assert r["lerp_norm"][n // 2] < 0.85 * r["slerp_norm"][n // 2]


def test_forward_backward_results(results):
    r = results["forward_backward"]
    F, D, R = len(QUICK.fb_fracs), len(r["labels_true"]), QUICK.fb_repeats
    assert D >= 5 and r["outputs"].shape == (F, D, R, 1, 8, 8) and r["labels"].shape == (F, D, R)
    assert np.all((r["share_kept"] >= 0) & (r["share_kept"] <= 1))
    assert list(r["t"]) == [round(f * 1000) for f in QUICK.fb_fracs]
    assert np.allclose(r["share_kept"], (r["labels"] == r["labels_true"][None, :, None]).mean((1, 2)))
    assert r["outputs"].min() >= -1 and r["outputs"].max() <= 1


def test_experiments_are_cached_and_seeded(results, tm):
    again = get_experiment("patch", tm, QUICK)
    assert np.array_equal(again["out_dist"], results["patch"]["out_dist"])
    fresh = RUNS["forward_backward"](tm, QUICK)                       # recomputed, not loaded
    assert np.array_equal(fresh["labels"], results["forward_backward"]["labels"])
    with pytest.raises(ValueError):
        get_experiment("nope", tm, QUICK)


def test_sampling_from_an_intermediate_step(tm):
    assert tm.schedule.timesteps(5, start=399) == [399, 299, 200, 100, 0]
    assert tm.schedule.timesteps(1000) == tm.schedule.timesteps(1000, start=999)
    with pytest.raises(ValueError):
        tm.schedule.timesteps(401, start=399)
    x0 = tm.noise(2, 0).clamp(-1, 1)
    x_t = tm.schedule.add_noise(x0, 49, tm.noise(2, 1))
    out = ddim(tm, x_t, 50, start=49)
    assert out.shape == x0.shape and torch.isfinite(out).all()

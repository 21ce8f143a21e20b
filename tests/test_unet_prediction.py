"""UNetNoisePrediction: the diagram is the model, the numbers on screen are recomputable, the error
curve comes from real forward passes, and the scene renders."""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from diffusion.models.digits.data import load_digits
from diffusion.studies.noise_prediction import (error_curve, prediction, show_channels, smoothed_loss,
                                        snapshot_samples)
from diffusion.core.sample import sample
from diffusion.models.digits.network import UNet, UNetConfig

CONFIGS = [(UNetConfig(), 8), (UNetConfig(base_channels=8, channel_mults=(1, 2, 4), groups=4), 16)]


def block_modules(model: UNet) -> set:
    """Every block of the forward path, named as get_submodule names it: the model's children, with
    ModuleLists expanded, minus the time embedding (drawn separately) and the nn.Identity placeholders
    at the bottom of the U (no downsampling after the last level, no upsampling after the first)."""
    out = set()
    for name, child in model.named_children():
        if name == "time_mlp":
            continue
        items = [(f"{name}.{i}", m) for i, m in enumerate(child)] if isinstance(child, torch.nn.ModuleList) \
            else [(name, child)]
        out |= {n for n, m in items if not isinstance(m, torch.nn.Identity)}
    return out


@pytest.mark.parametrize("cfg,size", CONFIGS)
def test_diagram_blocks_are_the_models_modules(cfg, size):
    from scenes.kit.unet import unet_diagram

    model = UNet(cfg)
    desc = model.describe(size)
    d = unet_diagram(desc)
    assert set(d.modules) == block_modules(model)
    assert d.modules == [b["module"] for b in desc["blocks"]]       # forward order, no extras
    for m in d.modules:
        model.get_submodule(m)
    assert set(d.rects) == set(d.names) and len(d.skips) == len(cfg.channel_mults)
    res = {n for n, mod in model.named_modules() if type(mod).__name__ == "ResBlock"}
    assert {desc["blocks"][d.names.index(n)]["module"] for n in d.time_feeds} == res
    # geometry follows the data: wider with channels, taller with resolution, lower with depth
    by = {b["name"]: b for b in desc["blocks"]}
    for a in d.names:
        for b in d.names:
            ra, rb = d.rects[a], d.rects[b]
            if by[a]["out_ch"] > by[b]["out_ch"]:
                assert ra.width > rb.width
            if by[a]["resolution"] > by[b]["resolution"]:
                assert ra.height > rb.height
            if by[a]["level"] > by[b]["level"]:
                assert ra.get_center()[1] < rb.get_center()[1]
    assert d.width <= 11.0 + 1e-6


def test_diagram_changes_with_the_config():
    from scenes.kit.unet import unet_diagram

    (c1, s1), (c2, s2) = CONFIGS
    d1, d2 = unet_diagram(UNet(c1).describe(s1)), unet_diagram(UNet(c2).describe(s2))
    assert len(d1.names) == 9 and len(d2.names) == 13
    assert d1.modules != d2.modules
    levels = lambda d: len({round(r.get_center()[1], 3) for r in d.rects.values()})
    assert (levels(d1), levels(d2)) == (2, 3)


def recompute(tm, t_paper, index, seed):
    """The scene's example by hand: x_t from the formula, one forward pass, the mean square error."""
    x0 = load_digits(tm.config.image_size, "heldout")[0][index:index + 1]
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    ab = tm.schedule.alpha_bar[t_paper - 1].float()
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    with torch.no_grad():
        eps_hat = tm.model(x_t, torch.tensor([t_paper - 1]))
    x0_hat = (x_t - (1 - ab).sqrt() * eps_hat) / ab.sqrt()
    return F.mse_loss(eps_hat, eps).item(), x_t, eps_hat, x0_hat


def test_displayed_mse_equals_a_recomputation(quick_model):
    from scenes.kit.data import unet_prediction as scene

    preds = scene.predictions(quick_model)
    assert set(preds) == {scene.MAIN_T, *scene.TABLE_T}
    for t, p in preds.items():
        mse, x_t, eps_hat, x0_hat = recompute(quick_model, t, scene.SAMPLE_INDEX, scene.EPS_SEED)
        assert scene.format_mse(p.mse) == scene.format_mse(mse)
        assert p.mse == pytest.approx(mse, rel=1e-5, abs=1e-7)
        np.testing.assert_allclose(p.x_t, x_t[0, 0].numpy(), atol=1e-5)
        np.testing.assert_allclose(p.eps_hat, eps_hat[0, 0].numpy(), atol=1e-5)
        np.testing.assert_allclose(p.x0_hat, x0_hat[0, 0].numpy(), atol=1e-3)
    assert scene.format_mse(0.08234) == "0.082" and scene.format_mse(0.000868) == "0.00087"


def test_feature_maps_come_from_every_block(quick_model):
    tm = quick_model
    p = prediction(tm, 299)
    desc = tm.model.describe(tm.config.image_size)
    assert list(p.features) == [b["name"] for b in desc["blocks"]]
    for b in desc["blocks"]:
        assert p.features[b["name"]].shape == (b["out_ch"], b["resolution"], b["resolution"])
    np.testing.assert_allclose(p.features["head"][0], p.eps_hat, atol=1e-6)   # the last block is the output
    shown = show_channels(p.features["down0"], 4)
    assert shown.shape[0] == 4 and np.abs(shown).max() <= 1 + 1e-6


def test_error_curve_comes_from_forward_passes(quick_model):
    tm = quick_model
    steps = [0, 499, 999]
    curve = error_curve(tm, steps=steps, n_samples=64, seed=7)
    assert list(curve.t) == steps and curve.n_samples == 64
    # one point by hand: the same images, the same noise, a real forward pass
    x0 = load_digits(tm.config.image_size, "heldout")[0][:64]
    t = 499
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(7 + t))
    x_t = tm.schedule.add_noise(x0, t, eps)
    with torch.no_grad():
        eps_hat = tm.model(x_t, torch.full((64,), t))
    x0_hat = tm.schedule.predict_x0(x_t, t, eps_hat).clamp(-1, 1)
    assert curve.eps_mse[1] == pytest.approx(F.mse_loss(eps_hat, eps).item(), rel=1e-5)
    assert curve.x0_mse[1] == pytest.approx(F.mse_loss(x0_hat, x0).item(), rel=1e-5)
    again = error_curve(tm, steps=steps, n_samples=64, seed=7)          # from the cache now
    np.testing.assert_array_equal(again.eps_mse, curve.eps_mse)


def test_training_montage_reads_the_real_run(quick_model):
    tm = quick_model
    samples = snapshot_samples(tm, n=4, seed=3, steps=10)
    assert sorted(samples) == sorted(tm.snapshots)
    last = max(samples)
    x = sample(tm.model_at(last), tm.schedule, tm.noise(4, 3), "ddim", 10, 0.0, record=False)
    np.testing.assert_allclose(samples[last], x[:, 0].numpy(), atol=1e-5)
    assert not np.allclose(samples[min(samples)], samples[last])          # the snapshots differ
    steps, smooth = smoothed_loss(tm.history, window=10)
    loss = np.array(tm.history["loss"])
    assert len(smooth) == len(loss) == tm.config.steps
    assert smooth[-1] == pytest.approx(loss[-10:].mean()) and smooth[0] == pytest.approx(loss[0])


def srt_times(path):
    to_s = lambda h, m, s, ms: int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
    pat = r"(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)"
    return [(to_s(*m[:4]), to_s(*m[4:])) for m in re.findall(pat, path.read_text())]


@pytest.mark.slow          # a full -ql render
def test_unet_prediction_renders(quick_model):
    from test_render import frames, render, video_info

    path = render("UNetNoisePrediction")
    info = video_info(path)
    assert (info["width"], info["height"]) == (854, 480) and info["fps"] == pytest.approx(15, abs=0.01)
    assert 60 < info["seconds"] < 360
    fr = frames(path)
    bg = np.array([0x14, 0x16, 0x1C])
    content = [(np.abs(f.astype(int) - bg).sum(-1) > 30).mean() for _, f in fr]
    assert np.mean(np.array(content) > 0.01) > 0.85
    diffs = [np.abs(a.astype(int) - b.astype(int)).mean() for (_, a), (_, b) in zip(fr, fr[1:])]
    assert sum(d > 1 for d in diffs) > 20
    # the palette's meaning-bearing colours show up (noise, prediction, highlight)
    allpix = np.concatenate([f.reshape(-1, 3) for _, f in fr[::4]]).astype(int)
    for hexcol in ("#F4A261", "#B48EAD", "#EBCB8B"):
        rgb = np.array([int(hexcol[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(allpix - rgb).sum(1) < 40).sum() > 50, hexcol
    # narration: one subcaption at a time, every beat inside the video
    beats = srt_times(path.with_suffix(".srt"))
    assert len(beats) >= 15
    for (s0, e0), (s1, _) in zip(beats, beats[1:]):
        assert s1 >= e0 - 0.1, (e0, s1)
    assert beats[-1][1] <= info["seconds"] + 0.5

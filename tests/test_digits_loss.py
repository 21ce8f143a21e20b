"""The digits loss: plain eps-prediction MSE, or min-SNR-gamma weighted (TrainConfig.min_snr_gamma)."""
import pytest
import torch
import torch.nn.functional as F

from diffusion.core.schedule import NoiseSchedule
from diffusion.models import get_config, get_recipe
from diffusion.models.digits.recipe import min_snr_weight


def test_min_snr_weight_turns_down_only_the_steps_above_gamma():
    s = NoiseSchedule("linear", 1000)
    t = torch.tensor([0, 100, 999])
    snr = s.snr()[t]
    assert snr[0] > 5 > snr[2]
    w = min_snr_weight(s, t, 5.0)
    assert w[0] == pytest.approx(5 / snr[0].item()) and w[0] < 0.01
    assert w[2] == 1.0
    assert torch.all(w <= 1)


def test_min_snr_loss_is_the_weighted_squared_error_and_off_is_the_plain_mse():
    recipe = get_recipe("digits")
    gen = torch.Generator().manual_seed(0)
    plain_cfg = get_config("digits", "quick")
    weighted_cfg = get_config("digits", "quick", min_snr_gamma=5.0)
    x = recipe.data(plain_cfg, "cpu")
    batch = recipe.sample_batch(plain_cfg, x, gen)
    weighted = recipe.sample_batch(weighted_cfg, x, torch.Generator().manual_seed(0))
    assert all(torch.equal(batch[k], weighted[k]) for k in ("x0", "t", "eps"))    # the same draws
    torch.manual_seed(0)
    net = recipe.network(plain_cfg)
    schedule = recipe.schedule(plain_cfg)
    x_t = schedule.add_noise(batch["x0"], batch["t"], batch["eps"])
    with torch.no_grad():
        err = (net(x_t, batch["t"]) - batch["eps"]).pow(2).flatten(1).mean(1)
        assert recipe.loss(net, batch, schedule) == pytest.approx(F.mse_loss(net(x_t, batch["t"]), batch["eps"]).item())
        w = min_snr_weight(schedule, batch["t"], 5.0).float()
        got = recipe.loss(net, weighted, schedule).item()
    assert got == pytest.approx((w * err).mean().item(), rel=1e-5)
    assert got < 0.99 * err.mean().item()                  # the weights matter for this batch


@pytest.mark.parametrize("prediction", ["x0", "v"])
def test_x0_and_v_prediction_train_their_target_and_sample_as_an_eps_model(prediction):
    recipe = get_recipe("digits")
    cfg = get_config("digits", "quick", prediction=prediction)
    assert "prediction" not in get_config("digits", "quick").to_dict()     # off: the cache key as before
    assert cfg.to_dict()["prediction"] == prediction
    schedule = recipe.schedule(cfg)
    torch.manual_seed(0)
    net = recipe.network(cfg)
    x = recipe.data(cfg, "cpu")
    batch = recipe.sample_batch(cfg, x, torch.Generator().manual_seed(0))
    x0, t, eps = batch["x0"], batch["t"], batch["eps"]
    x_t = schedule.add_noise(x0, t, eps)
    a = schedule.sqrt_alpha_bar[t].float()[:, None, None, None]
    s = schedule.sqrt_one_minus_alpha_bar[t].float()[:, None, None, None]
    target = x0 if prediction == "x0" else a * eps - s * x0
    assert torch.allclose(net.target(x0, t, eps), target)
    with torch.no_grad():
        assert recipe.loss(net, batch, schedule).item() == pytest.approx(F.mse_loss(net.raw(x_t, t), target).item())
        # a U-Net that outputs its exact target is, seen from outside, the exact eps-model
        net.net.forward = lambda x_, t_: target
        assert torch.allclose(net(x_t, t), eps, atol=1e-3)
    # the state dict loads into a fresh network of the same config (EMA, snapshots, the cache)
    fresh = recipe.network(cfg)
    fresh.load_state_dict(net.state_dict())
    for b in fresh.describe(8)["blocks"]:                 # what the scenes hook into
        fresh.get_submodule(b["module"])
    with pytest.raises(ValueError):
        recipe.network(get_config("digits", "quick", prediction="score"))

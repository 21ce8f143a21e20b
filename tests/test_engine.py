"""The one training engine, for every registered model: seeded, resumable, a NaN stop that names the
step, one preset table per model, the registry's errors."""
import pytest
import torch

from diffusion.core import engine
from diffusion.core.presets import PRESET_NAMES, Preset, active_preset
from diffusion.models import MODELS, get_config, get_recipe

STEPS = 12


def run(name, **kw):
    return engine.train(get_recipe(name), get_config(name, "quick", steps=STEPS), progress=False, **kw)


def same(a, b) -> bool:
    return a["history"]["loss"] == b["history"]["loss"] and all(torch.equal(a["ema"][k], b["ema"][k]) for k in a["ema"])


@pytest.mark.parametrize("name", MODELS)
def test_training_is_deterministic_and_seeded(name):
    a, b = run(name), run(name)
    assert len(a["history"]["loss"]) == STEPS and same(a, b)
    c = engine.train(get_recipe(name), get_config(name, "quick", steps=STEPS, seed=1), progress=False)
    assert c["history"]["loss"] != a["history"]["loss"]


@pytest.mark.parametrize("name", MODELS)
def test_training_resumes_to_the_same_result(name, tmp_path, monkeypatch):
    """A run interrupted after a checkpoint resumes and ends bit-identical to an uninterrupted run."""
    full = run(name)
    state = tmp_path / "run.state"
    real_write = engine.write_artifact

    def write_then_die(path, data):
        real_write(path, data)
        if engine.torch_from_bytes(data)["step"] == 8:
            raise KeyboardInterrupt

    monkeypatch.setattr(engine, "write_artifact", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        run(name, state_path=state, checkpoint_every=4)
    monkeypatch.setattr(engine, "write_artifact", real_write)
    resumed = run(name, state_path=state, checkpoint_every=4)
    assert same(resumed, full)


@pytest.mark.parametrize("name", MODELS)
def test_nan_loss_stops_with_the_step(name, monkeypatch):
    recipe = get_recipe(name)
    real, calls = type(recipe).loss, {"n": 0}

    def poisoned(self, net, batch, schedule):
        calls["n"] += 1
        return real(self, net, batch, schedule) * (float("nan") if calls["n"] == 7 else 1.0)

    monkeypatch.setattr(type(recipe), "loss", poisoned)
    with pytest.raises(FloatingPointError, match=f"training {name} diverged: loss is nan at step 6"):
        run(name)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_has_the_three_presets(name):
    recipe = get_recipe(name)
    assert tuple(recipe.presets) == PRESET_NAMES
    for p in PRESET_NAMES:
        assert isinstance(get_config(name, p), recipe.config_type)


def test_the_edges_resolve_the_preset_flag_then_the_environment_then_the_default():
    assert active_preset("quick", environ={"DIFFUSION_PRESET": "large"}) == Preset("quick")
    assert active_preset(environ={"DIFFUSION_PRESET": "large"}) == Preset("large")
    assert active_preset(environ={}) == Preset("default")
    assert active_preset(default="quick", environ={}) == Preset("quick")
    with pytest.raises(ValueError, match="unknown preset 'huge'; choose one of quick, default, large"):
        active_preset(environ={"DIFFUSION_PRESET": "huge"})


def test_the_library_takes_the_preset_as_an_argument_and_never_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DIFFUSION_PRESET", "huge")            # an edge would refuse it; the library never looks
    assert get_config("graphs", Preset("large")) == get_config("graphs", "large") == get_recipe("graphs").presets["large"]
    with pytest.raises(TypeError):
        get_config("digits")
    with pytest.raises(TypeError, match="a preset is a Preset or one of quick, default, large, got None"):
        get_config("digits", None)
    with pytest.raises(ValueError, match="unknown preset 'huge'; choose one of quick, default, large"):
        get_config("digits", "huge")


def test_unknown_model_and_setting_are_one_line_errors():
    with pytest.raises(ValueError, match="unknown model 'mnist'; choose one of digits, graphs, toy1d"):
        get_recipe("mnist")
    with pytest.raises(ValueError, match="toy1d has no setting width"):
        get_config("toy1d", "quick", width=3)


def test_a_dotted_setting_sets_one_field_of_a_nested_config():
    from diffusion.core.settings import parse_setting

    assert parse_setting("unet.base_channels=32") == ("unet.base_channels", 32)
    config = get_config("graphs", "quick", **dict([parse_setting("denoiser.hidden=8"), parse_setting("steps=40")]))
    quick = get_config("graphs", "quick")
    assert config.denoiser.hidden == 8 and config.steps == 40
    assert config.denoiser.layers == quick.denoiser.layers and config.family == quick.family
    assert get_config("digits", "quick", **{"unet.base_channels": 12}).unet.base_channels == 12
    with pytest.raises(ValueError, match="graphs.denoiser has no setting width"):
        get_config("graphs", "quick", **{"denoiser.width": 3})
    with pytest.raises(ValueError, match="graphs has no setting network"):
        get_config("graphs", "quick", **{"network.width": 3})


def test_ema_warmup_decay_starts_fast_and_stops_at_the_decay():
    on = get_config("digits", "quick", ema_warmup=True)
    assert engine.ema_decay_at(on, 0) == pytest.approx(0.1)              # (1 + 0) / (10 + 0)
    assert engine.ema_decay_at(on, 80) == pytest.approx(81 / 90)
    assert engine.ema_decay_at(on, 10 ** 6) == on.ema_decay
    assert engine.ema_decay_at(get_config("digits", "quick"), 0) == on.ema_decay    # off: the constant decay
    assert engine.ema_decay_at(get_config("toy1d", "quick"), 0) == get_config("toy1d", "quick").ema_decay


def test_ema_warmup_changes_the_ema_by_the_formula_and_nothing_else():
    """One step from the same initial weights w0 to w1: plain EMA = w0 + 0.01 (w1 - w0) (decay 0.99),
    warmed-up EMA = w0 + 0.9 (w1 - w0) (decay 0.1 at the first update); the training itself is the same."""
    recipe = get_recipe("digits")
    plain_cfg = get_config("digits", "quick", steps=1)
    plain = engine.train(recipe, plain_cfg, progress=False)
    warm = engine.train(recipe, get_config("digits", "quick", steps=1, ema_warmup=True), progress=False)
    assert warm["history"]["loss"] == plain["history"]["loss"]
    torch.manual_seed(plain_cfg.seed)
    w0 = recipe.network(plain_cfg).state_dict()
    moved = 0
    for k in w0:
        step = (plain["ema"][k] - w0[k]) / (1 - plain_cfg.ema_decay)           # w1 - w0
        torch.testing.assert_close(warm["ema"][k] - w0[k], 0.9 * step, rtol=1e-2, atol=1e-4)
        moved += int(step.abs().max() > 0)
    assert moved > 10                                                     # the step moved the weights


def test_new_training_settings_at_their_off_value_keep_the_cache_key():
    from diffusion.core.cache import config_key

    c = get_config("digits", "default")
    assert not {"ema_warmup", "min_snr_gamma"} & set(c.to_dict())
    keys = {config_key(x.to_dict()) for x in (c, get_recipe("digits").override(c, ema_warmup=True),
                                                get_recipe("digits").override(c, min_snr_gamma=5.0))}
    assert len(keys) == 3

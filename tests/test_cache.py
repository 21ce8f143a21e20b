import os
from dataclasses import replace

import pytest

from diffusion.core import cache
from diffusion.core.loader import get_model, model_path
from diffusion.models.digits.config import get_preset


def test_key_changes_with_config():
    a = get_preset("quick")
    assert cache.config_key(a.to_dict()) == cache.config_key(replace(a).to_dict())
    assert cache.config_key(a.to_dict()) != cache.config_key(replace(a, seed=1).to_dict())
    assert cache.config_key(a.to_dict()) != cache.config_key(replace(a, unet=replace(a.unet, time_dim=32)).to_dict())


def test_get_or_build_builds_once_and_rebuilds_on_corruption(tmp_path):
    calls = []
    build = lambda: calls.append(1) or b"payload-%d" % len(calls)
    ident = lambda b: b
    path = tmp_path / "a" / "thing.bin"
    assert cache.get_or_build(path, build, ident, ident) == b"payload-1"
    assert cache.get_or_build(path, build, ident, ident) == b"payload-1"
    assert len(calls) == 1
    path.write_bytes(b"payload-1"[:4])                      # truncated file
    with pytest.warns(RuntimeWarning, match="corrupted"):
        assert cache.get_or_build(path, build, ident, ident) == b"payload-2"
    assert len(calls) == 2
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_changed_config_retrains_unchanged_loads(quick_model):
    cfg = get_preset("quick")
    tm = get_model(cfg)
    assert model_path(cfg).exists()
    mtime = os.path.getmtime(model_path(cfg))
    get_model.__wrapped__ if hasattr(get_model, "__wrapped__") else None
    from diffusion.core.loader import _get_model
    _get_model.cache_clear()
    tm2 = get_model(cfg)                                      # from disk, not retrained
    assert os.path.getmtime(model_path(cfg)) == mtime
    assert tm2.history["loss"] == tm.history["loss"]
    small = replace(cfg, steps=20, snapshots=(20,))
    tm3 = get_model(small, progress=False)
    assert tm3.key != tm.key and len(tm3.history["loss"]) == 20 and model_path(small).exists()


def test_training_is_deterministic():
    from diffusion.core.engine import train
    cfg = replace(get_preset("quick"), steps=15, snapshots=())
    a, b = train(cfg, progress=False), train(cfg, progress=False)
    assert a["history"]["loss"] == b["history"]["loss"]
    assert all((a["ema"][k] == b["ema"][k]).all() for k in a["ema"])


def test_training_resumes_to_the_same_result(tmp_path):
    """A run interrupted after a checkpoint resumes and ends bit-identical to an uninterrupted run."""
    from diffusion.core import engine as train_mod
    cfg = replace(get_preset("quick"), steps=30, snapshots=(10, 30), checkpoint_every=10)
    full = train_mod.train(cfg, progress=False)
    state = tmp_path / "run.state"
    real_write = train_mod.write_artifact
    def write_then_die(path, data):
        real_write(path, data)
        if train_mod.torch_from_bytes(data)["step"] == 20:
            raise KeyboardInterrupt
    train_mod.write_artifact = write_then_die
    try:
        with pytest.raises(KeyboardInterrupt):
            train_mod.train(cfg, state_path=state, progress=False)
    finally:
        train_mod.write_artifact = real_write
    resumed = train_mod.train(cfg, state_path=state, progress=False)
    assert resumed["history"]["loss"] == full["history"]["loss"]
    assert all((resumed["ema"][k] == full["ema"][k]).all() for k in full["ema"])

from dataclasses import replace

import pytest

from diffusion.core import cache, engine, loader
from diffusion.models import get_config, get_model


def test_key_changes_with_config():
    a = get_config("digits", "quick")
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


@pytest.fixture
def count_training(monkeypatch):
    """Counts the engine runs behind get_model (a model served from the cache runs none)."""
    runs = []
    real = engine.train

    def counted(recipe, config, **kw):
        runs.append(config)
        return real(recipe, config, **kw)

    monkeypatch.setattr(engine, "train", counted)
    return runs


def test_changed_config_retrains_unchanged_loads(tmp_path, monkeypatch, count_training):
    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path))
    cfg = get_config("digits", "quick", steps=20)
    tm = get_model("digits", cfg, progress=False)
    assert count_training == [cfg] and loader.model_path("digits", cfg).exists()
    assert get_model("digits", cfg, progress=False) is tm             # in memory
    loader.clear_memory_cache()
    tm2 = get_model("digits", cfg, progress=False)                    # from disk, not retrained
    assert len(count_training) == 1 and tm2 is not tm
    assert tm2.history["loss"] == tm.history["loss"]
    tm3 = get_model("digits", cfg, progress=False, steps=10)
    assert len(count_training) == 2 and tm3.key != tm.key and len(tm3.history["loss"]) == 10
    assert tm3.config.snapshots == (10,)                              # the snapshots follow the step count


def test_a_changed_cache_directory_is_not_served_from_memory(tmp_path, monkeypatch, count_training):
    cfg = get_config("digits", "quick", steps=5)
    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path / "a"))
    a = get_model("digits", cfg, progress=False)
    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path / "b"))
    b = get_model("digits", cfg, progress=False)
    assert len(count_training) == 2 and a is not b
    assert loader.model_path("digits", cfg).exists() and str(loader.model_path("digits", cfg)).startswith(str(tmp_path / "b"))
    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path / "a"))
    assert get_model("digits", cfg, progress=False) is a and len(count_training) == 2


# The cache keys of every registered model's presets: a trained model is found again only under its key,
# so a refactor that changes one (a renamed field, a new setting written into to_dict) strands the cache.
PRESET_KEYS = {
    "digits": ("bc13f834f92864d8", "ff4352dbd99de029", "55f27aba5291bf9f"),
    "graphs": ("e8f2910d786a0640", "71ac193d0c8b3284", "314356091670bf3e"),
    "toy1d": ("f0a0c37492b6715d", "0baed6e8129a9515", "0baed6e8129a9515"),
    "toy2d": ("e029c2c794214754", "357acdb88012f518", "6b8d5ad3482c5aa5"),
    "digits-cond": ("0589793ef86b3e1b", "caad84f15d3b18e5", "b4206e13516922c1"),
}


def test_preset_cache_keys_are_unchanged():
    from diffusion.core.presets import PRESET_NAMES
    from diffusion.models import MODELS, get_config

    assert set(PRESET_KEYS) <= set(MODELS)          # models added later keep their own key tests
    for name, keys in PRESET_KEYS.items():
        got = tuple(cache.config_key(get_config(name, p).to_dict()) for p in PRESET_NAMES)
        assert got == keys, f"{name}: cache keys {got} != {keys}"


@pytest.mark.parametrize("codec,value", [("NPZ", {"a": [[1.0, 2.0]], "b": [3]}), ("NPY", [[1.5, -2.0]]),
                                         ("JSON", {"rows": [1, 2], "floor": 0.5}), ("TORCH", {"w": [1.0]})])
def test_cached_artifact_is_built_once_at_its_key_and_read_back(tmp_path, monkeypatch, codec, value):
    import numpy as np

    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path))
    codec = getattr(cache, codec)
    if codec is cache.NPZ:
        value = {k: np.asarray(v) for k, v in value.items()}
    elif codec is cache.NPY:
        value = np.asarray(value)
    calls = []

    def build():
        calls.append(1)
        return value

    spec = dict(model="m", n=3)
    first = cache.cached("things", "kind", spec, build, codec)
    again = cache.cached("things", "kind", spec, build, codec)
    assert calls == [1]                                  # the second call reads the file
    path = tmp_path / "things" / f"kind-{cache.config_key(spec)}{codec.ext}"
    assert path.is_file() and cache.artifact_path("things", "kind", spec, codec) == path
    assert cache.artifact_path("things", "", spec, codec).name == f"{cache.config_key(spec)}{codec.ext}"
    if codec is cache.NPZ:
        assert set(again) == set(value) and all(np.array_equal(again[k], value[k]) for k in value)
    elif codec is cache.NPY:
        assert np.array_equal(again, value) and np.array_equal(first, value)
    else:
        assert again == value

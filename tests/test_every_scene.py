"""Every scene once, in this process: its needs prepared, then construct() in the layout audit's dry run.
That one pass serves two checks per scene: what construct() loads from the cache is what its needs
prepared (so a render builds nothing more; construct() runs in a cache of its own that holds only the
run's trained models and what the scene's needs used, so nothing another scene built can hide a missing
need), and the layout audit finds no violation."""
import os
import shutil
import sys
from pathlib import Path

import pytest

from scenes.kit import audit, registry

SCENES = list(registry.discover())
pytestmark = pytest.mark.slow          # trains the quick models (once per run) and runs every construct()


def forget_memory() -> None:
    """Drop every in-memory copy (functools caches of the library and the scenes), so each step below
    reads from the cache what it uses and the recorder sees it."""
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in ("diffusion", "scenes"):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def cache_files(cache: Path) -> set:
    return {str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file() and not p.name.endswith(".lock")}


def link(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:                                            # another file system: a copy does too
        shutil.copy2(src, dest)


@pytest.fixture(scope="module")
def scene_pass(tmp_path_factory):
    """scene -> dict(prepared=artifacts its needs used, loaded=artifacts setup() and construct() used,
    built=files construct() added to the cache, violations=the audit's lines); each scene is run the
    first time a test asks for it. Its needs run once, in the run's cache (training what is missing, once
    for every test that uses it), recording what they use; construct() then runs in a cache of its own
    holding only the run's trained models and the artifacts its needs used (linked, never built again),
    so nothing another scene built can hide a missing need."""
    from diffusion.core.cache import record_access

    done = {}

    def run(name):
        if name not in done:
            cls = registry.discover()[name][1]
            shared = Path(os.environ["DIFFUSION_CACHE"])
            forget_memory()
            with record_access() as prepared:
                registry.prepare(name, quiet=True)
            own = tmp_path_factory.mktemp(name)
            (own / "models").mkdir()
            for f in (shared / "models").glob("*.pt*"):
                if not f.name.endswith(".lock"):
                    link(f, own / "models" / f.name)
            for artifact in prepared:
                if not Path(artifact).is_absolute() and not artifact.startswith("models/"):
                    for f in (shared / artifact, shared / f"{artifact}.sha256"):
                        link(f, own / f.relative_to(shared))
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("DIFFUSION_CACHE", str(own))
                before = cache_files(own)
                forget_memory()
                with record_access() as loaded:
                    rec = audit.audit_scene(cls)
                built = cache_files(own) - before
                forget_memory()
            done[name] = dict(prepared=set(prepared), loaded=set(loaded), built=built,
                              violations=[v.line() for v in audit.merge_runs(rec.violations())])
        return done[name]

    return run


@pytest.mark.parametrize("scene", SCENES)
def test_a_scene_loads_only_what_its_needs_prepare(scene, scene_pass):
    r = scene_pass(scene)
    assert not r["built"], f"{scene}: construct() built what its needs did not: {sorted(r['built'])}"
    assert r["loaded"] <= r["prepared"], f"{scene} loads what its needs do not build: {sorted(r['loaded'] - r['prepared'])}"


@pytest.mark.parametrize("scene", ["ReverseProcess"])    # a scene parameter: `make test` runs it with that scene's pass
def test_reverse_process_needs_only_the_digits_model_and_one_trajectory(scene, scene_pass):
    r = scene_pass(scene)
    models = sorted(f for f in r["prepared"] if f.startswith("models/") and f.endswith(".pt"))
    assert len(models) == 1 and Path(models[0]).name.startswith("digits-"), r["prepared"]
    trajectories = [f for f in r["prepared"] if f.startswith("trajectories/")]
    assert len(trajectories) == 1, r["prepared"]
    assert r["loaded"], "construct() loaded nothing from the cache: the recorder saw nothing"


@pytest.mark.parametrize("scene", SCENES)
def test_every_scene_passes_the_audit(scene, scene_pass):
    assert scene_pass(scene)["violations"] == []


def test_the_needs_check_fails_when_construct_loads_an_unprepared_artifact(tmp_path, monkeypatch):
    """The recorder sees what a need left out: a scene whose construct() loads a model its needs never
    mention is caught."""
    from diffusion.core.cache import record_access
    from diffusion.models import get_model

    monkeypatch.setenv("DIFFUSION_CACHE", str(tmp_path))
    with record_access() as prepared:
        pass                                          # needs = ()
    with record_access() as loaded:
        get_model("toy1d", "quick", progress=False, steps=3)
    assert loaded and not loaded <= prepared

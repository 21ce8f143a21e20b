"""The scene registry: series order, chapters, needs; and that a scene's needs are all it loads."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scenes.kit import registry

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env=None, check=True):
    r = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    assert not check or r.returncode == 0, r.stderr[-3000:]
    return r


def test_every_scene_has_a_place_in_the_series():
    scenes = registry.discover()
    assert scenes, "no scenes found"
    assert registry.unplaced(scenes) == [], "give these scenes a chapter in scenes/kit/registry.py CHAPTERS"
    assert len(registry.ORDER) == len(set(registry.ORDER)), "a scene is named in two places"


def test_scenes_holds_scene_modules_and_one_infrastructure_package():
    """Every module of scenes/ defines a scene (no list tells scenes from helpers); the rest is scenes/kit/."""
    import pkgutil

    found = {module for module, _ in registry.discover().values()}
    entries = list(pkgutil.iter_modules([str(ROOT / "scenes")]))
    assert [e.name for e in entries if e.ispkg] == ["kit"]
    modules = {e.name for e in entries if not e.ispkg and not e.name.startswith("_")}
    assert modules == found, f"modules of scenes/ that define no scene: {sorted(modules - found)}"


def test_chapters_with_scenes_have_a_lead():
    for chapter, names in registry.chapters():
        assert names and len(chapter.lead) > 80, f"chapter {chapter.title!r} needs its lead paragraph"


def test_list_follows_the_series_order():
    names = [line.split()[0] for line in run("-m", "scenes", "list").stdout.splitlines()]
    assert names == [n for n in registry.ORDER if n in names] == list(registry.discover())
    assert json.loads(run("-m", "scenes", "list", "--json").stdout) == names
    assert names.index("ForwardEquation") < names.index("MarkovChain") < names.index("UNetNoisePrediction") \
        < names.index("ReverseProcess") < names.index("DDIMDeterminism")


def test_unplaced_scenes_go_last_and_form_their_own_chapter(monkeypatch):
    found = registry._found()
    extra = dict(found, AAANewScene=("new", object))        # alphabetically first, but not placed
    monkeypatch.setattr(registry, "_found", lambda: extra)
    order = list(registry.discover())
    assert order[-1] == "AAANewScene" and order[:-1] == [n for n in registry.ORDER if n in found]
    last, names = registry.chapters()[-1]
    assert last is registry.UNPLACED and names == ["AAANewScene"]
    assert registry.unplaced() == ["AAANewScene"]


def test_needs_are_documented_functions():
    for name, (_, cls) in registry.discover().items():
        for fn in registry.needs(cls):
            assert callable(fn) and registry.need_doc(fn) != registry.need_name(fn), \
                f"{name}: need {registry.need_name(fn)} has no docstring"


def cache_files(cache: Path) -> set:
    return {str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file() and not p.name.endswith(".lock")}


def prepared(tmp_path, scene):
    cache = tmp_path / "cache"
    env = dict(DIFFUSION_CACHE=str(cache), DIFFUSION_PRESET="quick")
    r = run("-m", "scenes", "prepare", scene, env=env)
    assert f"{scene}: " in r.stderr
    return cache, env


def dry_run(scene, env, tmp_path):
    """construct() in full, animations skipped, only the last frame written (-s): it loads all it
    loads without the cost of a video (manim's --dry_run fails in manim-slides' play here)."""
    module = registry.discover()[scene][0]
    run("-m", "manim", "render", "-ql", "-s", "--progress_bar", "none", "--media_dir",
        str(tmp_path / "media"), str(ROOT / "scenes" / f"{module}.py"), scene, env=env)


@pytest.mark.slow          # trains the quick model in a subprocess and renders a frame
def test_reverse_process_needs_only_the_digits_model_and_one_trajectory(tmp_path):
    cache, env = prepared(tmp_path, "ReverseProcess")
    files = cache_files(cache)
    models = sorted(f for f in files if f.startswith("models/") and f.endswith(".pt"))
    assert len(models) == 1 and Path(models[0]).name.startswith("digits-"), files
    trajectories = [f for f in files if "traj" in f and not f.endswith(".sha256")]
    assert len(trajectories) == 1, files
    # what construct() loads is exactly what was prepared: the render builds nothing more
    dry_run("ReverseProcess", env, tmp_path)
    assert cache_files(cache) == files


@pytest.mark.slow
@pytest.mark.parametrize("scene", [n for n in registry.ORDER if n in registry.discover() and n != "ReverseProcess"])
def test_a_prepared_scene_renders_without_building_anything(scene, tmp_path):
    cache, env = prepared(tmp_path, scene)
    files = cache_files(cache)
    dry_run(scene, env, tmp_path)
    assert cache_files(cache) == files


def test_gallery_and_slide_index_follow_the_series():
    """publish.blog.build exports scenes in discover() order; the gallery puts a heading (and lead)
    before each chapter's first scene; the slide index sorts the decks it is given."""
    import html
    import re

    from publish.blog import gallery
    from publish.slides import series_index

    names = list(registry.discover())
    entries = [dict(name=n, description="d", width=854, height=480, fps=15, seconds=1.0, made_from=["m"])
               for n in names]
    page = gallery(entries, "l")
    order = re.findall(r'<h2 class="chapter"[^>]*>\d+\. ([^<]+)</h2>|<h3>(\w+)</h3>', page)
    expected = [x for c, members in registry.chapters() for x in [(c.title, "")] + [("", n) for n in members]]
    assert order == expected
    for chapter, _ in registry.chapters():
        assert html.escape(chapter.lead)[:60] in page
    decks = re.findall(r'<li><a href="(\w+)\.html">', series_index(names[::-1]))
    assert decks == names


def test_every_construct_reads_as_named_beats():
    """construct() stays short (about 40 lines): the beats are methods of their own."""
    import ast

    for path in sorted((ROOT / "scenes").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name == "construct":
                n = node.end_lineno - node.lineno + 1
                assert n <= 40, f"{path.name}: construct() is {n} lines"

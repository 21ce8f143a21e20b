"""The scene registry: series order, chapters, needs (that a scene's needs are all it loads:
tests/test_every_scene.py)."""
import json
from pathlib import Path

from scenes.kit import registry

ROOT = Path(__file__).resolve().parent.parent


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


def test_list_follows_the_series_order(run_main):
    from scenes.kit.cli import main

    names = [line.split()[0] for line in run_main(main, "list").stdout.splitlines()]
    assert names == [n for n in registry.ORDER if n in names] == list(registry.discover())
    assert json.loads(run_main(main, "list", "--json").stdout) == names
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

"""The packages import without circles: no module's imports (lazy ones inside functions included) lead back
to it, and a fresh process imports every module of diffusion, scenes and publish in any of several orders."""
import ast
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("diffusion", "scenes", "publish")


def modules() -> dict:
    """{dotted name: path} of every module of the packages (a package is its __init__)."""
    out = {}
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            parts = p.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def imported(name: str, path: Path, known: dict) -> set:
    """The project modules that `name` imports anywhere in its source (top level or inside functions)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (path.name == "__init__.py")]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        else:
            continue
        for t in targets:
            while t not in known and "." in t:
                t = t.rsplit(".", 1)[0]
            if t in known and t != name:
                out.add(t)
    return out


def cycles(graph: dict) -> list:
    """The strongly connected components of more than one module (each holds an import circle)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_lead_back_to_it():
    known = modules()
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert graph["diffusion.models"] and graph["scenes.kit.cli"]          # the parser sees imports
    assert cycles(graph) == []


ORDERS = {"sorted": lambda ms: sorted(ms), "reversed": lambda ms: sorted(ms, reverse=True),
          "shuffled": lambda ms: random.Random(0).sample(sorted(ms), len(ms))}


@pytest.mark.parametrize("order", ORDERS)
def test_every_module_imports_in_a_fresh_process(order):
    names = [n for n in ORDERS[order](modules()) if not n.endswith("__main__")]   # __main__ runs its CLI
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\n"
    r = subprocess.run([sys.executable, "-c", code, *names], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]


def test_scene_data_parts_and_publish_load_no_manim():
    """Every scene's data part (scenes/kit/data/) and publish/figures.py import without Manim: claims,
    tests and the interactive figures read what a scene loads without a scene module."""
    names = sorted(n for n in modules() if n.startswith("scenes.kit.data."))
    code = ("import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\n"
            "bad = sorted(m for m in sys.modules if m == 'manim' or m.startswith('manim.'))\n"
            "scenes = sorted(m for m in sys.modules if m.startswith('scenes.') and not m.startswith('scenes.kit'))\n"
            "print(len(bad), scenes)\n")
    r = subprocess.run([sys.executable, "-c", code, *names, "publish.figures"], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split()[0] == "0", f"manim imported by the data parts or publish.figures: {r.stdout}"
    assert r.stdout.strip().endswith("[]"), f"scene modules imported: {r.stdout}"


def test_every_scene_has_a_data_part():
    from scenes.kit.registry import discover

    for name, (module, cls) in discover().items():
        assert cls.data is not None and cls.data.__name__ == f"scenes.kit.data.{module}", name
        assert callable(cls.data.claims) and all(callable(f) for f in cls.data.NEEDS), name


def test_every_model_package_has_the_same_shape():
    """models/<name>/: a recipe.py with RECIPE, and an __init__ that only documents the package (its parts are
    imported from their own modules, so there is one path to each name)."""
    from importlib import import_module

    from diffusion.models import MODELS

    for name, module in MODELS.items():
        pkg = ROOT / Path(*module.split(".")[:-1])
        assert (pkg / "recipe.py").is_file() and hasattr(import_module(module), "RECIPE"), name
        body = ast.parse((pkg / "__init__.py").read_text()).body
        assert all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body), \
            f"{pkg.name}/__init__.py holds more than its docstring"

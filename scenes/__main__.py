"""python -m scenes list | render NAME [--quality l|m|h|k] | claims [NAME ...] — the scene registry,
the renderer, and the table of what every scene's narration claims (scenes/claims.py).

Scenes are discovered: every DiffusionScene subclass with a description in a module of this
package is a scene; its name is the class name.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEDIA_ROOT = Path(os.environ.get("SCENES_MEDIA_DIR", ROOT / "media"))   # tests render elsewhere
# THEME=light renders get their own tree, so they never overwrite the dark ones (same file names)
MEDIA = MEDIA_ROOT / "light" if os.environ.get("THEME") == "light" else MEDIA_ROOT
QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}
NOT_SCENES = {"helpers", "style", "__main__", "preflight", "common", "claims"}


def discover() -> dict:
    """{scene name: (module name, class)} for every scene in this package."""
    from scenes.helpers import DiffusionScene

    found = {}
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda i: i.name):
        if info.name in NOT_SCENES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"scenes.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, DiffusionScene) and cls.__module__ == module.__name__ and cls.description:
                found[name] = (info.name, cls)
    return found


def fail(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def check_quality(q: str) -> str:
    if q not in QUALITIES:
        fail(f"unknown quality {q!r}; choose one of " + ", ".join(f"{k} ({v})" for k, v in QUALITIES.items()))
    return q


def check_scene(name: str, scenes: dict) -> None:
    if name not in scenes:
        fail(f"unknown scene {name!r}; valid scenes: {', '.join(scenes)}")


def video_path(module: str, name: str, quality: str) -> Path:
    return MEDIA / "videos" / module / QUALITIES[quality] / f"{name}.mp4"


def validate_inputs(cls) -> None:
    """Run the scene's optional `validate_inputs()` classmethod (e.g. IMAGE/CROP checks) before manim
    starts, so a bad input stops with one line on stderr and nothing written."""
    check = getattr(cls, "validate_inputs", None)
    if callable(check):
        try:
            check()
        except ValueError as e:
            fail(str(e))


def check_claims(cls) -> None:
    """Stop before manim starts when the scene's narration would state a false claim."""
    from scenes.claims import ClaimFailed, require

    try:
        require(cls)
    except ClaimFailed as e:
        fail(str(e))


def claims_command(names) -> int:
    """One line per claim: scene, claim, measured value, true/false, the words; 1 if any is false."""
    from scenes.claims import print_table, table

    scenes = discover()
    for n in names:
        check_scene(n, scenes)
    rows, ok = table({n: scenes[n][1] for n in (names or scenes)})
    print_table(rows)
    return 0 if ok else 1


def render(name: str, quality: str, extra=()) -> Path:
    from scenes.preflight import check_system

    scenes = discover()
    check_scene(name, scenes)
    check_quality(quality)
    check_system()
    module, cls = scenes[name]
    validate_inputs(cls)
    check_claims(cls)
    cmd = [sys.executable, "-m", "manim", "render", f"-q{quality}", "--media_dir", str(MEDIA),
           "--progress_bar", "none", str(ROOT / "scenes" / f"{module}.py"), name, *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run(cmd, cwd=ROOT, env=env)
    if r.returncode:
        fail(f"manim failed rendering {name} (exit {r.returncode})")
    out = video_path(module, name, quality)
    print(f"rendered {name} -> {out}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m scenes")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the scenes with a one-line description each")
    r = sub.add_parser("render", help="render one scene")
    r.add_argument("scene")
    r.add_argument("--quality", "-q", default="l")
    c = sub.add_parser("claims", help="evaluate every scene's narrated claims on the models renders use")
    c.add_argument("scenes", nargs="*")
    args, extra = p.parse_known_args(argv)   # unknown options are passed on to manim
    if extra and args.cmd != "render":
        p.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.cmd == "list":
        scenes = discover()
        width = max(map(len, scenes)) if scenes else 0
        for name, (_, cls) in scenes.items():
            print(f"{name:<{width}}  {cls.description}")
        return 0
    if args.cmd == "claims":
        return claims_command(args.scenes)
    render(args.scene, args.quality, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python -m scenes list [--chapters|--json] | render NAME [--quality l|m|h|k] | prepare NAME...|--all
| claims [NAME...] | audit [NAME...]

The command line of the scene registry (registry.py: discovery, series order, needs) and the
renderer (rendering.py); scenes/__main__.py runs it. To add a subcommand: a `cmd_<name>(args) -> int` function and its
parser lines in `main()`; COMMANDS maps the name to the function.
"""
from __future__ import annotations

import argparse
import json
import sys

from diffusion.core.presets import active_preset

from .preset import use_preset
from .registry import check_scene, chapters, discover, fail, need_name, needs, prepare, unplaced
from .rendering import render, render_many


def cmd_list(args) -> int:
    scenes = discover()
    if args.json:                       # for job runners: the CI matrix
        print(json.dumps(list(scenes)))
        return 0
    width = max(map(len, scenes)) if scenes else 0
    if args.chapters:
        for i, (chapter, names) in enumerate(chapters(scenes), 1):
            print(f"{i}. {chapter.title}\n   {chapter.lead}")
            for n in names:
                loads = ", ".join(need_name(f) for f in needs(scenes[n][1])) or "nothing trained"
                print(f"   - {n:<{width}}  {scenes[n][1].description}\n     {'':<{width}}  loads: {loads}")
        return 0
    for name, (_, cls) in scenes.items():
        print(f"{name:<{width}}  {cls.description}")
    late = unplaced(scenes)
    if late:
        print(f"note: not placed in the series yet (listed last): {', '.join(late)} — "
              "add them to CHAPTERS in scenes/kit/registry.py", file=sys.stderr)
    return 0


def cmd_render(args) -> int:
    if args.all or len(args.scenes) > 1 or args.jobs != 1:
        if args.extra:
            fail(f"manim options ({' '.join(args.extra)}) go with one scene, not several")
        if args.all and args.scenes:
            fail("name scenes or --all, not both")
        render_many(None if args.all else args.scenes, args.quality, args.jobs, if_stale=args.if_stale)
    elif args.scenes:
        render(args.scenes[0], args.quality, args.extra, if_stale=args.if_stale)
    else:
        fail("name a scene to render, or --all")
    return 0


def cmd_prepare(args) -> int:
    scenes = discover()
    names = list(scenes) if args.all else args.scenes
    if not names:
        fail("name scenes to prepare, or --all")
    for n in names:
        check_scene(n, scenes)
    for n in names:
        prepare(n, scenes)
    return 0


def cmd_claims(args) -> int:
    """One line per claim: scene, claim, measured value, fact/true/false, the words, then each
    perturbation's value and whether the claim fails under it; per scene the counts. 1 if any claim is
    false or an empirical one survives a perturbation."""
    from .claims import print_table, table

    scenes = discover()
    for n in args.scenes:
        check_scene(n, scenes)
    rows, ok = table({n: scenes[n][1] for n in (args.scenes or scenes)}, falsify=not args.no_falsify)
    print_table(rows)
    return 0 if ok else 1


COMMANDS = dict(list=cmd_list, render=cmd_render, prepare=cmd_prepare, claims=cmd_claims)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m scenes")
    sub = p.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("list", help="the scenes in series order, one line each")
    ls.add_argument("--chapters", action="store_true", help="grouped by chapter, with leads and what each loads")
    ls.add_argument("--json", action="store_true", help="the names as a JSON list")
    r = sub.add_parser("render", help="render scenes (each builds only what it loads first)")
    r.add_argument("scenes", nargs="*", help="scene names, in the order to render them")
    r.add_argument("--all", action="store_true", help="every scene, in series order")
    r.add_argument("--jobs", "-j", type=int, default=1, help="renders at once (several scenes only)")
    r.add_argument("--quality", "-q", default="l")
    r.add_argument("--if-stale", action="store_true",
                   help="only if the video or its slides are missing or were made from other code or settings")
    pr = sub.add_parser("prepare", help="train/sample what the named scenes load (--all: every scene)")
    pr.add_argument("scenes", nargs="*")
    pr.add_argument("--all", action="store_true")
    c = sub.add_parser("claims", help="evaluate every scene's narrated claims on the models renders use")
    c.add_argument("scenes", nargs="*")
    c.add_argument("--no-falsify", action="store_true", help="skip measuring the perturbations (faster)")
    sub.add_parser("audit", help="layout audit of scenes (dry run, quick models); see scenes/kit/audit.py",
                   add_help=False)
    args, extra = p.parse_known_args(argv)   # unknown options are passed on to manim
    if args.cmd == "audit":
        from .audit import cli
        return cli(extra)
    if extra and args.cmd != "render":
        p.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if args.cmd != "list":
        try:
            use_preset(active_preset())  # every model the command loads is of this preset
        except ValueError as e:
            fail(str(e))
    return COMMANDS[args.cmd](args)

"""Wall time of the whole-series commands, each run twice: the first run builds, the second (nothing
changed) only checks what is up to date; and the newcomer's first video. Writes bench/reports/course.md.

  python -m bench.course [--quality l] [--steps first all lecture blog film] [--keep]

"first" clones the committed HEAD into a temporary folder and runs `make render` there with nothing
cached (a new .venv, a new ./cache): the time a newcomer waits for the default scene. The system
packages are already installed on the machine that runs it (apt-get is not timed) and pip reads its
wheels from the local index. Then, in the same clone, `make render SCENE=ReverseProcess` (the digits
model trains): the series' hero scene, timed without the install.

It starts from an EMPTY media folder (the checkout's renders are moved aside first and put back
after; --keep keeps the new ones instead), with the models already trained (the diffusion cache the
environment names), so the first `make all QUALITY=l -j 2` is every scene's render with every model
cached. Each step is the make target a user runs; the report is rewritten after every step.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Report, save_json

ROOT = Path(__file__).resolve().parent.parent
STEPS = {   # step -> (make arguments, what its second run's output must say); run in this order
    "all": (["all", "-j", "2"], r"up to date"),
    "lecture": (["lecture"], r"lecture: up to date"),
    "blog": (["blog"], r"\(0 exported, \d+ up to date\)"),
    "film": (["film"], r"film: up to date"),          # after the blog: its WebMs are reused
}
ALL_BOUND_S = 240            # every scene at -ql, two at a time, models cached
FIRST_BOUND_S = 360          # clean clone to the default scene's video
SECOND_BOUND_S = 30          # a second run with nothing changed


def run(args: list[str], quality: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(["make", "--no-print-directory", *args, f"QUALITY={quality}"], cwd=ROOT,
                       capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode:
        sys.exit(f"error: make {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return seconds, r.stdout + r.stderr


def first_video(quality: str) -> list[dict]:
    """A clean clone's `make render` (the default scene), then ReverseProcess in the same clone."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DIFFUSION_CACHE", "DIFFUSION_PRESET", "PYTHONPATH", "VIRTUAL_ENV", "THEME")}
    rows = []
    with tempfile.TemporaryDirectory(prefix="first-video-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        for args, what in ((["render"], "the default scene, from a clean clone (venv, training, render)"),
                           (["render", "SCENE=ReverseProcess"], "ReverseProcess next, in the same clone (digits training, render)")):
            t0 = time.perf_counter()
            r = subprocess.run(["make", "--no-print-directory", *args, f"QUALITY={quality}"], cwd=clone, env=env,
                               capture_output=True, text=True)
            seconds = time.perf_counter() - t0
            if r.returncode:
                sys.exit(f"error: make {' '.join(args)} in a clean clone failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
            rows.append(dict(step="first", command=f"make {' '.join(args)} QUALITY={quality}", what=what, seconds=seconds))
            print(f"{rows[-1]['command']} ({what}): {seconds:.1f} s", flush=True)
    return rows


def report(rows: list[dict], quality: str, first: list[dict] = ()) -> Report:
    rep = Report("course", "The first video, and the whole series run twice", echo=False)
    rep.text("Models already trained (cached), media folder empty before the first step. Each step is run "
             "twice in a row; the second run has nothing to do but check what is up to date. `make lecture`, "
             "`make blog` and `make film` first run `make all` (every scene whose render is missing or stale), "
             "so their first runs reuse the renders of the first row; the film's WebM reuses the blog's WebM of "
             "each scene.")
    if first:
        rep.text("The first video: a clean clone of the committed HEAD, nothing cached (a new .venv and ./cache), "
                 "system packages already installed, pip reading the local wheel index.")
        rep.table(["command", "what it does", "wall time (s)"], [[f["command"], f["what"], round(f["seconds"], 1)] for f in first])
        rep.check(f"{first[0]['command']} from a clean clone (s)", round(first[0]["seconds"], 1), f"<= {FIRST_BOUND_S}",
                  met=first[0]["seconds"] <= FIRST_BOUND_S)
    rep.table(["command", "first run (s)", "second run (s)", "second run redid nothing"],
              [[r["command"], round(r["first"], 1), round(r["second"], 1), r["idle"]] for r in rows])
    for r in rows:
        if r["step"] == "all":
            rep.check(f"{r['command']}, every model cached (s)", round(r["first"], 1), f"<= {ALL_BOUND_S}",
                      met=r["first"] <= ALL_BOUND_S)
        rep.check(f"{r['command']} again, nothing changed (s)", round(r["second"], 1), f"<= {SECOND_BOUND_S}",
                  met=r["second"] <= SECOND_BOUND_S and r["idle"])
    return rep


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.course")
    p.add_argument("--quality", default="l")
    p.add_argument("--steps", nargs="*", default=["first", *STEPS], choices=["first", *STEPS])
    p.add_argument("--keep", action="store_true", help="keep the media made here (default: restore the old one)")
    args = p.parse_args(argv)
    first = first_video(args.quality) if "first" in args.steps else []
    if first:
        report([], args.quality, first).finish()
    media = ROOT / "media"
    aside = ROOT / f".media-before-bench-{os.getpid()}"
    if media.exists():
        os.replace(media, aside)
    media.mkdir()
    rows = []
    try:
        for step in [s for s in STEPS if s in args.steps]:
            make_args, idle = STEPS[step]
            t_first, _ = run(make_args, args.quality)
            t_second, out = run(make_args, args.quality)
            done = bool(re.search(idle, out))
            if step == "all":       # every render said "up to date", none rendered
                done = "rendered " not in out and "up to date" in out
            rows.append(dict(step=step, command=f"make {' '.join(make_args)} QUALITY={args.quality}", first=t_first,
                             second=t_second, idle=done))
            print(f"{rows[-1]['command']}: {t_first:.1f} s, then {t_second:.1f} s (nothing redone: {done})", flush=True)
            report(rows, args.quality, first).finish()      # after every step: a long run keeps what it measured
    finally:
        if not args.keep:
            shutil.rmtree(media, ignore_errors=True)
            if aside.exists():
                os.replace(aside, media)
        elif aside.exists():
            shutil.rmtree(aside, ignore_errors=True)
    save_json("course", dict(first=first, rows=rows))
    rep = report(rows, args.quality, first)
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

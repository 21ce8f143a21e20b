"""Wall time of the whole-series commands, each run twice: the first run builds, the second (nothing
changed) only checks what is up to date. Writes bench/reports/course.md.

  python -m bench.course [--quality l] [--steps all lecture blog film] [--keep]

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
SECOND_BOUND_S = 30          # a second run with nothing changed


def run(args: list[str], quality: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(["make", "--no-print-directory", *args, f"QUALITY={quality}"], cwd=ROOT,
                       capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode:
        sys.exit(f"error: make {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return seconds, r.stdout + r.stderr


def report(rows: list[dict], quality: str) -> Report:
    rep = Report("course", "The whole series: first and second runs", echo=False)
    rep.text("Models already trained (cached), media folder empty before the first step. Each step is run "
             "twice in a row; the second run has nothing to do but check what is up to date. `make lecture`, "
             "`make blog` and `make film` first run `make all` (every scene whose render is missing or stale), "
             "so their first runs reuse the renders of the first row; the film's WebM reuses the blog's WebM of "
             "each scene.")
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
    p.add_argument("--steps", nargs="*", default=list(STEPS), choices=list(STEPS))
    p.add_argument("--keep", action="store_true", help="keep the media made here (default: restore the old one)")
    args = p.parse_args(argv)
    media = ROOT / "media"
    aside = ROOT / f".media-before-bench-{os.getpid()}"
    if media.exists():
        os.replace(media, aside)
    media.mkdir()
    rows = []
    try:
        for step in [s for s in STEPS if s in args.steps]:
            make_args, idle = STEPS[step]
            first, _ = run(make_args, args.quality)
            second, out = run(make_args, args.quality)
            done = bool(re.search(idle, out))
            if step == "all":       # every render said "up to date", none rendered
                done = "rendered " not in out and "up to date" in out
            rows.append(dict(step=step, command=f"make {' '.join(make_args)} QUALITY={args.quality}", first=first,
                             second=second, idle=done))
            print(f"{rows[-1]['command']}: {first:.1f} s, then {second:.1f} s (nothing redone: {done})", flush=True)
            report(rows, args.quality).finish()      # after every step: a long run keeps what it measured
    finally:
        if not args.keep:
            shutil.rmtree(media, ignore_errors=True)
            if aside.exists():
                os.replace(aside, media)
        elif aside.exists():
            shutil.rmtree(aside, ignore_errors=True)
    save_json("course", rows)
    rep = report(rows, args.quality)
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

"""Wall time of the whole-series commands, each run twice: the first run builds, the second (nothing
changed) should only check what is up to date. Writes bench/reports/course.md.

  PYTHONPATH=. .venv/bin/python bench/course.py [--quality l] [--steps all film lecture blog]

It starts from an EMPTY media folder (the checkout's renders are moved aside first and put back
after; --keep keeps the new ones instead), with the models already trained (the diffusion cache the
environment names), so the first `make all QUALITY=l -j 2` is every scene's render with every model
cached. Each step is the make target a user runs.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "bench" / "reports" / "course.md"
RESULTS = ROOT / "bench" / "results" / "course.json"

STEPS = {   # step -> (make arguments, what its second run's output must say); run in this order
    "all": (["all", "-j", "2"], r"up to date"),
    "lecture": (["lecture"], r"lecture: up to date"),
    "blog": (["blog"], r"\(0 exported, \d+ up to date\)"),
    "film": (["film"], r"film: up to date"),          # after the blog: its WebMs are reused
}


def machine() -> str:
    cpu = "CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()}-core {platform.machine()} ({cpu}), no GPU, {platform.system()}"


def run(args: list[str], quality: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(["make", "--no-print-directory", *args, f"QUALITY={quality}"], cwd=ROOT,
                       capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if r.returncode:
        sys.exit(f"error: make {' '.join(args)} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return seconds, r.stdout + r.stderr


def write_report(rows: list[dict], quality: str, command: str) -> None:
    lines = ["# The whole series: first and second runs", "",
             f"Made by `{command}` on a {machine()}; models already trained (cached), media folder empty "
             "before the first step. Each step is run twice in a row; the second run has nothing to do "
             "but check what is up to date.", "",
             "| command | first run (s) | second run (s) | second run redid nothing |",
             "|---|---:|---:|---|"]
    for r in rows:
        lines.append(f"| `{r['command']}` | {r['first']:.1f} | {r['second']:.1f} | {'yes' if r['idle'] else 'NO'} |")
    lines += ["", "`make lecture`, `make blog` and `make film` first run `make all` (every scene whose render is "
              "missing or stale), so their first runs here reuse the renders of the first row; the film's WebM "
              "reuses the blog's WebM of each scene.", ""]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    tmp = REPORT.with_suffix(".md.part")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, REPORT)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="bench/course.py")
    p.add_argument("--quality", default="l")
    p.add_argument("--steps", nargs="*", default=list(STEPS), choices=list(STEPS))
    p.add_argument("--keep", action="store_true", help="keep the media made here (default: restore the old one)")
    args = p.parse_args(argv)
    command = "PYTHONPATH=. .venv/bin/python bench/course.py " + " ".join(sys.argv[1:] if argv is None else argv)
    media = ROOT / "media"
    aside = ROOT / f".media-before-bench-{os.getpid()}"
    if media.exists():
        os.replace(media, aside)
    media.mkdir()
    rows = []
    try:
        for step in args.steps:
            make_args, idle = STEPS[step]
            first, _ = run(make_args, args.quality)
            second, out = run(make_args, args.quality)
            done = bool(re.search(idle, out))
            if step == "all":       # every render said "up to date", none rendered
                done = "rendered " not in out and out.count("up to date") >= 1
            rows.append(dict(command=f"make {' '.join(make_args)} QUALITY={args.quality}", first=first,
                             second=second, idle=done))
            print(f"{rows[-1]['command']}: {first:.1f} s, then {second:.1f} s (nothing redone: {done})", flush=True)
            write_report(rows, args.quality, command)          # after every step: a long run keeps what it measured
    finally:
        if not args.keep:
            shutil.rmtree(media, ignore_errors=True)
            if aside.exists():
                os.replace(aside, media)
        elif aside.exists():
            shutil.rmtree(aside, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

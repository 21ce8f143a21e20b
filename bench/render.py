"""Render cost of every scene at -ql, relative to the floor: an empty scene of the same length and
frame rate, rendered in the same run through the same command. Writes bench/reports/render.md (and
bench/results/render.json); exits 1 when a scene is over the bound.

  make bench            (or: python -m bench.render [--scenes A B])
  python -m bench.render --profile GraphDenoising   # where its time goes (cProfile), no report

ratio = scene render CPU seconds / empty-scene render CPU seconds (user + system time of the render
and every process it waited for: LaTeX, the encoder). Wall seconds and their ratio are reported too;
on a machine shared with other work, wall time swings by half from run to run, CPU time far less. Both include starting Python and manim,
and manim's cache is off so nothing is reused; each scene starts from an empty media folder, so LaTeX
is compiled as on a first render. What a scene loads (its `needs`) is built before the timings.
Bound: a scene renders in at most MAX_RATIO x its floor; rows above it are marked "over".
Timings on a shared machine are noisy: compare the ratios of one run, not seconds across runs.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import ROOT, Report, save_json
from diffusion.core.presets import active_preset

EMPTY = '''from manim import Scene, config
from scenes.kit import encoder, style

encoder.install()      # the same encoder settings as the scenes

class Empty(Scene):
    def construct(self):
        self.camera.background_color = style.BG
        self.wait({seconds})
'''


MAX_RATIO = 4.0


def timed(cmd, env) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a command: CPU time of it and every process it waited for
    (LaTeX, the encoder threads), which other work on a shared machine inflates far less than wall time."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--scenes", nargs="*", help="only these scenes (default: every scene)")
    p.add_argument("--profile", metavar="SCENE", help="profile one scene's render (cProfile) instead")
    args = p.parse_args(argv)
    from scenes.kit.preset import use_preset
    from scenes.kit.registry import discover, prepare
    use_preset(active_preset())          # the models the scenes load are of this preset
    from publish.video import probe

    scenes = discover()
    if args.profile:
        return profile(args.profile, scenes)
    names = args.scenes or list(scenes)
    for name in names:
        prepare(name, scenes)                        # train/load outside the timings
    rows = []
    for name in names:
        module, _ = scenes[name]
        media = Path(tempfile.mkdtemp(prefix="bench-render-"))      # a cold LaTeX cache per scene
        env = dict(os.environ, SCENES_MEDIA_DIR=str(media), PYTHONPATH=str(ROOT))
        seconds, cpu = timed([sys.executable, "-m", "scenes", "render", name, "--quality", "l", "--disable_caching"], env)
        info = probe(media / "videos" / module / "480p15" / f"{name}.mp4")
        empty_py = media / f"empty_{name}.py"
        empty_py.write_text(EMPTY.format(seconds=round(info.seconds, 3)))
        floor, floor_cpu = timed([sys.executable, "-m", "manim", "render", "-ql", "--disable_caching", "--progress_bar", "none",
                       "--media_dir", str(media / "empty"), str(empty_py), "Empty"], env)
        rows.append(dict(scene=name, video_seconds=round(info.seconds, 1), fps=info.fps,
                         render_seconds=round(seconds, 1), empty_seconds=round(floor, 1),
                         wall_ratio=round(seconds / floor, 2), render_cpu_seconds=round(cpu, 1),
                         empty_cpu_seconds=round(floor_cpu, 1), ratio=round(cpu / floor_cpu, 2)))
        print(row_text(rows[-1]), flush=True)
    save_json("render", dict(quality="l", preset=active_preset().name, max_ratio=MAX_RATIO,
                             scenes=rows))
    rep = Report("render", "Render cost of every scene at -ql against an empty scene of the same length", argv=argv)
    rep.text("ratio = the scene's render CPU seconds / an empty scene's (same length and frame rate, same command); "
             "CPU time counts LaTeX and the encoder and is far less inflated by other work than wall time. Python and "
             "manim start-up included, manim's cache off, a cold media folder per scene; what a scene loads was "
             f"built before the timings. Bound: ratio <= {MAX_RATIO:g}.")
    rep.table(["scene", "video s", "render s", "empty s", "wall x", "render cpu s", "empty cpu s", "ratio",
               "render cpu s per video s"],
              [[r["scene"], r["video_seconds"], r["render_seconds"], r["empty_seconds"], r["wall_ratio"],
                r["render_cpu_seconds"], r["empty_cpu_seconds"], r["ratio"],
                round(r["render_cpu_seconds"] / r["video_seconds"], 3)] for r in sorted(rows, key=lambda r: -r["ratio"])])
    # the ratio's floor moves with the encoder (an empty scene is start-up plus still frames to encode):
    # absolute sums show what a change did to the scenes themselves
    video, cpu, empty = (sum(r[k] for r in rows) for k in ("video_seconds", "render_cpu_seconds", "empty_cpu_seconds"))
    rep.text(f"Summed over the {len(rows)} scenes: {video:.1f} s of video, render CPU {cpu:.1f} s "
             f"({cpu / video:.3f} s per video second), empty scenes' CPU {empty:.1f} s.")
    for r in rows:
        rep.check(f"{r['scene']}: render CPU / empty CPU", r["ratio"], f"<= {MAX_RATIO:g}", r["ratio"] <= MAX_RATIO)
    return rep.finish()


def row_text(r: dict) -> str:
    flag = "  over" if r["ratio"] > MAX_RATIO else ""
    return (f"{r['scene']:<24}{r['video_seconds']:>8}{r['render_seconds']:>10}{r['empty_seconds']:>9}"
            f"{r['wall_ratio']:>8}{r['render_cpu_seconds']:>11}{r['empty_cpu_seconds']:>10}{r['ratio']:>7}{flag}")


def profile(name: str, scenes: dict, top: int = 25) -> int:
    """Render `name` at -ql in this process under cProfile and print the functions with the most
    cumulative time (LaTeX compiles, updaters rebuilding mobjects, image resampling...)."""
    from manim import tempconfig
    from scenes.kit.registry import check_scene, prepare

    check_scene(name, scenes)
    prepare(name, scenes)
    _, cls = scenes[name]
    media = tempfile.mkdtemp(prefix="bench-profile-")
    out = ROOT / "bench" / "results" / f"profile-{name}.prof"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempconfig(dict(quality="low_quality", media_dir=media, disable_caching=True, progress_bar="none")):
        prof = cProfile.Profile()
        prof.runcall(lambda: cls().render())
    prof.dump_stats(out)
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"profile written to {out} (python -m pstats {out})")
    # where the render's own time goes (start-up of Python, torch and manim is outside it), as a report
    # section of its own: bench/reports/render-profile.md keeps one section per profiled scene
    total = max(v[3] for v in stats.stats.values())
    rows = sorted(((v[3], f"{Path(k[0]).name}:{k[1]}({k[2]})") for k, v in stats.stats.items()
                   if not k[2].startswith("<") and k[0] != "~"), reverse=True)
    rep = Report("render-profile", "Where a scene's render time goes (cProfile of the render at -ql)",
                 argv=["--profile", name], keep_other_commands=True, echo=False)
    rep.text(f"{name}: {total:.1f} s in the render call (construct() and the encoder feed; the start-up of Python, "
             f"torch and manim is not in it). The functions with the most cumulative time, callers included:")
    rep.table(["function", "cumulative s", "share of the render"],
              [[f, round(c, 2), f"{c / total:.0%}"] for c, f in rows[1:16]])
    own = sorted(((v[2], f"{Path(k[0]).name}:{k[1]}({k[2]})") for k, v in stats.stats.items()), reverse=True)
    rep.text("The same render by the functions' own time (where the cycles are spent):")
    rep.table(["function", "own s", "share of the render"], [[f, round(c, 2), f"{c / total:.0%}"] for c, f in own[:12]])
    rep.finish()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

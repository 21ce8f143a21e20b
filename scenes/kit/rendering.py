"""Render one scene: check inputs, build what it loads (registry.py `needs`), run manim.

Safe to run many at once (make -j N, two terminals, several machines sharing the folder):
- LaTeX and Text SVGs are made privately and renamed into the shared cache (svg_cache.py);
- manim keeps partial movies per module, quality and scene
  (media/videos/<module>/<quality>/partial_movie_files/<Scene>/), so different scenes never share
  them; two renders of the same scene and quality (and theme) take turns on a file lock beside
  the video, so they never write the same partial movies or the same MP4 at once;
- trained models and trajectories come from the diffusion cache (atomic writes, a lock per artifact).
"""
from __future__ import annotations

import os
import sys
import time
import traceback

from diffusion.core.cache import file_lock

from .registry import MEDIA, ROOT, check_quality, check_scene, discover, fail, prepare, video_path


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
    from .claims import ClaimFailed, require

    try:
        require(cls)
    except ClaimFailed as e:
        fail(str(e))


def run_manim(args: list[str]) -> int:
    """manim's command line (`manim ARGS`) in this process, from the project root: torch, the library
    and manim are imported once, not again in a child process (about 3.5 s a render). Returns the
    exit status manim would have."""
    import click
    from manim.__main__ import main

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        main.main(args=args, prog_name="manim", standalone_mode=False)
        return 0
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except Exception:                         # a scene's error: print it as manim's own command would
        traceback.print_exc()
        return 1
    finally:
        os.chdir(cwd)


def render(name: str, quality: str, extra=(), if_stale: bool = False):
    """Render scene `name` at `quality`: its video, subtitles (.srt) and manim-slides clips (a slide per
    beat, in freshness.slides_folder). if_stale: only when the video or slides are missing or
    were made from other code or settings (scenes/kit/freshness.py); returns the video's path either way."""
    from . import freshness
    from .preflight import check_system

    check_quality(quality)
    made_from = freshness.inputs(quality)
    if if_stale and not extra:                # before importing any scene: a no-op run is fast
        fresh = freshness.fresh_video(name, quality, made_from)
        if fresh is not None:
            print(f"{name}: up to date ({fresh.name}, slides)")
            return fresh
    scenes = discover(only=name)              # imports this scene's module alone
    check_scene(name, scenes)
    module, cls = scenes[name]
    out = video_path(module, name, quality)
    check_system()
    validate_inputs(cls)
    prepare(name, scenes)                     # train/sample only what this scene loads, with progress
    check_claims(cls)                         # a video never states a false claim
    args = ["render", f"-q{quality}", "--media_dir", str(MEDIA), "--progress_bar", "none",
            str(ROOT / "scenes" / f"{module}.py"), name, *extra]
    out.parent.mkdir(parents=True, exist_ok=True)
    # every render also saves the slides (cheap: stream copies of the partial movies), so a lecture
    # deck reuses the render instead of rendering again
    before = os.environ.get("SCENES_SLIDES_DIR")
    os.environ["SCENES_SLIDES_DIR"] = str(freshness.slides_folder(module, name, quality))
    with file_lock(out.parent / f".{name}.render"):   # same scene + quality + theme: one at a time
        t0 = time.perf_counter()
        try:
            code = run_manim(args)
        finally:
            if before is None:
                del os.environ["SCENES_SLIDES_DIR"]
            else:
                os.environ["SCENES_SLIDES_DIR"] = before
        seconds = time.perf_counter() - t0
        if code:
            fail(f"manim failed rendering {name} (exit {code})")
        if not extra:
            freshness.write_stamp(module, name, quality, made_from)
    print(f"rendered {name} in {seconds:.0f} s -> {out}")
    return out


def render_many(names: list[str] | None, quality: str, jobs: int = 1, if_stale: bool = False) -> None:
    """Render `names` (None: every scene, in series order) in this order, `jobs` at a time, each in a
    child process forked from this one.

    This process imports torch, manim, the library and every scene once; a forked child starts with all
    of it imported (about three seconds of start-up a render that separate processes each pay again), and
    has nothing of another render's state: manim's config, the scene, the models it loaded. torch runs
    on one thread here until the children are forked: an OpenMP thread team started in a parent is dead
    in a forked child, which then hangs on its first parallel torch call; each child gets its share of
    torch's threads back. Like make without -k: after a failed render no new one starts, the running
    ones finish, and the exit status is 2 with the failed names."""
    import torch

    check_quality(quality)
    if jobs < 1:
        fail(f"--jobs must be at least 1, not {jobs}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                  # before any scene module is imported (see above)
    scenes = discover()                       # every scene module, imported here once for all children
    names = list(scenes) if names is None else names
    for name in names:
        check_scene(name, scenes)
    queue, running, failed = list(names), {}, []
    while running or (queue and not failed):
        while queue and len(running) < jobs and not failed:
            name = queue.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:                      # the child: one render, then exit without the parent's cleanup
                code = 1
                try:
                    torch.set_num_threads(max(1, threads // jobs))
                    render(name, quality, if_stale=if_stale)
                    code = 0
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else 1
                except BaseException:
                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            running[pid] = name
        pid, status = os.wait()
        name = running.pop(pid, None)
        if name is not None and os.waitstatus_to_exitcode(status) != 0:
            failed.append(name)
    if failed:
        fail(f"rendering failed: {', '.join(failed)}")

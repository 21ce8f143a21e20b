"""Tests use the quick preset and one private cache, so they train in seconds and never touch ./cache.

Each cost is paid once per run: the first process (pytest itself, before it starts any xdist worker)
makes one temporary cache and one media folder and hands them to every worker through the environment,
so a quick model trained by one worker is loaded by the others (the cache's per-artifact lock makes a
second worker wait instead of training it again), and a scene rendered once serves every test that
reads its video. Tests that render, publish or train in subprocesses are marked `slow`
(`make test-fast` skips them): the render and publish modules as a whole (by file name, below), others
with @pytest.mark.slow.
"""
import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass

import pytest

_OWNER = "DIFFUSION_TEST_RUN" not in os.environ          # the process that made the folders removes them
if _OWNER:
    os.environ["DIFFUSION_TEST_RUN"] = tempfile.mkdtemp(prefix="diffusion-test-run-")
_RUN = os.environ["DIFFUSION_TEST_RUN"]
os.environ["DIFFUSION_PRESET"] = "quick"
os.environ["DIFFUSION_CACHE"] = os.path.join(_RUN, "cache")
os.environ["SCENES_MEDIA_DIR"] = os.path.join(_RUN, "media")
# `make test` runs two xdist workers on two cores: one torch thread each (and in the subprocesses they
# start), or the workers' thread pools spin against each other and every step slows down many times
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


def pytest_unconfigure(config):
    if _OWNER and not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(_RUN, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def scenes_preset():
    """The scenes' edge for every test in this process: what they load is of the quick preset (the
    environment above carries it to the renders and commands tests start)."""
    from diffusion.core.presets import Preset
    from scenes.kit.preset import use_preset

    use_preset(Preset("quick"))
    return Preset("quick")


@pytest.fixture(scope="session")
def quick_model():
    from diffusion.models import get_model

    return get_model("digits", "quick", progress=False)


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_main():
    """A command line's main(argv) in this process, as a user's shell would see it: the exit status
    (SystemExit's code, or main's return value), stdout and stderr. Any other exception propagates,
    so a traceback fails the test."""

    def run(main, *argv) -> Ran:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as e:
                code = e.code
        if isinstance(code, str):                # sys.exit("message") prints it and exits 1
            err.write(code + "\n")
            code = 1
        return Ran(0 if code is None else code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture(scope="session")
def reverse_process_render(quick_model):
    """ReverseProcess rendered once for the whole run, with its slides (`python -m publish slides`
    renders the video and saves a slide per beat): the render, blog and slides tests all read it. The
    first worker to get here renders; the others wait on the lock and find it done."""
    import subprocess
    import sys
    from pathlib import Path

    from diffusion.core.cache import file_lock

    media = Path(os.environ["SCENES_MEDIA_DIR"])
    done = media / ".reverse_process.done"
    media.mkdir(parents=True, exist_ok=True)
    with file_lock(media / ".reverse_process"):
        if not done.exists():
            r = subprocess.run([sys.executable, "-m", "publish", "slides", "ReverseProcess", "--quality", "l"],
                               cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True)
            assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-3000:])
            done.write_text(r.stdout)
    return media / "videos" / "reverse_process" / "480p15" / "ReverseProcess.mp4"


SLOW_MODULES = ("test_render", "test_publish")      # every test in these modules renders video

# How `make test` shares the work between its two xdist workers (`--dist loadgroup`, scheduler below).
# A group runs on one worker. A module is one group (its tests share its fixtures), except in modules
# whose tests share nothing but the run's cache: there each test is a group of its own (a render each),
# or, in test_every_scene, each scene (a scene's two checks share its one pass), so the workers split them.
GROUP_PER_TEST = ("test_render_forward.py", "test_render_graphs.py", "test_render_sampler_noise.py",
                  "test_unet_prediction.py")
GROUP_PER_PARAMETER = ("test_every_scene.py",)
# the longest chain of work that must run in order on one worker (the run's one render of ReverseProcess,
# then its blog, film and lecture): handed out first, so the other worker's work runs beside it
FIRST = ("test_publish.py",)


def xdist_group(nodeid: str) -> str:
    path, _, test = nodeid.partition("::")
    module = path.rsplit("/", 1)[-1]
    if module in GROUP_PER_PARAMETER and test.endswith("]"):
        return f"{path}[{test.rsplit('[', 1)[1]}"
    return nodeid if module in GROUP_PER_TEST else path


def pytest_xdist_make_scheduler(config, log):
    """xdist's own loadgroup reads groups from `item._nodeid`, which pytest 9 no longer uses for node
    ids (every test would be a group, splitting modules that share fixtures); this one computes the
    groups above from the node ids."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Groups(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return xdist_group(nodeid)

    return Groups(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the slow modules, then order the groups longest first (the chain above, the renders, the other
    slow ones, then the rest, each in collection order): xdist hands them out in the order collected
    (`--no-loadscope-reorder`), so the run ends with short groups on both workers instead of one long
    group on one."""
    for item in items:
        if item.path.name.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)
    rank, waits = {}, set()
    for item in items:
        g, module, slow = xdist_group(item.nodeid), item.path.name, item.get_closest_marker("slow")
        renders = slow and (module.startswith(SLOW_MODULES) or module in GROUP_PER_TEST)
        r = 0 if module in FIRST else 1 if renders else 2 if slow else 3
        rank[g] = min(r, rank.get(g, r))
        if module not in FIRST and "reverse_process_render" in item.fixturenames:
            waits.add(g)                  # it would wait for the chain's render: it goes after the renders
    for g in waits:
        rank[g] = max(rank[g], 2)
    items.sort(key=lambda item: rank[xdist_group(item.nodeid)])     # stable: collection order within a rank

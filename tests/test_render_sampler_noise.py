"""Low-quality renders of the sampler-noise scenes (DDIMDeterminism, ForwardBackward, Trajectories1D) with
the quick preset, checked on the decoded pixels. Everything the scenes load is built first from
their needs (scenes never train)."""
from pathlib import Path

import av
import numpy as np
import pytest
from test_render import render

BG = np.array([0x14, 0x16, 0x1C])


@pytest.fixture(scope="module")
def prepared(quick_model):
    from scenes.kit.registry import prepare

    for scene in ("DDIMDeterminism", "ForwardBackward", "Trajectories1D"):
        assert prepare(scene, quiet=True)


def frames(path: Path, every: float = 0.5):
    out = []
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        info = dict(width=s.codec_context.width, height=s.codec_context.height, fps=float(s.average_rate),
                    seconds=float(c.duration / av.time_base))
        next_t = 0.0
        for f in c.decode(s):
            if f.time >= next_t:
                out.append(f.to_ndarray(format="rgb24"))
                next_t += every
    return info, out


@pytest.mark.parametrize("scene,min_s,max_s", [("DDIMDeterminism", 40, 240), ("ForwardBackward", 20, 180),
                                               ("Trajectories1D", 30, 200)])
def test_scene_renders(prepared, scene, min_s, max_s):
    info, fr = frames(render(scene))
    assert (info["width"], info["height"]) == (854, 480) and abs(info["fps"] - 15) < 0.1
    assert min_s < info["seconds"] < max_s
    content = np.array([(np.abs(f.astype(int) - BG).sum(-1) > 30).mean() for f in fr])
    assert np.mean(content > 0.01) > 0.8                  # something on screen most of the time
    diffs = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(fr, fr[1:])]
    assert sum(d > 1 for d in diffs) > 8                  # and it changes


def test_scenes_are_registered(run_main):
    from scenes.kit.cli import main

    r = run_main(main, "list")
    assert r.returncode == 0
    for name in ("DDIMDeterminism", "ForwardBackward", "Trajectories1D"):
        assert name in r.stdout

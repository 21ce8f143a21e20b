"""Low-quality renders of the discrete-diffusion and inpainting scenes (quick preset), checked on the decoded pixels."""
import numpy as np
import pytest
from test_render import frames, render, video_info

FIXED_RGB = np.array([0xE0, 0x6C, 0x75])       # style.FIXED (dark theme)


def share_fixed(frame) -> float:
    return float((np.abs(frame.astype(int) - FIXED_RGB).sum(-1) < 40).mean())


@pytest.mark.parametrize("scene,low,high", [("GraphDenoising", 30, 180), ("ImageInpainting", 15, 240),
                                            ("DiscreteVsContinuous", 6, 60)])
def test_graph_and_inpainting_scenes_render(scene, low, high, quick_model):
    path = render(scene)
    info = video_info(path)
    assert (info["width"], info["height"]) == (854, 480) and info["fps"] == 15
    assert low < info["seconds"] < high
    fr = frames(path)
    diffs = [np.abs(a.astype(int) - b.astype(int)).mean() for (_, a), (_, b) in zip(fr, fr[1:])]
    assert sum(d > 0.5 for d in diffs) > 5                       # the picture moves
    # the fixed part (red subgraph / known-half frame) is on screen in a good share of the frames
    # (a few dozen pixels: the boxes are thin outlines around tiles sized to the frame)
    assert np.mean([share_fixed(f) > 2e-5 for _, f in fr]) > 0.3
    if scene == "DiscreteVsContinuous":                           # loops: last frame == first frame
        every = frames(path, every=0.0)
        assert np.abs(every[0][1].astype(int) - every[-1][1].astype(int)).mean() < 1.0

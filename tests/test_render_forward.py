"""Low-quality renders of the forward-process scenes, checked on the decoded pixels."""
import numpy as np

from test_render import frames, render, video_info
from scenes.kit import style

BG = np.array([0x14, 0x16, 0x1C])


def _hex(c):
    return np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)])


def _has_colour(frame, colour, tol=80, min_frac=5e-4):   # tolerant of yuv420 chroma
    return (np.abs(frame.astype(int) - _hex(colour)).sum(-1) < tol).mean() > min_frac


def _check(path, lo, hi):
    info = video_info(path)
    assert (info["width"], info["height"]) == (854, 480) and round(info["fps"]) == 15
    assert lo < info["seconds"] < hi, info
    fr = frames(path)
    content = [(np.abs(f.astype(int) - BG).sum(-1) > 30).mean() for _, f in fr]
    assert np.mean(np.array(content) > 0.005) > 0.85          # something on screen nearly all the time
    diffs = [np.abs(a.astype(int) - b.astype(int)).mean() for (_, a), (_, b) in zip(fr, fr[1:])]
    assert sum(d > 0.5 for d in diffs) > 15                     # and it moves
    return fr


def test_forward_equation_renders():
    fr = _check(render("ForwardEquation"), 60, 300)
    # the palette's signal and noise colours appear (terms of the equation, the curves)
    assert any(_has_colour(f, style.SIGNAL) for _, f in fr)
    assert any(_has_colour(f, style.NOISE) for _, f in fr)
    assert any(_has_colour(f, style.HIGHLIGHT) for _, f in fr)   # SNR = 1 marks, t tracker


def test_markov_chain_renders():
    fr = _check(render("MarkovChain"), 50, 240)
    assert any(_has_colour(f, style.STATE) for _, f in fr)      # histogram bars
    assert any(_has_colour(f, style.HIGHLIGHT) for _, f in fr)  # N(0, 1) density, KS column

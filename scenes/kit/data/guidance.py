"""Guidance, data: the class-conditional digits model, the guidance sweep (diffusion/studies/guidance.py),
the rows shown, every number the narration states, the formula as TeX and as Python, and the claims."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from diffusion.models import get_model
from diffusion.studies.guidance import default_study_config, get_guidance_study
from scenes.kit.claims import bootstrap_diff, fact, interval_words, worded
from scenes.kit.preset import scene_preset

# the formula on screen: each TeX part with the same term in Python (tests/test_guidance.py evaluates
# the Python and compares it with diffusion.core.guidance.GuidedEps, the code that made the frames)
FORMULA_LHS = r"\tilde\varepsilon"
FORMULA_RHS = (
    (r"(1+w)\,", "(1+w)*"),
    (r"\varepsilon_\theta(x_t, t, c)", "eps_c"),
    (r"-", "-"),
    (r"w\,", "w*"),
    (r"\varepsilon_\theta(x_t, t, \varnothing)", "eps_null"),
)
N_ROWS = 4                  # requested classes shown in the grid
def formula_tex() -> list[str]:
    return [FORMULA_LHS, "="] + [tex for tex, _ in FORMULA_RHS]


@lru_cache(maxsize=1)
def cond_model():
    """the class-conditional digits model (digits-cond)"""
    return get_model("digits-cond", scene_preset(), progress=False)


def guidance_sweep():
    """the guidance sweep: samples and measures for every w (diffusion/studies/guidance.py)"""
    return get_guidance_study(cond_model(), default_study_config(scene_preset()))


def w_str(w: float) -> str:
    return f"{w:g}"


def shown_rows(s) -> tuple[list, list]:
    """The classes the plain conditional model (w = 0) gets wrong most often, and for each the first of
    the study's x_T on which it missed that class (None when it never did)."""
    share0 = s["rows"][0]["share_per_class"]
    classes = sorted(np.argsort(share0, kind="stable")[:N_ROWS].tolist())
    picks = []
    for c in classes:
        missed = np.flatnonzero(s["pred"][0, c] != c)
        picks.append(int(missed[0]) if len(missed) else None)
    return classes, picks


def measure() -> dict:
    """Every number the narration states, from the cached guidance sweep."""
    s = guidance_sweep()
    ws = [r["w"] for r in s["rows"]]
    classes, picks = shown_rows(s)
    js = [0 if j is None else j for j in picks]
    hit = np.array([[int(s["pred"][k, c, j]) == c for k in range(len(ws))] for c, j in zip(classes, js)])  # (rows, W)
    fixed_at = [next((ws[k] for k in range(len(ws)) if hit[r, k]), None) for r in range(len(classes))]
    share = np.array([r["share"] for r in s["rows"]]) * 100
    div = np.array([r["diversity"] for r in s["rows"]])
    div_c = np.array([r["diversity_per_class"] for r in s["rows"]])[:, classes[0]]
    fd = np.array([r["fd"] for r in s["rows"]])
    return dict(s=s, ws=ws, classes=classes, picks=picks, hit=hit, first=int(hit[:, 0].sum()),
                last=int(hit[:, -1].sum()), hits=int(hit.sum()), fixed_at=fixed_at, share=share, div=div,
                div_c=div_c, fd=fd, best=int(np.argmin(fd)), share_never_falls=bool(np.all(np.diff(share) >= 0)))


NEEDS = (cond_model, guidance_sweep)


def claims():
    m = measure()
    n_rows, ws = len(m["classes"]), m["ws"]
    got = [w for w in m["fixed_at"] if w is not None]
    share, div = m["share"], m["div"]
    s = m["s"]
    # swapped labels: the classifier's verdicts read against the next class instead of the requested one
    pred = np.asarray(s["pred"])                                     # (W, classes, n)
    classes = np.arange(pred.shape[1])[None, :, None]
    swapped_share = tuple(round(float(x), 1) for x in ((pred == (classes + 1) % pred.shape[1]).mean((1, 2)) * 100))
    # the variety's change from w = 0 to the largest w, with its spread over the ten classes (paired)
    per_class = np.array([r["diversity_per_class"] for r in s["rows"]])
    var_diff = tuple(round(x, 3) for x in bootstrap_diff(per_class[0], per_class[-1], paired=True))
    never_falls = lambda v: bool(np.all(np.diff(v) >= 0)) and v[-1] > v[0]
    return [
        fact("every_row_starts_from_a_miss", m["picks"], all(j is not None for j in m["picks"]),
             "each row starts from the first x_T on which the plain model missed that class"),
        worded("rows_read_right", (m["first"], m["last"], n_rows), [
            (lambda v: v[1] == v[2] and v[0] == m["first"],
             f"the classifier reads the requested class in {m['first']} of {n_rows} rows "
             f"at w = 0 and in all {n_rows} at w = {w_str(ws[-1])}"),
            (lambda v: True, f"the classifier reads the requested class in {m['first']} of {n_rows} rows at "
                             f"w = 0 and {m['last']} of {n_rows} at w = {w_str(ws[-1])}")],
            # all read right: swapped labels must not be; not all: a classifier that reads every sample as
            # requested must be
            perturb={"swapped labels (the next class read as requested)": lambda: (
                0, int(sum(int(pred[-1, c, j]) == (c + 1) % pred.shape[1]
                           for c, j in zip(m["classes"], [0 if j is None else j for j in m["picks"]]))), n_rows)}
            if m["last"] == n_rows else
            {"a classifier that reads every sample as requested": lambda: (m["first"], n_rows, n_rows)}),
        worded("smallest_w_that_gets_it", tuple(got), [
            (lambda g: len(g) > 0 and set(g) == {min(got or [0])},
             f"the smallest w that gets it is {w_str(min(got or [0]))} in every row that gets there"),
            (lambda g: len(g) > 0 and (min(g), max(g)) == (min(got or [0]), max(got or [0])),
             f"the smallest w that gets it is {w_str(min(got or [0]))} to {w_str(max(got or [0]))}"),
            (lambda g: len(g) == 0, "no w shown gets it"),
            (lambda g: True, "other w than the ones stated get it")],
            perturb={"a classifier that reads every sample as requested": lambda: tuple(ws[0] for _ in m["classes"])}
            if got and min(got) > ws[0] else
            {"swapped labels (the next class read as requested)": lambda: tuple(
                ws[k] for c, j in zip(m["classes"], [0 if j is None else j for j in m["picks"]])
                for k in [next((k for k in range(len(ws)) if int(pred[k, c, j]) == (c + 1) % pred.shape[1]), None)]
                if k is not None)}),
        worded("shown_class_variety", (round(m["div_c"][0], 3), round(m["div_c"][-1], 3)), [
            (lambda v: v[1] < v[0], f"at w = {w_str(ws[-1])} they look more alike"),
            (lambda v: True, f"at w = {w_str(ws[-1])} they are no more alike")],
            perturb={"the w order reversed": lambda: (round(m["div_c"][-1], 3), round(m["div_c"][0], 3))}),
        worded("variety_change", var_diff, [
            (lambda v: v[2] < 0, "falls"), (lambda v: v[1] > 0, "rises"),
            (lambda v: True, "stays about the same")],
            perturb={"the w order reversed": lambda: tuple(-x for x in (var_diff[0], var_diff[2], var_diff[1]))},
            spread=interval_words(*var_diff) + " over the ten classes"),
        worded("share_never_falls", tuple(round(x, 1) for x in share), [
            (never_falls, "never falling as w grows"),
            (lambda v: True, "not rising steadily")],
            perturb={"swapped labels (the next class read as requested)": lambda: swapped_share}),
        worded("trade_off", (tuple(round(x, 1) for x in share), var_diff[2]), [
            (lambda v: never_falls(v[0]) and v[1] < 0,
             "Guidance buys the requested class with variety: pick w for the job."),
            (lambda v: True, "On this model guidance did not trade variety for the class as expected: see the numbers.")],
            perturb={"swapped labels (the next class read as requested)":
                     lambda: (swapped_share, var_diff[2])}),
    ]

"""DDIMDeterminism, data: the DDIM experiments on the digits U-Net (determinism, patch, eta sweep, slerp),
the figures the narration states, the DDIM update as shown on screen and as code, and the claims."""
from __future__ import annotations

import math as pymath
from functools import lru_cache

import numpy as np

from diffusion.studies.experiments import default_config, get_experiment
from scenes.kit.claims import claim, worded
from scenes.kit.models import digits_model

# The DDIM update on screen (Song et al. 2021, eq. 12, with sigma_t(eta) of eq. 16), line by line, and
# the same lines as code: tests/test_claims.py evaluates `ddim_update_on_screen` against
# NoiseSchedule.ddim_step, so the formula shown is the one that made the frames. t' is the next
# (earlier) step of the respaced sampler; at the last step alpha_bar_{t'} = 1.
DDIM_TEX = (
    r"\hat x_0 = \mathrm{clip}_{[-1,1]}\!\left(\frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t, t)}{\sqrt{\bar\alpha_t}}\right),"
    r"\qquad \hat\epsilon = \frac{x_t - \sqrt{\bar\alpha_t}\,\hat x_0}{\sqrt{1-\bar\alpha_t}}",
    r"x_{t'} = \sqrt{\bar\alpha_{t'}}\,\hat x_0 + \sqrt{1-\bar\alpha_{t'}-\sigma_t^2}\;\hat\epsilon + \sigma_t\, z,"
    r"\qquad z \sim \mathcal N(0, I)",
    r"\sigma_t(\eta) = \eta\,\sqrt{\frac{1-\bar\alpha_{t'}}{1-\bar\alpha_t}}\,\sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_{t'}}}",
)


def ddim_update_on_screen(x_t, eps_theta, ab_t: float, ab_prev: float, eta: float, z, clip: bool = True):
    """DDIM_TEX as code, one statement per line of it. Returns (x_{t'}, x0_hat, eps_hat)."""
    x0 = (x_t - pymath.sqrt(1 - ab_t) * eps_theta) / pymath.sqrt(ab_t)
    x0 = x0.clamp(-1, 1) if clip else x0
    eps = (x_t - pymath.sqrt(ab_t) * x0) / pymath.sqrt(1 - ab_t)
    sigma = eta * pymath.sqrt((1 - ab_prev) / (1 - ab_t)) * pymath.sqrt(1 - ab_t / ab_prev)
    x_prev = pymath.sqrt(ab_prev) * x0 + pymath.sqrt(max(1 - ab_prev - sigma ** 2, 0.0)) * eps + sigma * z
    return x_prev, x0, eps


SHOWN = ("determinism", "patch", "eta_sweep", "interpolation")


def experiments() -> dict:
    """the DDIM experiments the scene shows: determinism, patch, eta sweep, slerp (digits U-Net)"""
    return {name: get_experiment(name, digits_model(), default_config()) for name in SHOWN}


@lru_cache(maxsize=1)
def measure() -> dict:
    """The figures the narration states, from the cached experiments the scene shows."""
    cfg, res = default_config(), experiments()
    det, patch, eta, interp = (res[k] for k in SHOWN)
    etas = list(np.round(eta["etas"], 3))
    amounts = list(np.round(patch["amounts"], 3))
    pair = eta["pairwise_rms"]
    switch = interp["labels"][1:] != interp["labels"][:-1]
    steps = interp["step_dist"]
    return dict(
        steps=cfg.steps, n_det=len(det["first"]), identical=bool(det["identical"]), max_abs_diff=det["max_abs_diff"],
        k_seeds=int(eta["outputs"].shape[2]), n_eta_xT=int(eta["outputs"].shape[1]),
        eta0_pair=float(pair[etas.index(0.0)]) if 0.0 in etas else float("nan"),
        pair=dict(zip(etas, map(float, pair))), pair_grows=bool(np.all(np.diff(pair) > 0)),
        unrelated=float(patch["unrelated_dist"]),
        full_patch=float(patch["mean_out_dist"][amounts.index(1.0)]) if 1.0 in amounts else float("nan"),
        patch_monotone=bool(np.all(np.diff(patch["mean_out_dist"]) > 0)),
        median_step=float(np.median(steps)), max_step=float(steps.max()),
        largest_at_switch=bool(switch[int(np.argmax(steps))]) if len(steps) else False,
        n_switch=int(switch.sum()),
        mean_step_switch=float(steps[switch].mean()) if switch.any() else float("nan"),
        mean_step_same=float(steps[~switch].mean()) if (~switch).any() else float("nan"))


def eta_words(m: dict, eta: float) -> str:
    """How far apart the outputs of different sampler seeds are at `eta`, against outputs of unrelated
    noise images: the same measure (RMS distance between two outputs) on both sides."""
    r = m["pair"][eta] / m["unrelated"]
    if r >= 0.9:
        return f"At eta = {eta:g} two seeds' outputs are about as far apart as outputs of unrelated noise ({r:.0%})."
    if r >= 0.5:
        return f"At eta = {eta:g} two seeds' outputs are {r:.0%} as far apart as outputs of unrelated noise."
    return f"At eta = {eta:g} two seeds' outputs are still much closer than outputs of unrelated noise ({r:.0%})."


NEEDS = (digits_model, experiments)


def claims():
    m = measure()
    mid = 0.5 if 0.5 in m["pair"] else sorted(m["pair"])[len(m["pair"]) // 2]
    return [
        claim("ddim_eta0_identical", m["max_abs_diff"], m["identical"] and m["max_abs_diff"] == 0,
              "the same x_T through DDIM (eta = 0) twice: identical, bit for bit"),
        claim("eta0_seeds_identical", m["eta0_pair"], m["eta0_pair"] == 0,
              f"at eta = 0 the seed does not matter: all {m['k_seeds']} images are the same"),
        worded("eta_spread_grows", tuple(round(v, 3) for v in m["pair"].values()), [
            (lambda v: m["pair_grows"], "As eta grows they spread apart."),
            (lambda v: True, "As eta grows they spread apart, though not at every step of eta.")]),
        worded("eta_mid_vs_unrelated", round(m["pair"][mid] / m["unrelated"], 3), [(lambda r: True, eta_words(m, mid))]),
        worded("eta_max_vs_unrelated", round(m["pair"][max(m["pair"])] / m["unrelated"], 3),
               [(lambda r: True, eta_words(m, max(m["pair"])))]),
        worded("patch_change_smooth", m["patch_monotone"], [
            (lambda v: v, "the image moves steadily further as more of the patch is replaced"),
            (lambda v: True, "the image moves further as more of the patch is replaced, though not at every step")]),
        worded("full_patch_vs_unrelated", (round(m["full_patch"], 3), round(m["unrelated"], 3)), [
            (lambda v: v[0] < 0.9 * v[1], "even replacing the whole patch moves it less than switching to unrelated noise"),
            (lambda v: v[0] <= 1.1 * v[1], "replacing the whole patch moves it about as much as unrelated noise"),
            (lambda v: True, "replacing the whole patch moves it more than unrelated noise does")]),
        worded("slerp_largest_step_at_switch", (round(m["max_step"], 3), round(m["median_step"], 3), m["largest_at_switch"]), [
            (lambda v: v[2] and m["median_step"] < 0.5 * m["max_step"],
             "Most neighbours are close; the largest step is where the digit switches class."),
            (lambda v: v[2], "The largest step between neighbours is where the digit switches class."),
            (lambda v: True, "The largest step between neighbours is not at a class switch.")]),
    ]

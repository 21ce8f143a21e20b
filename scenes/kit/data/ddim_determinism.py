"""DDIMDeterminism, data: the DDIM experiments on the digits U-Net (determinism, patch, eta sweep, slerp),
the figures the narration states, the DDIM update as shown on screen and as code, and the claims."""
from __future__ import annotations

import math as pymath
from functools import lru_cache

import numpy as np

from diffusion.studies.experiments import default_config, get_experiment
from scenes.kit.claims import fact, worded
from scenes.kit.models import digits_model
from scenes.kit.preset import scene_preset

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
    return {name: get_experiment(name, digits_model(), default_config(scene_preset())) for name in SHOWN}


@lru_cache(maxsize=2)
def measure(untrained: bool = False) -> dict:
    """The figures the narration states, from the cached experiments the scene shows (with `untrained`,
    the same experiments on the freshly initialised network: what the claims must fail on)."""
    cfg = default_config(scene_preset())
    tm = digits_model().untrained() if untrained else digits_model()
    res = {name: get_experiment(name, tm, cfg) for name in SHOWN}
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
        # the same RMS between unrelated noise images, to put the patch's change of the noise on the same scale
        unrelated_noise=float(np.sqrt(((patch["x_T_all"][0] - np.roll(patch["x_T_all"][0], 1, 0)) ** 2)
                                      .reshape(len(patch["x_T_all"][0]), -1).mean(1)).mean()),
        full_noise=float(patch["mean_noise_dist"][amounts.index(1.0)]) if 1.0 in amounts else float("nan"),
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
    top = max(m["pair"])
    etas = sorted(m["pair"])

    def eta_ratio(mm, eta):
        return round(mm["pair"][eta] / mm["unrelated"], 3)

    def eta_choices(eta):
        return [(lambda r: r >= 0.9, eta_words(m, eta)), (lambda r: r >= 0.5, eta_words(m, eta)),
                (lambda r: True, eta_words(m, eta))]

    def amplification(mm):
        """(noise change, output change), each as a share of the unrelated pair's distance"""
        return round(mm["full_noise"] / mm["unrelated_noise"], 3), round(mm["full_patch"] / mm["unrelated"], 3)

    interp = get_experiment("interpolation", digits_model(), default_config(scene_preset()))
    lab = interp["labels"]
    at_switch = lambda L: bool((L[1:] != L[:-1])[int(np.argmax(interp["step_dist"]))])
    ns, os_ = amplification(m)
    untrained = lambda: measure(untrained=True)
    return [
        # DDIM with eta = 0 draws no noise: the same x_T gives the same image by the code path, not by
        # anything learned. Shown, not evidence.
        fact("ddim_eta0_identical", m["max_abs_diff"], m["identical"] and m["max_abs_diff"] == 0,
             "the same x_T through DDIM (eta = 0) twice: identical, bit for bit"),
        fact("eta0_seeds_identical", m["eta0_pair"], m["eta0_pair"] == 0,
             f"at eta = 0 the seed does not matter: all {m['k_seeds']} images are the same"),
        worded("eta_spread_grows", tuple(round(m["pair"][e], 3) for e in etas), [
            (lambda v: bool(np.all(np.diff(v) > 0)), "As eta grows they spread apart."),
            (lambda v: v[-1] > v[0], "As eta grows they spread apart, though not at every step of eta."),
            (lambda v: True, "Growing eta does not spread them apart.")],
            perturb={"a sampler that ignores eta": lambda: tuple(round(m["pair"][etas[0]], 3) for _ in etas)}),
        worded("eta_mid_vs_unrelated", eta_ratio(m, mid), eta_choices(mid),
               # a sampler that scales eta down (eta**2, eta / 5, ...) must not read the same
               perturb={"a sampler that ignores eta": lambda: 0.0,
                        f"the smallest eta shown ({etas[1]:g}) in place of {mid:g}": lambda: eta_ratio(m, etas[1])}),
        worded("eta_max_vs_unrelated", eta_ratio(m, top), eta_choices(top),
               perturb={"a sampler that ignores eta": lambda: 0.0}),
        worded("patch_change_smooth", m["patch_monotone"], [
            (lambda v: v, "the image moves steadily further as more of the patch is replaced"),
            (lambda v: True, "the image moves further as more of the patch is replaced, though not at every step")],
            perturb={"the amounts in shuffled order": lambda: bool(np.all(np.diff(
                np.random.default_rng(0).permutation(get_experiment("patch", digits_model(), default_config(scene_preset()))
                                                     ["mean_out_dist"])) > 0))}),
        worded("patch_amplified", (ns, os_), [
            (lambda v: v[1] > 1.25 * v[0], f"replacing the whole patch changes the noise by {ns:.0%} of the "
                                            f"distance between unrelated noise images, yet moves the digit "
                                            f"{os_:.0%} of the way to an unrelated digit: the change is amplified"),
            (lambda v: v[1] < 0.8 * v[0], f"replacing the whole patch changes the noise by {ns:.0%} of the "
                                           f"distance between unrelated noise images and moves the digit only "
                                           f"{os_:.0%} of the way to an unrelated digit: the change is damped"),
            (lambda v: True, f"replacing the whole patch changes the noise by {ns:.0%} of the distance between "
                             f"unrelated noise images and moves the digit about as much, {os_:.0%}")],
            # amplified or damped: read with the two axes swapped it must turn the other way; about the same:
            # an untrained network must not behave alike
            perturb={"the noise change and the image change swapped": lambda: (os_, ns)}
            if os_ > 1.25 * ns or os_ < 0.8 * ns else {"an untrained network": lambda: amplification(untrained())}),
        worded("slerp_largest_step_at_switch", at_switch(lab), [
            (lambda v: v, "The largest step between neighbours is where the digit switches class."),
            (lambda v: True, "The largest step between neighbours is not at a class switch.")],
            # an off-by-one between the steps and the labels along the path
            perturb={"the labels shifted by one position along the path": lambda: at_switch(np.roll(lab, 1))}),
    ]

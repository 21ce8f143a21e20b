"""MarkovChain, data: the scene's image, one chain walked x_0 -> x_T, many chains measured against the closed
form q(x_t | x_0) (cached), the table's cells, and the claims the narration makes about them. No trained model."""
from __future__ import annotations

import numpy as np

from diffusion.core.schedule import NoiseSchedule
from diffusion.studies import forward as F
from diffusion.studies.images import describe_source, image_from_env  # noqa: F401  (describe_source: the caption)
from scenes.kit.claims import claim, fact, worded

T = 1000
SCHEDULE = "linear"
RES = 32                                   # the image is RES x RES pixels
CHAIN_SEED = 0                             # the one chain shown
N_CHAINS = 500                             # chains (and closed-form draws) measured per t
COMPARE_SEED = 0
COMPARE_T = (10, 100, 250, 500, 1000)      # paper's t in the table


def scene_image() -> np.ndarray:
    return image_from_env(RES)


def validate_inputs():
    scene_image()


def walked_chain(x0: np.ndarray) -> np.ndarray:
    """The one chain shown: (T+1, RES, RES), row t is x_t."""
    return F.walk_chain(NoiseSchedule(SCHEDULE, T), x0, T, seed=CHAIN_SEED)


def measured(x0=None) -> dict:
    """the table's numbers: chains vs closed-form draws (cached in $DIFFUSION_CACHE/forward)"""
    x0 = scene_image() if x0 is None else x0
    return F.cached_chain_vs_closed_form(NoiseSchedule(SCHEDULE, T), x0, COMPARE_T, N_CHAINS, COMPARE_SEED)


def table_rows(stats: dict) -> list[list[str]]:
    """The table's cells as displayed strings, one row per t."""
    rows = []
    for i, t in enumerate(stats["t"]):
        rows.append([f"{int(t)}"] + [f"{stats[k][i]:.4f}" for k in
                                     ("chain_mean", "jump_mean", "theory_mean", "chain_var", "jump_var",
                                      "theory_var", "ks", "ks_wrong")])
    return rows


NEEDS = (measured,)


def claims():
    s = NoiseSchedule(SCHEDULE, T)
    x0 = scene_image()
    st = measured(x0)
    crit = float(st["ks_crit"][0])
    ab = np.array([s.alpha_bar[t - 1].item() for t in st["t"]])
    n_px = x0.size
    # sampling error of the table's figures, from the sample sizes alone (not from the values checked):
    # a mean over N_CHAINS x pixels draws of variance <= 1, two of them compared; a variance over
    # N_CHAINS chains per pixel has relative standard error sqrt(2 / (N_CHAINS - 1)), averaged over pixels
    mean_tol = 5 * np.sqrt(2 / (N_CHAINS * n_px))
    var_tol = 5 * np.sqrt(2 / (N_CHAINS - 1) / n_px)

    def mean_gap(jump_mean):
        return float(np.abs(st["chain_mean"] - jump_mean).max())

    def var_rel(theory_var):
        return float((np.abs(st["chain_var"] - theory_var) / theory_var).max())

    def end_stats(x):
        return round(float(x.mean()), 3), round(float(x.std()), 3)

    def shrinkless_end():          # a kernel that adds sqrt(beta) noise but forgets to shrink x by sqrt(1 - beta)
        g = np.random.default_rng(CHAIN_SEED)
        x = np.asarray(x0, np.float64).copy()
        for b in s.betas.numpy():
            x = x + np.sqrt(b) * g.standard_normal(x.shape)
        return end_stats(x)

    end = F.walk_chain(s, x0, T, seed=CHAIN_SEED)[T]
    over = int((st["ks"] > crit).sum())
    return [
        fact("alpha_bar_T", s.alpha_bar[-1].item(), s.alpha_bar[-1].item() < 1e-3,
             f"after {T} steps nothing of the image is left"),
        claim("chain_end_is_standard_normal", end_stats(end), lambda v: abs(v[0]) < 0.1 and abs(v[1] - 1) < 0.1,
              "at t = T: pure noise, mean ~ 0 and std ~ 1",
              perturb={"a kernel without the sqrt(1 - beta) shrink": shrinkless_end}),
        claim("means_agree", mean_gap(st["jump_mean"]), lambda v: v < mean_tol,
              f"walk and jump means agree to sampling error (< {mean_tol:.4f}, five standard errors)",
              perturb={"a jump that leaves x_0 unscaled, x_0 + sqrt(1 - alpha_bar) eps":
                       lambda: mean_gap(np.full(len(ab), float(np.mean(x0))))}),
        # the mean is a weak check on an image whose mean is near zero: say so when it is
        worded("means_cannot_tell_wrong_form", mean_gap(ab * float(np.mean(x0))), [
            (lambda v: v < mean_tol, f"this image's mean is {float(np.mean(x0)):+.2f}, so the means alone would "
                                     f"not catch the wrong closed form either; the variances do"),
            (lambda v: True, "the wrong closed form would miss the means")],
            # the same chains from x_0 + 0.5 are the chains plus 0.5 sqrt(alpha_bar) (the kernel is linear)
            perturb={"an image brighter by 0.5": lambda: float(np.abs(
                st["chain_mean"] + 0.5 * np.sqrt(ab) - ab * (float(np.mean(x0)) + 0.5)).max())}),
        claim("variances_match", var_rel(st["theory_var"]), lambda v: v < var_tol,
              f"the variances match 1 - alpha_bar (within {var_tol:.1%}, five standard errors)",
              perturb={"the wrong closed form's variance (1 - alpha_bar)^2": lambda: var_rel((1 - ab) ** 2)}),
        worded("ks_over_critical", over, [
            (lambda k: k == 0, "the KS distance stays below the 5 % critical value at every t"),
            (lambda k: k <= 1, "the KS distance stays at the size sampling noise gives (one of five over "
                               "the 5 % critical value, no surprise with five looks)"),
            (lambda k: True, f"the KS distance exceeds the 5 % critical value at {over} of {len(st['t'])} t")],
            perturb={"the wrong closed form in place of the jump": lambda: int((st["ks_wrong"] > crit).sum())}),
        claim("wrong_jump_far", float(st["ks_wrong"].max()), lambda v: v > 10 * crit,
              "a wrong closed form with the square roots dropped is far off",
              perturb={"the right closed form in place of the wrong one": lambda: float(st["ks"].max())}),
        fact("wrong_jump_close_at_T", float(st["ks_wrong"][-1]), st["t"][-1] == T and st["ks_wrong"][-1] < 3 * crit,
             "except at t = T, where both are pure noise (alpha_bar_T ~ 0 makes them the same formula)"),
    ]

"""MarkovChain, data: the scene's image, one chain walked x_0 -> x_T, many chains measured against the closed
form q(x_t | x_0) (cached), the table's cells, and the claims the narration makes about them. No trained model."""
from __future__ import annotations

import numpy as np

from diffusion.core.schedule import NoiseSchedule
from diffusion.studies import forward as F
from diffusion.studies.images import describe_source, image_from_env  # noqa: F401  (describe_source: the caption)
from scenes.kit.claims import claim, worded

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
    end = F.walk_chain(s, x0, T, seed=CHAIN_SEED)[T]
    st = measured(x0)
    crit = float(st["ks_crit"][0])
    mean_gap = float(np.abs(st["chain_mean"] - st["jump_mean"]).max())
    var_rel = float((np.abs(st["chain_var"] - st["theory_var"]) / st["theory_var"]).max())
    over = int((st["ks"] > crit).sum())
    return [
        claim("alpha_bar_T", s.alpha_bar[-1].item(), s.alpha_bar[-1].item() < 1e-3,
              f"after {T} steps nothing of the image is left"),
        claim("chain_end_is_standard_normal", (round(float(end.mean()), 3), round(float(end.std()), 3)),
              abs(end.mean()) < 0.1 and abs(end.std() - 1) < 0.1, "at t = T: pure noise, mean ~ 0 and std ~ 1"),
        claim("means_agree", mean_gap, mean_gap < 0.02, "walk and jump means agree to sampling error (< 0.02)"),
        claim("variances_match", var_rel, var_rel < 0.1, "the variances match 1 - alpha_bar (within 10 %)"),
        worded("ks_over_critical", over, [
            (lambda k: k == 0, "the KS distance stays below the 5 % critical value at every t"),
            (lambda k: k <= 1, "the KS distance stays at the size sampling noise gives (one of five over "
                               "the 5 % critical value, no surprise with five looks)"),
            (lambda k: True, f"the KS distance exceeds the 5 % critical value at {over} of {len(st['t'])} t")]),
        claim("wrong_jump_far", float(st["ks_wrong"].max()), st["ks_wrong"].max() > 10 * crit,
              "a wrong closed form with the square roots dropped is far off"),
        claim("wrong_jump_close_at_T", float(st["ks_wrong"][-1]), st["t"][-1] == T and st["ks_wrong"][-1] < 3 * crit,
              "except at t = T, where both are pure noise"),
    ]

"""UNetNoisePrediction, data: the followed held-out digit's predictions at the shown t, the error curve
against t, the training run's snapshots, and the claims the narration makes about them."""
from __future__ import annotations

import numpy as np

from diffusion.studies.noise_prediction import error_curve, prediction, smoothed_loss, snapshot_samples
from scenes.kit.claims import worded
from scenes.kit.models import digits_model

SAMPLE_INDEX = 0                  # held-out digit followed through the scene
EPS_SEED = 0                      # seed of its noise eps
MAIN_T = 300                      # paper's 1-based t of the forward pass shown in full
TABLE_T = (10, 100, 300, 600, 900)   # paper's t of the rows "small t ... large t"
SNAPSHOT_STEPS = 50               # DDIM steps for the training-snapshot samples


def format_mse(value: float) -> str:
    """How an MSE is written on screen: two significant digits, positional."""
    return np.format_float_positional(float(value), precision=2, unique=False, fractional=False, trim="-")


def predictions(tm, ts=(MAIN_T, *TABLE_T)) -> dict:
    """{paper t: Prediction} for the followed digit and noise (what the scene shows)."""
    return {t: prediction(tm, t - 1, index=SAMPLE_INDEX, seed=EPS_SEED) for t in ts}


def loss_window(history: dict) -> int:
    """Moving-average window of the loss plot: 1/40 of the run, at most 50 steps."""
    return max(1, min(50, len(history["loss"]) // 40))


def noise_error_curve():
    """MSE of eps_hat and x0_hat against t on held-out digits (digits U-Net)"""
    return error_curve(digits_model())


def training_snapshots():
    """DDIM samples from one x_T for every EMA snapshot of the training run (digits U-Net)"""
    return snapshot_samples(digits_model(), n=16, seed=0, steps=SNAPSHOT_STEPS)


NEEDS = (digits_model, noise_error_curve, training_snapshots)


def claims():
    tm = digits_model()
    preds = predictions(tm)
    curve = noise_error_curve()
    steps, smooth = smoothed_loss(tm.history, window=loss_window(tm.history))
    tenth = max(1, len(smooth) // 10)
    early, late = smooth[0] - smooth[tenth - 1], smooth[tenth - 1] - smooth[-1]
    small, large = preds[TABLE_T[0]].mse, preds[TABLE_T[-1]].mse
    return [
        worded("eps_hat_close_at_main_t", round(float(preds[MAIN_T].mse), 4), [
            (lambda v: v < 0.1, "They agree closely"),
            (lambda v: True, "They agree only roughly")]),
        worded("eps_error_small_vs_large_t", (round(float(small), 4), round(float(large), 4)), [
            (lambda v: v[0] > v[1], "Epsilon is hard to pin down"),
            (lambda v: True, "Epsilon is predicted well here too")]),
        worded("eps_mse_falls_with_t", (round(float(curve.eps_mse[0]), 4), round(float(curve.eps_mse[-1]), 4)), [
            (lambda v: v[0] > v[1], "the noise error falls as t grows"),
            (lambda v: True, "the noise error does not fall as t grows")]),
        worded("x0_mse_rises_with_t", (round(float(curve.x0_mse[0]), 5), round(float(curve.x0_mse[-1]), 4)), [
            (lambda v: v[0] < v[1] and curve.eps_mse[0] > curve.eps_mse[-1], "does the opposite"),
            (lambda v: v[0] < v[1], "rises with t"),
            (lambda v: True, "does not rise with t")]),
        worded("loss_fast_then_slow", (round(float(early), 4), round(float(late), 4)), [
            (lambda v: v[0] > v[1], f"falls fast in its first {tenth} steps, then slowly"),
            (lambda v: True, "falls steadily")]),
    ]

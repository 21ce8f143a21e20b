"""UNetNoisePrediction, data: the followed held-out digit's predictions at the shown t, the error curve
against t, the training run's snapshots, and the claims the narration makes about them."""
from __future__ import annotations

import numpy as np

from diffusion.studies.noise_prediction import error_curve, prediction, smoothed_loss, snapshot_samples, x0_references
from scenes.kit.claims import worded
from scenes.kit.models import digits_model
from scenes.kit.preset import scene_preset

SAMPLE_INDEX = 0                  # held-out digit followed through the scene
EPS_SEED = 0                      # seed of its noise eps
MAIN_T = 300                      # paper's 1-based t of the forward pass shown in full
TABLE_T = (10, 100, 300, 600, 900)   # paper's t of the rows "small t ... large t"
SNAPSHOT_STEPS = 50               # DDIM steps for the training-snapshot samples
CONFIDENT = 0.9                   # a snapshot sample "is a digit" when the classifier is this sure of it


# what the network is trained to output, as the opening says it (the library trains eps, x0 and v models)
PREDICTION_WORDS = {
    "eps": "The network at the heart of this diffusion model is trained for one job: look at a noisy image and say "
           "which part of it is noise. (It could be trained to give the clean image, or a mix of both, instead.)",
    "x0": "The network at the heart of this diffusion model is trained to look at a noisy image and give the clean "
          "image; the noise follows from it.",
    "v": "The network at the heart of this diffusion model is trained to look at a noisy image and give v, a mix of "
         "the noise and the clean image; both follow from it.",
}


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
    """DDIM samples from one x_T with the optimiser's own weights at every training snapshot (digits U-Net;
    the EMA weights lag far behind early in the run, so they would show the lag, not the network)"""
    return snapshot_samples(digits_model(), n=16, seed=0, steps=SNAPSHOT_STEPS, weights="raw")


def digits_classifier():
    """the digit classifier that counts the snapshots' confident samples (trained once, cached)"""
    from diffusion.models.digits.classifier import get_classifier
    from diffusion.studies.experiments import default_config

    return get_classifier(default_config(scene_preset()).classifier)


def snapshot_confident(samples: dict) -> dict:
    """{snapshot step: how many of its samples the digit classifier names with confidence above CONFIDENT}"""
    from diffusion.models.digits.classifier import classify

    clf = digits_classifier()
    return {k: int((classify(np.clip(v, -1, 1), clf)[1] > CONFIDENT).sum()) for k, v in samples.items()}


NEEDS = (digits_model, noise_error_curve, training_snapshots, digits_classifier)


def claims():
    tm = digits_model()
    preds = predictions(tm)
    curve = noise_error_curve()
    steps, smooth = smoothed_loss(tm.history, window=loss_window(tm.history))
    tenth = max(1, len(smooth) // 10)
    ref = x0_references(tm)

    def fast_then_slow(sm):
        return round(float(sm[0] - sm[tenth - 1]), 4), round(float(sm[tenth - 1] - sm[-1]), 4)

    def shuffled_loss():           # the same losses in a random order: no learning curve left
        h = dict(tm.history, loss=list(np.random.default_rng(0).permutation(tm.history["loss"])))
        return fast_then_slow(smoothed_loss(h, window=loss_window(h))[1])

    conf = snapshot_confident(training_snapshots())
    snaps = sorted(conf)
    counts = tuple(conf[k] for k in snaps)
    u_pred = lambda: predictions(tm.untrained())
    small, large = preds[TABLE_T[0]].mse, preds[TABLE_T[-1]].mse
    x0_T = float(curve.x0_mse[-1])
    return [
        worded("eps_hat_close_at_main_t", round(float(preds[MAIN_T].mse), 4), [
            (lambda v: v < 0.1, "They agree closely (MSE under 0.1, where predicting zero gives about 1)"),
            (lambda v: True, "They agree only roughly")],
            # close: an untrained network must not be; rough: the true noise (a perfect network) must be close
            perturb={"an untrained network": lambda: round(float(u_pred()[MAIN_T].mse), 4)}
            if preds[MAIN_T].mse < 0.1 else {"the true noise in place of eps_hat": lambda: 0.0}),
        worded("eps_error_small_vs_large_t", (round(float(small), 4), round(float(large), 4)), [
            (lambda v: v[0] > v[1], "Epsilon is hard to pin down"),
            (lambda v: True, "Epsilon is predicted well here too")],
            perturb={"the t labels swapped": lambda: (round(float(large), 4), round(float(small), 4))}),
        worded("eps_mse_falls_with_t", (round(float(curve.eps_mse[0]), 4), round(float(curve.eps_mse[-1]), 4)), [
            (lambda v: v[0] > v[1], "the noise error falls as t grows"),
            (lambda v: True, "the noise error does not fall as t grows")],
            perturb={"the t axis reversed": lambda: (round(float(curve.eps_mse[-1]), 4), round(float(curve.eps_mse[0]), 4))}),
        worded("x0_mse_rises_with_t", (round(float(curve.x0_mse[0]), 5), round(float(curve.x0_mse[-1]), 4)), [
            (lambda v: v[0] < v[1], "rises with t"),
            (lambda v: True, "does not rise with t")],
            perturb={"the t axis reversed": lambda: (round(float(curve.x0_mse[-1]), 5), round(float(curve.x0_mse[0]), 4))}),
        worded("x0_mse_at_T_vs_references", (round(x0_T, 3), round(ref["zero"], 3), round(ref["mean"], 3)), [
            (lambda v: v[0] > v[1], f"at t = T it is {x0_T:.2f}, worse than predicting zero ({ref['zero']:.2f}) "
                                    f"or the mean digit ({ref['mean']:.2f}): x0-hat divides the noise error by "
                                    f"the square root of alpha-bar, {tm.schedule.sqrt_alpha_bar[-1].item():.3f} "
                                    f"at T, so any error in epsilon is blown up"),
            (lambda v: v[0] > v[2], f"at t = T it is {x0_T:.2f}: no better than predicting zero "
                                    f"({ref['zero']:.2f}), worse than the mean digit ({ref['mean']:.2f})"),
            (lambda v: True, f"at t = T it is {x0_T:.2f}, better than predicting the mean digit "
                             f"({ref['mean']:.2f})")],
            # with the true noise in place of eps_hat, x0_hat is x0 exactly: the blow-up is of the network's error
            perturb={"the true noise in place of the network's eps_hat": lambda: (0.0, round(ref["zero"], 3),
                                                                                  round(ref["mean"], 3))}),
        worded("snapshots_become_digits", counts, [
            (lambda v: v[-1] > v[0] and v[-1] >= 0.75 * len(training_snapshots()[snaps[-1]]),
             f"At step {snaps[0]} the classifier names {counts[0]} of the {len(training_snapshots()[snaps[0]])} "
             f"samples as digits with confidence above {CONFIDENT:g}; at step {snaps[-1]}, {counts[-1]}"),
            (lambda v: v[-1] > v[0], f"The samples the classifier names with confidence above {CONFIDENT:g} go "
                                     f"from {counts[0]} at step {snaps[0]} to {counts[-1]} at step {snaps[-1]}"),
            (lambda v: True, f"The classifier is no surer of the late samples: {counts[0]} confident at step "
                             f"{snaps[0]}, {counts[-1]} at step {snaps[-1]}")],
            perturb={"the snapshots in reversed order": lambda: counts[::-1]}),
        worded("loss_fast_then_slow", fast_then_slow(smooth), [
            (lambda v: v[0] > v[1], f"falls fast in its first {tenth} steps, then slowly"),
            (lambda v: True, "falls steadily")],
            perturb={"the loss history in shuffled order": shuffled_loss}),
    ]

"""ReverseProcess, data: one DDPM trajectory of the digits U-Net, the classifier's verdict on its samples,
and where x0_hat stands at the shown steps; the claims the narration makes about them."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from diffusion.models.digits.classifier import classify, get_classifier
from diffusion.models.digits.data import load_dataset
from diffusion.studies.experiments import default_config
from scenes.kit.claims import claim, worded
from scenes.kit.models import digits_model, digits_trajectory

GRID = 4                               # GRID x GRID samples
SHOW_STEPS = (1000, 800, 600, 400, 250, 100, 30, 1)   # paper's 1-based t shown in the close-up
CONFIDENT = 0.9                        # a sample "is a digit" when the classifier is this sure of it
FOLLOW = 0                             # which sample of the grid the close-up follows


def reverse_trajectory():
    """one DDPM trajectory of GRID x GRID digits, every step kept (digits U-Net)"""
    return digits_trajectory(n=GRID * GRID, seed=0, sampler="ddpm", steps=1000)


@lru_cache(maxsize=1)
def digit_classifier():
    """the digit classifier that names the final samples (measure() reads its verdicts)"""
    return get_classifier(default_config().classifier)


@lru_cache(maxsize=1)
def train_set():
    """the digits training images (measure() compares x0_hat with their mean digit)"""
    tm = digits_model()
    return load_dataset(tm.config.dataset, tm.config.image_size, "train")


def _rms(a, b) -> np.ndarray:
    """Root-mean-square difference per image over the last two axes."""
    return np.sqrt(((np.asarray(a) - np.asarray(b)) ** 2).mean((-2, -1)))


@lru_cache(maxsize=2)
def measure() -> dict:
    """What the narration says about the run, measured on the trajectory the scene shows:
    the classifier's verdict on the final samples, and where the close-up's x0_hat panels stand
    (distance to the training-set mean digit and to the sample's own final image, share of clipped
    pixels) at each shown t."""
    tm = digits_model()
    traj = reverse_trajectory()
    T = tm.schedule.T
    final = np.clip(traj.final[:, 0], -1, 1)
    labels, conf, _ = classify(final, digit_classifier())
    x_train, _ = train_set()
    mean_digit = x_train[:, 0].numpy().mean(0)
    rows = {}
    for t in SHOW_STEPS:
        x0 = traj.x0_hat[T - t, :, 0]                                   # (N, H, W), clipped by the sampler
        rows[t] = dict(to_mean=float(_rms(x0, mean_digit).mean()), to_final=float(_rms(x0, final).mean()),
                       clipped=float((np.abs(x0) >= 1 - 1e-6).mean()),
                       follow_clipped=float((np.abs(x0[FOLLOW]) >= 1 - 1e-6).mean()),
                       follow_to_mean=float(_rms(x0[FOLLOW], mean_digit)),
                       follow_to_final=float(_rms(x0[FOLLOW], final[FOLLOW])))
    ab_T = tm.schedule.alpha_bar[-1].item()
    # how far x_t still is from where it ends, per step: the step where half that distance is gone
    dist = _rms(traj.x[:, :, 0], final[None]).mean(1)                  # (S+1,), dist[k] at t = T - k
    half_k = int(np.argmax(dist <= 0.5 * dist[0]))
    return dict(t_half=int(T - half_k), T=T, n=len(final), confident=int((conf > CONFIDENT).sum()), classes=len(set(labels[conf > CONFIDENT])),
                rows=rows, amplify_T=float(1 / np.sqrt(ab_T)),
                mean_to_final=float(_rms(mean_digit, final).mean()))


# built before manim starts (scenes/kit/registry.py); the last two are what measure() loads for claims()
NEEDS = (digits_model, reverse_trajectory, digit_classifier, train_set)


def claims():
    m = measure()
    T, n, rows = m["T"], m["n"], m["rows"]
    first, last = rows[SHOW_STEPS[0]], rows[SHOW_STEPS[-1]]
    closer_t = None                                 # the largest shown t from which on (down to t = 1) x0_hat
    for t in sorted(SHOW_STEPS):                    # stays nearer its final image than the mean digit
        if rows[t]["to_final"] >= rows[t]["to_mean"]:
            break
        closer_t = t
    return [
        worded("x_t_halfway_t", m["t_half"], [
            (lambda t: t <= T / 2, f"Structure appears late: x_t is halfway to its final image only at "
                                   f"t = {m['t_half']}, with {m['t_half']} of the {T} steps left."),
            (lambda t: True, f"x_t is halfway to its final image at t = {m['t_half']}, with {m['t_half']} of "
                             f"the {T} steps left.")]),
        worded("confident_digits", m["confident"], [
            (lambda k: k == n, f"At t = 0 all {n} samples are digits the classifier names with confidence "
                               f"above {CONFIDENT:g}."),
            (lambda k: True, f"At t = 0, {m['confident']} of the {n} samples are digits the classifier names "
                             f"with confidence above {CONFIDENT:g}.")]),
        worded("x0_hat_clipped_at_T", first["clipped"], [
            (lambda c: c >= 0.5, f"At t = {T}, x0_hat scales x_t minus the predicted noise up {m['amplify_T']:.0f}-fold: "
                                 f"{first['clipped']:.0%} of its pixels hit the clip at ±1."),
            (lambda c: True, f"At t = {T}, {first['clipped']:.0%} of x0_hat's pixels hit the clip at ±1.")]),
        worded("x0_hat_early_vs_mean", (first["to_mean"], first["to_final"]), [
            (lambda v: v[0] < v[1], "Early guesses are nearer the average digit than the digit the sample becomes"),
            (lambda v: True, "Early guesses are no nearer the average digit than the digit the sample becomes")]),
        worded("x0_hat_nearer_final_from_t", closer_t, [
            (lambda t: t is None, "x0_hat never comes nearer its final image than the average digit"),
            (lambda t: True, f"from t = {closer_t} on, x0_hat is nearer its own final image than the average digit")]),
        claim("x0_hat_sharpens", (first["to_final"], last["to_final"]), last["to_final"] < first["to_final"],
              "they sharpen as t goes down: x0_hat approaches the final sample"),
    ]

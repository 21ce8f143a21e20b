"""ReverseProcess, data: one DDPM trajectory of the digits U-Net, the classifier's verdict on its samples,
and where x0_hat stands at the shown steps; the claims the narration makes about them."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from diffusion.models.digits.classifier import classify, get_classifier
from diffusion.models.digits.data import load_dataset
from diffusion.studies.experiments import default_config
from scenes.kit.claims import choose, claim, fact, worded
from scenes.kit.models import digits_model, digits_trajectory
from scenes.kit.preset import scene_preset

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
    return get_classifier(default_config(scene_preset()).classifier)


@lru_cache(maxsize=1)
def train_set():
    """the digits training images (measure() compares x0_hat with their mean digit)"""
    tm = digits_model()
    return load_dataset(tm.config.dataset, tm.config.image_size, "train")


def _rms(a, b) -> np.ndarray:
    """Root-mean-square difference per image over the last two axes."""
    return np.sqrt(((np.asarray(a) - np.asarray(b)) ** 2).mean((-2, -1)))


# The DDPM step the grid is made of (Ho et al. 2020, eqs. 6-7), as shown; tests/test_claims.py checks
# `posterior_on_screen` against NoiseSchedule.posterior / ddpm_step, which made the frames.
POSTERIOR_TEX = (
    r"q(x_{t-1} \mid x_t, \hat x_0) = \mathcal N\big(\tilde\mu_t,\ \tilde\beta_t I\big)",
    r"\tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,\hat x_0"
    r" + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t",
    r"\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t",
)


def posterior_on_screen(x0_hat, x_t, beta_t: float, ab_t: float, ab_prev: float):
    """POSTERIOR_TEX as code: (mean, variance). ab_prev = 1 at the last step (t = 1)."""
    a_t = 1 - beta_t
    mean = (np.sqrt(ab_prev) * beta_t / (1 - ab_t)) * x0_hat + (np.sqrt(a_t) * (1 - ab_prev) / (1 - ab_t)) * x_t
    return mean, (1 - ab_prev) / (1 - ab_t) * beta_t


def forward_halfway(schedule, final: np.ndarray, seed: int = 0) -> int:
    """Where x_t would be halfway to its final image if the schedule alone set the pace: the final images
    noised forward, sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps, and the same RMS distance per t."""
    ab = schedule.alpha_bar.numpy()
    eps = np.random.default_rng(seed).standard_normal(final.shape)
    dist = np.array([_rms(np.sqrt(a) * final + np.sqrt(1 - a) * eps, final).mean() for a in ab])   # t = 1..T
    return int(np.flatnonzero(dist <= 0.5 * dist[-1])[-1]) + 1


@lru_cache(maxsize=4)
def measure(other_final: bool = False) -> dict:
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
    ref = np.roll(final, 1, 0) if other_final else final          # another sample's final image: a perturbation
    rows = {}
    for t in SHOW_STEPS:
        x0 = traj.x0_hat[T - t, :, 0]                                   # (N, H, W), clipped by the sampler
        rows[t] = dict(to_mean=float(_rms(x0, mean_digit).mean()), to_final=float(_rms(x0, ref).mean()),
                       clipped=float((np.abs(x0) >= 1 - 1e-6).mean()),
                       follow_clipped=float((np.abs(x0[FOLLOW]) >= 1 - 1e-6).mean()),
                       follow_to_mean=float(_rms(x0[FOLLOW], mean_digit)),
                       follow_to_final=float(_rms(x0[FOLLOW], final[FOLLOW])))
    ab_T = tm.schedule.alpha_bar[-1].item()
    # how far x_t still is from where it ends, per step: the step where half that distance is gone
    dist = _rms(traj.x[:, :, 0], final[None]).mean(1)                  # (S+1,), dist[k] at t = T - k
    half_k = int(np.argmax(dist <= 0.5 * dist[0]))
    from diffusion.core.schedule import NoiseSchedule
    return dict(t_half=int(T - half_k), T=T, t_half_schedule=forward_halfway(tm.schedule, final),
                t_half_cosine=forward_halfway(NoiseSchedule("cosine", T), final), n=len(final), confident=int((conf > CONFIDENT).sum()), classes=len(set(labels[conf > CONFIDENT])),
                rows=rows, amplify_T=float(1 / np.sqrt(ab_T)),
                mean_to_final=float(_rms(mean_digit, final).mean()))


# built before manim starts (scenes/kit/registry.py); the last two are what measure() loads for claims()
NEEDS = (digits_model, reverse_trajectory, digit_classifier, train_set)


def noise_confident() -> int:
    """How many of the trajectory's starting noise images x_T the classifier names with confidence above
    CONFIDENT (what counting confident digits would give if the sampler did nothing)."""
    traj = reverse_trajectory()
    _, conf, _ = classify(np.clip(traj.x[0, :, 0], -1, 1), digit_classifier())
    return int((conf > CONFIDENT).sum())


def real_confident(n: int) -> int:
    """How many of the first n held-out digits the classifier names with confidence above CONFIDENT."""
    tm = digits_model()
    x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "heldout")
    _, conf, _ = classify(x[:n, 0].numpy(), digit_classifier())
    return int((conf > CONFIDENT).sum())


def claims():
    m = measure()
    T, n, rows = m["T"], m["n"], m["rows"]
    first = rows[SHOW_STEPS[0]]
    late = SHOW_STEPS[-2]                  # the last shown t before t = 1, where the step returns x0_hat itself

    def closer_from(rs):
        """the largest shown t from which on (down to t = 1) x0_hat stays nearer its final image than the mean digit"""
        out = None
        for t in sorted(SHOW_STEPS):
            if rs[t]["to_final"] >= rs[t]["to_mean"]:
                break
            out = t
        return out

    closer_t = closer_from(rows)
    other = lambda: measure(other_final=True)["rows"]
    near = lambda a, b: abs(a - b) <= 0.05 * T
    sched_t, cos_t = m["t_half_schedule"], m["t_half_cosine"]
    return [
        worded("x_t_halfway_t", (m["t_half"], sched_t), [
            (lambda v: near(*v), f"x_t is halfway to its final image only at t = {m['t_half']}, with "
                                 f"{m['t_half']} of the {T} steps left. That is the noise schedule's doing, "
                                 f"not the network's: noising the finished digits forward puts the halfway "
                                 f"point at t = {sched_t}."),
            (lambda v: True, f"x_t is halfway to its final image at t = {m['t_half']}; noising the finished "
                             f"digits forward would put it at t = {sched_t}: the network sets its own pace.")],
            perturb={"the cosine schedule's forward pace in place of the linear one": lambda: (m["t_half"], cos_t)}),
        worded("confident_digits", m["confident"], [
            (lambda k: k == n, f"At t = 0 all {n} samples are digits the classifier names with confidence "
                               f"above {CONFIDENT:g}."),
            (lambda k: k == m["confident"], f"At t = 0, {m['confident']} of the {n} samples are digits the "
                                             f"classifier names with confidence above {CONFIDENT:g}."),
            (lambda k: True, "At t = 0, another number of the samples are digits the classifier is sure of.")],
            # all confident: pure noise must not be; not all: real held-out digits must be
            perturb={"the starting noise x_T in place of the samples": noise_confident} if m["confident"] == n
            else {"real held-out digits in place of the samples": lambda: real_confident(n)}),
        fact("x0_hat_clipped_at_T", first["clipped"], True, choose(first["clipped"], [
            (lambda c: c >= 0.5, f"At t = {T}, x0_hat scales x_t minus the predicted noise up {m['amplify_T']:.0f}-fold: "
                                 f"{first['clipped']:.0%} of its pixels hit the clip at ±1, so the first guesses "
                                 f"are mostly black and white, not an average digit"),
            (lambda c: True, f"At t = {T}, {first['clipped']:.0%} of x0_hat's pixels hit the clip at ±1")])),
        worded("x0_hat_nearer_final_from_t", closer_t, [
            (lambda t: t is None, "x0_hat never comes nearer its final image than the average digit"),
            (lambda t: True, f"from t = {closer_t} on, x0_hat is nearer its own final image than the average digit")],
            perturb={"another sample's final image": lambda: closer_from(other())}),
        claim("x0_hat_sharpens", (round(first["to_final"], 3), round(rows[late]["to_final"], 3)),
              lambda v: v[1] < 0.5 * v[0],
              f"they sharpen as t goes down: at t = {late} x0_hat is less than half as far from the final "
              f"sample as at t = {T}",
              perturb={"another sample's final image": lambda: (round(other()[SHOW_STEPS[0]]["to_final"], 3),
                                                                round(other()[late]["to_final"], 3))}),
    ]

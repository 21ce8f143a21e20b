"""Classifier-free guidance measured: a sweep of w on the conditional digits model.

For every w and every class c, the same n starting noises x_T (shared by all classes and all w) are
sampled with DDIM and the guided eps. Measured per w, averaged over the ten classes:
- share: how many samples the classifier (diffusion/models/digits/classifier.py) puts in the requested class;
- diversity: mean pairwise L2 distance between the samples of one class (pixels in [-1, 1]), and the
  spread of their classifier features (square root of the total feature variance);
- fd: Fréchet distance of the features of one class's samples to the held-out digits of that class.
References with the same measures: the held-out digits themselves (the data's own diversity, the
classifier's accuracy on real digits) and the train half against the held-out half (the fd floor);
and the null label alone (the unconditional model). Cached by model, config and revision, so the
scene and the bench load the same numbers.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from ..core.cache import cached, TORCH
from ..core.guidance import guided_sample
from ..core.presets import Preset, as_preset
from ..models.digits.classifier import ClassifierConfig, classify, frechet_distance, get_classifier
from ..models.digits.data import load_digits

REVISION = 2          # bump when the measurement changes


@dataclass(frozen=True)
class GuidanceStudyConfig:
    ws: tuple = (0.0, 1.0, 2.0, 3.0, 5.0, 8.0)
    n_per_class: int = 50            # samples per class and w (the same x_T for every class and w)
    steps: int = 50                  # DDIM network calls (eta = 0: deterministic given x_T)
    seed: int = 0
    classifier: ClassifierConfig = ClassifierConfig()


QUICK = GuidanceStudyConfig(ws=(0.0, 2.0, 8.0), n_per_class=6, steps=5, classifier=ClassifierConfig(steps=200))


def default_study_config(preset: Preset | str) -> GuidanceStudyConfig:
    """QUICK for the quick preset (the model it studies is quick too), else the full sweep."""
    return QUICK if as_preset(preset).quick else GuidanceStudyConfig()


def mean_pairwise_distance(x: np.ndarray) -> float:
    """Mean L2 distance over all pairs of the rows of x (N, D)."""
    x = torch.as_tensor(x.reshape(len(x), -1), dtype=torch.float64)
    d = torch.cdist(x, x)
    n = len(x)
    return float(d.sum() / (n * (n - 1)))


def feature_spread(f: np.ndarray) -> float:
    """sqrt of the total variance of features (N, D): their typical distance from their mean."""
    return float(np.sqrt(f.var(0, ddof=1).sum()))


def class_measures(images: np.ndarray, labels_wanted: np.ndarray, held: np.ndarray, held_y: np.ndarray, clf,
                   num_classes: int = 10) -> dict:
    """The measures of one set of images (N, H, W) that were asked to be labels_wanted (N,)."""
    pred, conf, feats = classify(images, clf)
    _, _, f_held = classify(held, clf)
    per = dict(share=[], diversity=[], spread=[], fd=[])
    for c in range(num_classes):
        m = labels_wanted == c
        per["share"].append(float((pred[m] == c).mean()))
        per["diversity"].append(mean_pairwise_distance(images[m]))
        per["spread"].append(feature_spread(feats[m]))
        per["fd"].append(frechet_distance(feats[m], f_held[held_y == c]))
    out = {k: float(np.mean(v)) for k, v in per.items()}
    out.update({f"{k}_per_class": np.array(v) for k, v in per.items()})
    out["confidence"] = float(conf.mean())
    out["pred"] = pred
    return out


def run_guidance_study(tm, cfg: GuidanceStudyConfig = GuidanceStudyConfig(), progress: bool = True) -> dict:
    num_classes = tm.config.unet.num_classes
    n = cfg.n_per_class
    clf = get_classifier(cfg.classifier)              # may train: outside inference mode
    x_T = tm.noise(n, cfg.seed)                                     # one set of x_T for every class and w
    labels = np.repeat(np.arange(num_classes), n)                   # class-major: [0]*n, [1]*n, ...
    x_T_all = x_T.repeat(num_classes, 1, 1, 1)
    held, held_y = load_digits(tm.config.image_size, "heldout")
    held, held_y = held[:, 0].numpy(), held_y.numpy()
    train, train_y = load_digits(tm.config.image_size, "train")
    samples, rows, preds = [], [], []
    for w in tqdm(cfg.ws, desc="guidance sweep", unit="w", disable=not progress):
        x0 = guided_sample(tm.model, tm.schedule, x_T_all, torch.from_numpy(labels), w, "ddim", cfg.steps)
        imgs = x0[:, 0].clamp(-1, 1).numpy().astype(np.float32)
        samples.append(imgs.reshape(num_classes, n, *imgs.shape[1:]))
        m = class_measures(imgs, labels, held, held_y, clf, num_classes)
        preds.append(m.pop("pred").reshape(num_classes, n))
        rows.append(dict(w=float(w), **m))
    # the unconditional model on as many distinct x_T as one w of the sweep has samples
    null = guided_sample(tm.model, tm.schedule, tm.noise(n * num_classes, cfg.seed + 1), tm.model.null_label, 0.0,
                         "ddim", cfg.steps)[:, 0].clamp(-1, 1).numpy()
    null_pred, _, null_feats = classify(null, clf)
    real = class_measures(held, held_y, held, held_y, clf, num_classes)
    real.pop("pred")
    train_fd = class_measures(train[:, 0].numpy(), train_y.numpy(), held, held_y, clf, num_classes)["fd"]
    return dict(
        ws=np.array(cfg.ws, dtype=np.float64), rows=rows,
        samples=np.stack(samples),                                  # (W, classes, n, H, W)
        pred=np.stack(preds),                                       # (W, classes, n) classifier labels
        x_T=x_T[:, 0].numpy().astype(np.float32),                   # (n, H, W)
        real=dict(share=real["share"], diversity=real["diversity"], spread=real["spread"], fd_floor=train_fd),
        null=dict(diversity=mean_pairwise_distance(null), spread=feature_spread(null_feats),
                  class_counts=np.bincount(null_pred, minlength=num_classes)),
        n_per_class=n, steps=cfg.steps, num_classes=num_classes, model=tm.key,
    )


def get_guidance_study(tm, cfg: GuidanceStudyConfig, progress: bool = True) -> dict:
    """The cached sweep for a trained conditional model (built on first use)."""
    spec = dict(model=tm.key, config=asdict(cfg), revision=REVISION)
    return cached("studies", "guidance", spec, lambda: run_guidance_study(tm, cfg, progress), TORCH)

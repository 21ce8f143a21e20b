"""A small digit classifier: used to measure samples (Fréchet distance of its features, confidence)
and by scenes that ask "is it still the same digit?". Trained on the train split only."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy import linalg

from ...core.cache import cache_dir, config_key, get_or_build, torch_bytes, torch_from_bytes
from .data import load_digits


@dataclass(frozen=True)
class ClassifierConfig:
    image_size: int = 8
    hidden: int = 64            # feature dimension used for the Fréchet distance
    steps: int = 1500
    batch_size: int = 128
    lr: float = 2e-3
    noise_aug: float = 0.1      # small input noise so features are smooth around the data
    seed: int = 0


class DigitClassifier(nn.Module):
    def __init__(self, config: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=1),
                                  nn.ReLU(), nn.AdaptiveAvgPool2d(4))
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(32 * 16, config.hidden), nn.ReLU())
        self.out = nn.Linear(config.hidden, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x))


def train_classifier(config: ClassifierConfig) -> dict:
    x, y = load_digits(config.image_size, "train")
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    model = DigitClassifier(config)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr)
    for _ in range(config.steps):
        idx = torch.randint(0, len(x), (config.batch_size,), generator=gen)
        xb = x[idx] + config.noise_aug * torch.randn(x[idx].shape, generator=gen)
        loss = F.cross_entropy(model(xb), y[idx])
        opt.zero_grad(); loss.backward(); opt.step()
    return dict(config=asdict(config), state=model.state_dict())


@lru_cache(maxsize=2)
def get_classifier(config: ClassifierConfig = ClassifierConfig()) -> DigitClassifier:
    path = cache_dir() / "classifiers" / f"digits-{config_key(asdict(config))}.pt"
    result = get_or_build(path, lambda: train_classifier(config), torch_bytes, torch_from_bytes)
    model = DigitClassifier(config)
    model.load_state_dict(result["state"])
    return model.eval().requires_grad_(False)


def classify(images, classifier: DigitClassifier | None = None):
    """images [N x 1 x H x W] or (N, H, W) in [-1, 1] -> (labels (N,), confidence (N,), features (N, D))."""
    classifier = classifier or get_classifier()      # may train: outside inference mode
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    if x.ndim == 3:
        x = x[:, None]
    with torch.inference_mode():
        feats = classifier.features(x)
        probs = classifier.out(feats).softmax(-1)
    conf, labels = probs.max(-1)
    return labels.numpy(), conf.numpy(), feats.numpy().astype(np.float64)


def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}) between Gaussian fits of two feature sets."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2)          # (no disp=: removed in newer scipy; same matrix)
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def sample_quality(samples, image_size: int = 8) -> dict:
    """How close samples [N x 1 x S x S] in [-1, 1] are to the held-out half, in the classifier's
    features: Fréchet distance to the held-out half for the samples, for the train half (the floor:
    real digits the model never saw compared with others) and for N(0, 1) noise (the ceiling); the
    share of samples classified with confidence > 0.9, and the count of samples per class."""
    real_train, _ = load_digits(image_size, "train")
    held, _ = load_digits(image_size, "heldout")
    noise = torch.randn(1000, 1, image_size, image_size, generator=torch.Generator().manual_seed(99)).clamp(-1, 1)
    _, _, f_held = classify(held)
    _, _, f_real = classify(real_train)
    labels, conf, f_samp = classify(torch.as_tensor(samples).clamp(-1, 1))
    _, _, f_noise = classify(noise)
    fd_samples, fd_real = frechet_distance(f_samp, f_held), frechet_distance(f_real, f_held)
    return dict(fd_samples=fd_samples, fd_real=fd_real, fd_noise=frechet_distance(f_noise, f_held),
                fd_ratio_samples_to_real=fd_samples / fd_real, confident_share=float((conf > 0.9).mean()),
                class_counts=np.bincount(labels, minlength=10).tolist())

"""Datasets that ship offline. Images are float32 tensors in [-1, 1], shape [N x 1 x H x W]."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

DATASETS = ("digits",)


def check_dataset(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return name


@lru_cache(maxsize=4)
def _digits(image_size: int):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32) / 16.0)[:, None]      # 8x8 in [0, 1]
    if image_size != 8:
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    x = (x * 2 - 1).clamp(-1, 1)
    y = torch.from_numpy(d.target.astype(np.int64))
    # fixed split: half trains the models, the other half is held out for evaluation
    perm = torch.from_numpy(np.random.default_rng(0).permutation(len(x)))
    return x[perm], y[perm]


def load_digits(image_size: int = 16, split: str = "train"):
    """scikit-learn's 1797 8x8 digits, bilinearly upsampled to image_size, scaled to [-1, 1].

    split: "train" (first half of a fixed permutation), "heldout" (second half) or "all".
    Returns (images [N x 1 x S x S], labels [N]).
    """
    if image_size % 8:
        raise ValueError(f"image_size must be a multiple of 8, got {image_size}")
    x, y = _digits(image_size)
    half = len(x) // 2
    if split == "train":
        return x[:half], y[:half]
    if split == "heldout":
        return x[half:], y[half:]
    if split == "all":
        return x, y
    raise ValueError(f"unknown split {split!r}; choose train, heldout or all")


def load_dataset(name: str, image_size: int, split: str = "train"):
    check_dataset(name)
    return load_digits(image_size, split)

"""The digits bench's measure: per-seed scores and their mean / spread (classifier.quality_over_seeds,
model_quality), and a classifier whose bits do not depend on the caller's thread count."""
import numpy as np
import pytest
import torch

from diffusion.core.schedule import NoiseSchedule
from diffusion.core.trained import TrainedModel
from diffusion.models import get_config, get_recipe
from diffusion.models.digits import classifier as C
from diffusion.models.digits.data import load_digits


def fake_samples():
    """Three 'seeds' of different quality: held-out-like digits with more or less noise on them."""
    x, _ = load_digits(8, "train")
    gen = torch.Generator().manual_seed(0)
    return {s: (x[i * 200:(i + 1) * 200 + 200] + sigma * torch.randn(x[:400].shape, generator=gen)).clamp(-1, 1)
            for i, (s, sigma) in enumerate([(7, 0.05), (8, 0.4), (9, 0.8)])}


def test_quality_over_seeds_is_each_seeds_score_and_their_mean():
    samples = fake_samples()
    q = C.quality_over_seeds(samples)
    assert q["seeds"] == [7, 8, 9]
    ratios = []
    for s, x in samples.items():
        one = C.sample_quality(x)
        assert q["per_seed"][s] == one                 # the same figures as scoring that seed alone
        ratios.append(one["fd_ratio_samples_to_real"])
    assert len(set(ratios)) == 3 and ratios[0] < ratios[1] < ratios[2]     # the seeds really differ
    assert q["ratio_mean"] == pytest.approx(np.mean(ratios))
    assert (q["ratio_min"], q["ratio_max"]) == (min(ratios), max(ratios))
    assert q["fd_mean"] == pytest.approx(np.mean([q["per_seed"][s]["fd_samples"] for s in samples]))
    assert q["fd_real"] == pytest.approx(q["per_seed"][7]["fd_real"])
    assert q["fd_noise"] == pytest.approx(q["per_seed"][7]["fd_noise"])          # the ceiling, from the same references
    assert q["confident_mean"] == pytest.approx(np.mean([q["per_seed"][s]["confident_share"] for s in samples]))
    assert q["min_class_count"] == min(min(q["per_seed"][s]["class_counts"]) for s in samples)
    # pooled: all 1200 samples against the held-out half at once, not a mean of the seeds
    pooled = C.sample_quality(torch.cat(list(samples.values())))["fd_ratio_samples_to_real"]
    assert q["ratio_pooled"] == pytest.approx(pooled)


def test_model_quality_samples_each_seed_from_its_own_noise():
    schedule = NoiseSchedule("linear", 1000)
    seen = []

    def net(x, t):                                     # records the x_T of each seed's first call
        if t[0] == schedule.T - 1:
            seen.append(x.clone())
        return torch.zeros_like(x)

    q = C.model_quality(net, schedule, seeds=(3, 5), n=40, steps=2)
    assert q["seeds"] == [3, 5] and set(q["sample_seconds"]) == {3, 5}
    tm = TrainedModel("digits", get_config("digits", "quick"), None, schedule, {}, {}, "", recipe=get_recipe("digits"))
    for x_T, s in zip(seen, (3, 5)):
        assert torch.equal(x_T, tm.noise(40, s))       # x_T as TrainedModel.noise(n, seed) draws it
    assert q["per_seed"][3] != q["per_seed"][5]


def test_classifier_bits_do_not_depend_on_the_callers_threads():
    cfg = C.ClassifierConfig(steps=20)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        a = C.train_classifier(cfg)["state"]
        assert torch.get_num_threads() == 2            # restored
        torch.set_num_threads(1)
        b = C.train_classifier(cfg)["state"]
    finally:
        torch.set_num_threads(before)
    assert all(torch.equal(a[k], b[k]) for k in a)

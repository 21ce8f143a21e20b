"""The exact denoiser of a finite training set (diffusion/core/empirical.py) against Bayes by hand."""
import numpy as np
import torch
from scipy.special import softmax

from diffusion.core.empirical import EmpiricalEps
from diffusion.core.sample import sample
from diffusion.core.schedule import NoiseSchedule


def test_posterior_and_eps_match_bayes_by_hand():
    sch = NoiseSchedule("linear", 1000)
    data = torch.tensor([[-1.0, 0.5], [0.2, 0.9], [0.8, -0.7]])
    den = EmpiricalEps(data, sch)
    rng = np.random.default_rng(0)
    x_t = torch.from_numpy(rng.normal(size=(5, 2)))
    t = torch.tensor([0, 10, 250, 600, 999])
    eps = den(x_t, t).numpy()
    for b in range(5):
        ab = float(sch.alpha_bar[t[b]])
        # Gaussian likelihood of x_t under each example, normalised: the posterior over examples
        log_lik = -((x_t[b].numpy() - np.sqrt(ab) * data.numpy()) ** 2).sum(-1) / (2 * (1 - ab))
        w = softmax(log_lik)
        assert np.allclose(den.x0_posterior(x_t[b:b + 1], t[b:b + 1]).numpy()[0], w, atol=1e-9)
        x0 = w @ data.numpy()
        assert np.allclose(eps[b], (x_t[b].numpy() - np.sqrt(ab) * x0) / np.sqrt(1 - ab), atol=1e-6)


def test_each_row_is_denoised_at_its_own_step():
    sch = NoiseSchedule("cosine", 100)
    data = torch.randn(7, 1, 2, 2, generator=torch.Generator().manual_seed(1))
    den = EmpiricalEps(data, sch)
    x_t = torch.randn(4, 1, 2, 2, generator=torch.Generator().manual_seed(2))
    t = torch.tensor([3, 40, 40, 97])
    together = den(x_t, t)
    alone = torch.cat([den(x_t[i:i + 1], t[i:i + 1]) for i in range(4)])
    assert together.shape == x_t.shape and torch.allclose(together, alone)


def test_sampling_with_it_returns_training_examples():
    """A perfect score of a finite set is a memoriser: DDIM from noise ends on the examples themselves."""
    sch = NoiseSchedule("linear", 1000)
    data = torch.rand(12, 1, 4, 4, generator=torch.Generator().manual_seed(3)) * 2 - 1
    x_T = torch.randn(64, 1, 4, 4, generator=torch.Generator().manual_seed(4))
    out = sample(EmpiricalEps(data, sch), sch, x_T, "ddim", 100, 0.0, torch.Generator().manual_seed(5),
                 record=False, clip_x0=True)
    nearest = torch.cdist(out.reshape(64, -1).double(), data.reshape(12, -1).double()).min(-1).values
    assert nearest.max() < 0.05
    assert len(set(torch.cdist(out.reshape(64, -1), data.reshape(12, -1)).argmin(-1).tolist())) >= 8

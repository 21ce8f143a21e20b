"""The forward process over the edges of a graph, D3PM / DiGress style: every piece of the categorical math in
one object, EdgeSchedule (as NoiseSchedule is for the Gaussian case); the denoiser, its structure features
and the sampler (discrete.py) use it.

Every node pair (i < j) is a categorical variable with K = 2 classes, no-edge / edge. One forward
step multiplies the one-hot row vector by

    Q_t = alpha_t I + (1 - alpha_t) 1 m^T,      m = (1 - density, density),

which keeps the state with probability alpha_t and otherwise redraws it from the data's marginal m.
Products of such matrices stay in the family, so

    q(A_t | A_0) = A_0 Qbar_t,   Qbar_t = alpha_bar_t I + (1 - alpha_bar_t) 1 m^T,

with alpha_t and alpha_bar_t read from the library's `NoiseSchedule` (the same numbers as the
continuous model: there alpha_bar_t scales the signal, here it is the chance an edge is still the
original one). The posterior used for sampling is

    q(A_{t-1} | A_t, A_0) = (A_t Q_t^T) * (A_0 Qbar_{t-1}) / (A_0 Qbar_t A_t^T),

and the reverse step marginalises it over the denoiser's clean-edge probabilities
p(A_{t-1} | A_t) = sum_x q(A_{t-1} | A_t, A_0 = x) p_theta(A_0 = x | A_t)  (DiGress, eq. 5).

Indexing follows `NoiseSchedule`: steps t = 0..T-1 are 0-based, A_0 is the clean graph "before"
step 0 (alpha_bar_prev[0] = 1). Graphs are symmetric with no self loops: only the upper triangle
is random, the lower triangle mirrors it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ...core.schedule import NoiseSchedule


def marginal_vector(density: float) -> torch.Tensor:
    """m = (1 - density, density): the data's marginal over (no edge, edge)."""
    return torch.tensor([1.0 - density, density], dtype=torch.float64)


@dataclass(frozen=True)
class EdgeSchedule:
    """The categorical forward process of edges for a NoiseSchedule (alpha_t, alpha_bar_t) and the training
    graphs' edge density (K = 2: index 0 = no edge, 1 = edge)."""
    schedule: NoiseSchedule
    density: float

    @property
    def m(self) -> torch.Tensor:
        return marginal_vector(self.density)

    def transition(self, a: float) -> torch.Tensor:
        """a I + (1 - a) 1 m^T: Q_t with a = alpha_t, Qbar_t with a = alpha_bar_t."""
        m = self.m
        K = len(m)
        return a * torch.eye(K, dtype=m.dtype) + (1 - a) * torch.ones(K, 1, dtype=m.dtype) * m[None, :]

    def q_probs(self, x: torch.Tensor, a) -> torch.Tensor:
        """Row vector x (..., K) times a I + (1 - a) 1 m^T = a x + (1 - a) (x . 1) m.

        x one-hot (or probabilities) over classes; `a` a float or a tensor broadcasting against x[..., :1].
        """
        a = torch.as_tensor(a, dtype=x.dtype)
        return a * x + (1 - a) * x.sum(-1, keepdim=True) * self.m.to(x.dtype)

    def observed_likelihood(self, x_t: torch.Tensor, a) -> torch.Tensor:
        """x_t Q^T with Q = a I + (1 - a) 1 m^T: entry k is Q[k, observed class of x_t], the chance of what x_t
        shows given class k one step (a = alpha_t) or all the way (a = alpha_bar_t) before. x_t one-hot
        (..., K); `a` a float or a tensor broadcasting against x_t[..., :1]."""
        a = torch.as_tensor(a, dtype=x_t.dtype)
        return a * x_t + (1 - a) * (x_t * self.m.to(x_t.dtype)).sum(-1, keepdim=True)

    def posterior(self, x_t: torch.Tensor, x0_probs: torch.Tensor, t: int) -> torch.Tensor:
        """p(A_{t-1} | A_t) = sum_j q(A_{t-1} | A_t, A_0 = j) x0_probs[j], all (..., K).

        x_t one-hot; x0_probs the predicted distribution of the clean class; t a 0-based int step.
        """
        K = x_t.shape[-1]
        dt = torch.float64
        x_t, x0_probs = x_t.to(dt), x0_probs.to(dt)
        alpha = self.schedule.alphas[t].item()
        ab_prev = self.schedule.alpha_bar_prev[t].item()
        left = self.observed_likelihood(x_t, alpha)                        # left[..., k] = Q_t[k, a]
        Qbar_prev = self.transition(ab_prev)                               # rows j: q(A_{t-1} | A_0 = j)
        num = left[..., None, :] * Qbar_prev                                # (..., j, k)
        den = num.sum(-1, keepdim=True)                                     # = q(A_t = a | A_0 = j)
        post = num / den                                                    # q(A_{t-1} = k | A_t, A_0 = j)
        assert post.shape[-2:] == (K, K)
        return (x0_probs[..., :, None] * post).sum(-2)

    def q_sample(self, adj0: torch.Tensor, t, generator: torch.Generator) -> torch.Tensor:
        """A_t ~ q(A_t | A_0) for a batch (B, n, n) at 0-based steps t (int or (B,) tensor)."""
        ab = self.schedule.alpha_bar[torch.as_tensor(t)].to(torch.float64)
        ab = ab.reshape(-1, 1, 1, 1) if ab.ndim else ab
        p = self.q_probs(one_hot_edges(adj0), ab)[..., 1]
        return symmetric_bernoulli(p, generator)

    def step(self, adj: torch.Tensor, t: int, generator: torch.Generator) -> torch.Tensor:
        """One forward step: A_{t+1} ~ q(A_{t+1} | A_t) at 0-based step t (keep with probability alpha_t)."""
        p = self.q_probs(one_hot_edges(adj), self.schedule.alphas[t].item())[..., 1]
        return symmetric_bernoulli(p, generator)

    def pair_likelihoods(self, adj_t: torch.Tensor, alpha_bar: torch.Tensor,
                         fixed: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(q(a_ij | clean edge), q(a_ij | clean non-edge)) for every pair of adj_t (B, n, n), float64.

        alpha_bar (B,) is each graph's alpha_bar_t; the forward process keeps a pair with probability
        alpha_bar and else redraws it from m. Pairs in `fixed` are seen clean (alpha_bar = 1).
        """
        B, n, _ = adj_t.shape
        ab = alpha_bar.double().view(B, 1, 1).expand(B, n, n)
        if fixed is not None:
            ab = torch.where(fixed.expand(B, n, n), torch.ones_like(ab), ab)
        lik = self.observed_likelihood(one_hot_edges(adj_t), ab[..., None])
        return lik[..., 1], lik[..., 0]


# --- symmetric edge sampling helpers -------------------------------------------------------

def upper_mask(n: int) -> torch.Tensor:
    return torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)


def symmetric_bernoulli(p_edge: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A symmetric 0/1 matrix (zero diagonal) whose pairs i < j are Bernoulli(p_edge[i, j])."""
    n = p_edge.shape[-1]
    u = torch.rand(p_edge.shape, generator=generator, dtype=torch.float64)
    a = (u < p_edge.to(torch.float64)) & upper_mask(n)
    return (a | a.transpose(-1, -2)).to(torch.float32)


def one_hot_edges(adj: torch.Tensor) -> torch.Tensor:
    adj = adj.to(torch.float64)
    return torch.stack([1 - adj, adj], dim=-1)

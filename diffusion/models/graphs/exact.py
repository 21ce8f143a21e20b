"""The exact denoiser of the graph family: p(edge in A_0 | A_t) computed from the family itself.

The training graphs are two-block SBM graphs (data.py): given the blocks, every pair is an independent
coin with p_in inside a block and p_out across. The denoiser never sees node numbers, so for it the
blocks are any of the partitions with the family's sizes, all equally likely. With q(a | 1) and q(a | 0),
the chance of the observed pair a of A_t given a clean edge / non-edge (the forward process:
a_bar I + (1 - a_bar) 1 m^T), Bayes gives, exactly,

    p(partition P | A_t)  ∝  prod_{i<j} [ p_P(ij) q(a_ij | 1) + (1 - p_P(ij)) q(a_ij | 0) ]
    p(A_0,ij = 1 | A_t)   =  sum_P p(P | A_t) * p_P(ij) q(a_ij | 1) / [ p_P(ij) q(a_ij | 1) + (1 - p_P(ij)) q(a_ij | 0) ]

with p_P(ij) = p_in when P puts i and j in one block, else p_out: a sum over all 6435 partitions of
16 nodes into 8 + 8. This is what a perfect learned denoiser would output, so sampling with it
(`sample_graphs` takes any denoiser) measures the sampler alone: bench/graphs.py reports it in a row
beside the learned model, as what the model could reach. It is not a trained model: it is the family's formula.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ...core.schedule import NoiseSchedule
from .data import SBMConfig, _partitions
from .schedule import EdgeSchedule


class ExactSBMDenoiser(nn.Module):
    """Called like GraphDenoiser: (adj_t (B, n, n), t (B,), fixed, prev) -> logits of "edge in A_0" (B, n, n).

    Pairs in `fixed` are observed clean (q(a | 1) = a, q(a | 0) = 1 - a), as conditional sampling holds them.
    `prev` (a previous estimate) is not needed: A_t alone determines the exact posterior.
    """

    def __init__(self, family: SBMConfig, schedule: NoiseSchedule, density: float):
        super().__init__()
        self.family, self.schedule, self.density = family, schedule, float(density)
        self.edges = EdgeSchedule(schedule, self.density)
        S = torch.from_numpy(_partitions(tuple(family.sizes)))          # (P, n): 1 = first block
        i, j = torch.triu_indices(family.n, family.n, 1)
        # (P, pairs): 1 where partition P puts the pair's two nodes in one block
        self.register_buffer("same_block", (S[:, i] == S[:, j]).double(), persistent=False)
        self.pairs = (i, j)

    def forward(self, adj_t: torch.Tensor, t: torch.Tensor, fixed: torch.Tensor | None = None,
                prev: torch.Tensor | None = None) -> torch.Tensor:
        B, n, _ = adj_t.shape
        a = adj_t.double()
        # q(a_t | clean edge), q(a_t | clean non-edge); held pairs are seen without noise
        q1, q0 = self.edges.pair_likelihoods(a, self.schedule.alpha_bar[t.long()], fixed)
        p_in, p_out = self.family.p_in, self.family.p_out
        lik_in, lik_out = p_in * q1 + (1 - p_in) * q0, p_out * q1 + (1 - p_out) * q0
        i, j = self.pairs
        # log p(A_t | P) = const + sum over pairs in one block of (log lik_in - log lik_out): one GEMM
        W = (lik_in.log() - lik_out.log())[:, i, j]                                      # (B, pairs)
        w = torch.softmax(W @ self.same_block.T, -1)                                     # (B, P)
        same = torch.zeros_like(a)
        same[:, i, j] = w @ self.same_block                                              # p(pair in one block)
        same[:, j, i] = same[:, i, j]
        post_in, post_out = p_in * q1 / lik_in, p_out * q1 / lik_out
        p = (same * post_in + (1 - same) * post_out).clamp(1e-12, 1 - 1e-12)
        return (p.log() - (-p).log1p()).float().masked_fill(torch.eye(n, dtype=torch.bool), -30.0)

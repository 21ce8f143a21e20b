"""A synthetic graph family that ships as code, and the measures that judge generated graphs.

The family: two-community stochastic block model graphs (networkx builds them). Adjacency
matrices are (N, n, n) uint8 arrays, symmetric, zero diagonal; nodes 0..k-1 form the first
block in the data as built (the denoiser is permutation-equivariant, so the order carries no
information it could use).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import networkx as nx
import numpy as np

from ...core.keys import key_dict


@dataclass(frozen=True)
class SBMConfig:
    sizes: tuple = (8, 8)          # block sizes (16 nodes)
    p_in: float = 0.7              # edge probability inside a block
    p_out: float = 0.05            # edge probability between the blocks

    @property
    def n(self) -> int:
        return int(sum(self.sizes))

    def to_dict(self) -> dict:
        return key_dict(self)

    @property
    def edge_density(self) -> float:
        """Expected share of node pairs that are edges (the family's marginal m)."""
        within = sum(s * (s - 1) // 2 for s in self.sizes)
        total = self.n * (self.n - 1) // 2
        return (within * self.p_in + (total - within) * self.p_out) / total


SPLIT_SEEDS = {"train": 0, "heldout": 1_000_003, "test": 2_000_003}   # disjoint seed ranges


def sbm_graph(config: SBMConfig, seed: int) -> nx.Graph:
    probs = [[config.p_in if i == j else config.p_out for j in range(len(config.sizes))]
             for i in range(len(config.sizes))]
    return nx.stochastic_block_model(list(config.sizes), probs, seed=seed)


def to_adjacency(g: nx.Graph, n: int | None = None) -> np.ndarray:
    n = g.number_of_nodes() if n is None else n
    a = nx.to_numpy_array(g, nodelist=range(n), dtype=np.uint8)
    np.fill_diagonal(a, 0)
    return a


def to_graph(a: np.ndarray) -> nx.Graph:
    return nx.from_numpy_array(np.asarray(a, dtype=np.uint8))


@lru_cache(maxsize=8)
def _graphs(config: SBMConfig, count: int, split: str) -> np.ndarray:
    base = SPLIT_SEEDS[split]
    out = np.stack([to_adjacency(sbm_graph(config, base + i), config.n) for i in range(count)])
    out.setflags(write=False)
    return out


def make_graphs(config: SBMConfig, count: int, split: str = "train") -> np.ndarray:
    """`count` graphs of the family as (count, n, n) uint8; graph i of a split has a fixed seed."""
    if split not in SPLIT_SEEDS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLIT_SEEDS)}")
    return _graphs(config, int(count), split)


def erdos_renyi(n: int, p: float, count: int, seed: int) -> np.ndarray:
    """The baseline: G(n, p) graphs (each pair an independent coin with probability p)."""
    rng = np.random.default_rng(seed)
    u = np.triu(rng.random((count, n, n)) < p, k=1)
    return (u | u.transpose(0, 2, 1)).astype(np.uint8)


def edge_density(adj: np.ndarray) -> float:
    """Share of node pairs that are edges, over a stack of adjacency matrices."""
    adj = np.asarray(adj)
    n = adj.shape[-1]
    iu = np.triu_indices(n, k=1)
    return float(adj[..., iu[0], iu[1]].mean())


# --- two-block fit (validity) --------------------------------------------------------------

@lru_cache(maxsize=4)
def _partitions(sizes: tuple) -> np.ndarray:
    """All two-block partitions with the family's block sizes, node 0 always in block 1: (P, n) 0/1."""
    n, k = sum(sizes), sizes[0]
    rows = []
    for rest in itertools.combinations(range(1, n), k - 1):
        s = np.zeros(n, dtype=np.float64)
        s[[0, *rest]] = 1
        rows.append(s)
    if sizes[0] != sizes[1]:                 # node 0 may also sit in the second block
        for rest in itertools.combinations(range(1, n), sizes[1] - 1):
            s = np.ones(n, dtype=np.float64)
            s[[0, *rest]] = 0
            rows.append(s)
    return np.stack(rows)


def block_fit(adj: np.ndarray, config: SBMConfig) -> tuple[float, float, np.ndarray]:
    """The two-block partition (with the family's block sizes) that minimises the edges cut.

    Returns (within-block density, between-block density, block label per node).
    """
    if len(config.sizes) != 2:
        raise ValueError("block_fit handles two blocks")
    a = np.asarray(adj, dtype=np.float64)
    S = _partitions(tuple(config.sizes))
    cut = ((S @ a) * (1 - S)).sum(1)                  # edges between the blocks, per partition
    best = int(np.argmin(cut))
    s = S[best]
    k1, k2 = int(s.sum()), int(len(s) - s.sum())
    edges = a.sum() / 2
    within_pairs = k1 * (k1 - 1) / 2 + k2 * (k2 - 1) / 2
    between = cut[best]
    return float((edges - between) / within_pairs), float(between / (k1 * k2)), s.astype(np.int64)


def between_block_edges(adj: np.ndarray, config: SBMConfig) -> int:
    """Edges between the two blocks of the best two-block fit (the fewest edges any split with the
    family's block sizes cuts): the same split for real and generated graphs, no labels needed."""
    _, d_out, s = block_fit(adj, config)
    k1 = int(s.sum())
    return int(round(d_out * k1 * (len(s) - k1)))


@dataclass(frozen=True)
class Validity:
    tol_in: float = 0.15           # |within density - p_in| allowed (about 2.5 sd of a real graph's)
    tol_out: float = 0.06          # |between density - p_out| allowed (about 2.2 sd)


def is_valid(adj: np.ndarray, config: SBMConfig, v: Validity = Validity()) -> bool:
    """A graph fits the family if its best two-block fit has the family's densities."""
    d_in, d_out, _ = block_fit(adj, config)
    return abs(d_in - config.p_in) <= v.tol_in and abs(d_out - config.p_out) <= v.tol_out


def validity(graphs: np.ndarray, config: SBMConfig, v: Validity = Validity()) -> float:
    return float(np.mean([is_valid(a, config, v) for a in graphs]))


# --- MMD over degree and clustering histograms ---------------------------------------------

def degree_histogram(adj: np.ndarray) -> np.ndarray:
    """Normalised histogram of node degrees 0..n-1."""
    n = adj.shape[-1]
    return np.bincount(np.asarray(adj).sum(1).astype(int), minlength=n)[:n] / n


def clustering_histogram(adj: np.ndarray, bins: int = 20) -> np.ndarray:
    """Normalised histogram of local clustering coefficients over [0, 1]."""
    c = list(nx.clustering(to_graph(adj)).values())
    h, _ = np.histogram(c, bins=bins, range=(0.0, 1.0))
    return h / max(1, len(c))


def gaussian_mmd2(X: np.ndarray, Y: np.ndarray, sigma: float) -> float:
    """Biased MMD^2 with k(x, y) = exp(-|x - y|^2 / (2 sigma^2)) between two sets of vectors."""
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)

    def k(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * sigma ** 2))

    return float(k(X, X).mean() + k(Y, Y).mean() - 2 * k(X, Y).mean())


MMD_SIGMA = {"degree": 0.5, "clustering": 0.5}


def degree_mmd(graphs: np.ndarray, reference: np.ndarray, sigma: float = MMD_SIGMA["degree"]) -> float:
    return gaussian_mmd2([degree_histogram(a) for a in graphs], [degree_histogram(a) for a in reference], sigma)


def clustering_mmd(graphs: np.ndarray, reference: np.ndarray, sigma: float = MMD_SIGMA["clustering"]) -> float:
    return gaussian_mmd2([clustering_histogram(a) for a in graphs],
                         [clustering_histogram(a) for a in reference], sigma)

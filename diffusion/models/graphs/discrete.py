"""Discrete diffusion over the edges of a graph: the denoiser (GraphDenoiser, with its structure features), the
trained model, and the sampler with its cached trajectories. The categorical math is EdgeSchedule
(schedule.py)."""
from __future__ import annotations

import io
from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...core.cache import cached, codec_of
from ...core.schedule import NoiseSchedule
from ...core.nets import timestep_embedding
from ...core.trained import TrainedModel
from .config import GraphDenoiserConfig
from .schedule import EdgeSchedule, one_hot_edges, symmetric_bernoulli



# --- the denoiser ----------------------------------------------------------------------------

class EdgeLayer(nn.Module):
    """One permutation-equivariant update of node features h (B, n, d) and edge features e (B, n, n, d).

    Edges see their endpoints and the two-hop products sum_k e_ik * e_kj (triangles / shared
    neighbours, which is what separates two communities); nodes see the mean of their edges.
    """

    def __init__(self, d: int, time_dim: int):
        super().__init__()
        self.two_hop_a, self.two_hop_b = nn.Linear(d, d), nn.Linear(d, d)
        self.edge_self = nn.Linear(d, d)
        self.node_sum, self.node_prod = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
        self.edge_out = nn.Linear(d, d)
        self.node_mlp = nn.Sequential(nn.Linear(3 * d, 2 * d), nn.SiLU(), nn.Linear(2 * d, d))
        self.time_e, self.time_h = nn.Linear(time_dim, d), nn.Linear(time_dim, d)
        self.norm_e, self.norm_h = nn.LayerNorm(d), nn.LayerNorm(d)

    def forward(self, h, e, temb, pair_mask):
        B, n, _, d = e.shape
        e = e + self.time_e(temb)[:, None, None, :]
        h = h + self.time_h(temb)[:, None, :]
        ne = self.norm_e(e)
        two_hop = torch.einsum("bikd,bkjd->bijd", self.two_hop_a(ne), self.two_hop_b(ne)) / n
        two_hop = 0.5 * (two_hop + two_hop.transpose(1, 2))
        # symmetric in (i, j): a map of e_ij plus h_i + h_j and h_i * h_j terms computed per node
        s, q = self.node_sum(h), self.node_prod(h)
        pre = self.edge_self(ne) + two_hop + (s[:, :, None] + s[:, None, :]) + q[:, :, None] * q[:, None, :]
        e = e + self.edge_out(F.silu(pre)) * pair_mask
        agg = (e * pair_mask).sum(2) / (n - 1)
        gpool = h.mean(1, keepdim=True).expand(B, n, d)
        h = h + self.node_mlp(torch.cat([self.norm_h(h), agg, gpool], -1))
        return h, e


FEATURES = ("walk", "spectral")


def feature_sizes(config: GraphDenoiserConfig) -> tuple[int, int]:
    """(node inputs, pair inputs) of the denoiser for `config.features`."""
    unknown = sorted(set(config.features) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown graph feature {', '.join(unknown)}; choose from {', '.join(FEATURES)}")
    node, pair = 2, 3                          # [degree / n, triangles / n^2]; [A_ij, (A^2)_ij / n, fixed]
    if "walk" in config.features:
        node += config.walk_steps - 1
        pair += config.walk_steps - 1
    if "spectral" in config.features:
        node += 2
        pair += 1
    if config.self_condition:                  # the previous estimate P: P_ij, (P^2)_ij / n, its degree, and
        extra_node, extra_pair = node - 2, pair - 3     # the structure features again, computed on P
        node, pair = node + 1 + extra_node, pair + 2 + extra_pair
    return node, pair


@torch.no_grad()
def structure_features(a: torch.Tensor, features: tuple, walk_steps: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Permutation-equivariant features of adjacency matrices a (B, n, n): node (B, n, F), pair (B, n, n, G).

    With N = D^-1/2 A D^-1/2 (isolated nodes: zero rows):
      "walk"      node: diag(N^k), the chance a random walk is back after k steps (= diag of (D^-1 A)^k);
                  pair: N^k_ij, k = 2..walk_steps (within a community walks stay, so N^k_ij is larger there)
      "spectral"  pair: (n / 2) (V2 V2^T)_ij, V2 the eigenvectors of N's two largest eigenvalues: about 1 for
                  pairs in one community and 0 across, free of the eigenvectors' signs and of the basis
                  chosen inside the eigenspace; node: N's 2nd and 3rd largest eigenvalues (the same for
                  every node; a clear gap between them = a clear two-community split)
    Polynomials in A are equivariant exactly; the projection is too wherever the 2nd and 3rd eigenvalues
    differ (three or more components with an edge each tie them at 1).
    """
    B, n, _ = a.shape
    x = a.double()
    node, pair = [], []
    deg = x.sum(-1)
    dis = torch.where(deg > 0, deg.clamp(min=1).rsqrt(), torch.zeros_like(deg))
    N = dis[:, :, None] * x * dis[:, None, :]
    if "walk" in features:
        Nk = N
        for _ in range(2, walk_steps + 1):
            Nk = Nk @ N
            node.append(torch.diagonal(Nk, dim1=-2, dim2=-1))
            pair.append(Nk)
    if "spectral" in features:
        evals, evecs = torch.linalg.eigh(N)          # ascending
        V2 = evecs[..., -2:]
        pair.append((n / 2) * (V2 @ V2.transpose(-1, -2)))
        node += [evals[:, -2:-1].expand(B, n), evals[:, -3:-2].expand(B, n)]
    f32 = a.dtype if a.is_floating_point() else torch.float32
    nodes = torch.stack(node, -1).to(f32) if node else a.new_zeros(B, n, 0, dtype=f32)
    pairs = torch.stack(pair, -1).to(f32) if pair else a.new_zeros(B, n, n, 0, dtype=f32)
    return nodes, pairs


class GraphDenoiser(nn.Module):
    """Predicts the logit of "edge in A_0" for every pair from A_t and t; equivariant by construction."""

    def __init__(self, config: GraphDenoiserConfig, T: int, edges: EdgeSchedule | None = None):
        super().__init__()
        d, td = config.hidden, config.time_dim
        self.T, self.time_dim = T, td
        self.features, self.walk_steps = tuple(config.features), config.walk_steps
        self.self_condition = config.self_condition
        self.likelihood_skip = config.likelihood_skip
        if self.likelihood_skip:
            if edges is None:
                raise ValueError("likelihood_skip needs the forward process (EdgeSchedule: schedule and edge density)")
            self.edges = edges
            self.register_buffer("alpha_bar", edges.schedule.alpha_bar.double().clone(), persistent=False)
        node_inputs, pair_inputs = feature_sizes(config)
        self.time_mlp = nn.Sequential(nn.Linear(td, td), nn.SiLU(), nn.Linear(td, td))
        self.edge_in = nn.Linear(pair_inputs, d)    # [A_ij, (A^2)_ij / n, pair is held fixed, structure_features]
        self.node_in = nn.Linear(node_inputs, d)    # [degree / n, triangles / n^2, structure_features]
        self.layers = nn.ModuleList(EdgeLayer(d, td) for _ in range(config.layers))
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.SiLU(), nn.Linear(d, 1))

    def forward(self, adj_t: torch.Tensor, t: torch.Tensor, fixed: torch.Tensor | None = None,
                prev: torch.Tensor | None = None) -> torch.Tensor:
        """adj_t (B, n, n) 0/1, t (B,) 0-based steps, fixed (n, n) or (B, n, n) bool: pairs clamped clean;
        prev (B, n, n): the previous estimate of p(edge in A_0), read only when self-conditioning (None: zeros)."""
        B, n, _ = adj_t.shape
        a = adj_t.float()
        f = torch.zeros_like(a) if fixed is None else fixed.to(a.dtype).expand(B, n, n)
        a2 = a @ a
        pair_mask = (~torch.eye(n, dtype=torch.bool)).float()[None, :, :, None]
        pair_in = [a, a2 / n, f]
        deg = a.sum(-1) / n
        tri = (a2 * a).sum(-1) / n ** 2
        node_in = [deg, tri]
        if self.features:
            nodes, pairs = structure_features(a, self.features, self.walk_steps)
            pair_in, node_in = pair_in + list(pairs.unbind(-1)), node_in + list(nodes.unbind(-1))
        if self.self_condition:
            p = torch.zeros_like(a) if prev is None else prev.to(a.dtype) * (1 - torch.eye(n, dtype=a.dtype))
            pair_in += [p, p @ p / n]
            node_in += [p.sum(-1) / n]
            if self.features:
                nodes, pairs = structure_features(p, self.features, self.walk_steps)
                pair_in, node_in = pair_in + list(pairs.unbind(-1)), node_in + list(nodes.unbind(-1))
        e = self.edge_in(torch.stack(pair_in, -1)) * pair_mask
        h = self.node_in(torch.stack(node_in, -1))
        temb = self.time_mlp(timestep_embedding(t.float() / self.T * 1000.0, self.time_dim, max_period=1000.0))
        for layer in self.layers:
            h, e = layer(h, e, temb, pair_mask)
        logits = self.out(e).squeeze(-1)
        logits = 0.5 * (logits + logits.transpose(1, 2))
        if self.likelihood_skip:
            # Bayes for one pair: logit p(edge in A_0 | A_t) = logit p(edge | the rest of A_t) + log q(a_ij | 1) / q(a_ij | 0).
            # The second term is the forward process's and known exactly, so it is added here and the network
            # learns only the first: what the rest of the graph says (held pairs: +-20, never scored)
            q1, q0 = self.edges.pair_likelihoods(a, self.alpha_bar[t.long()], fixed)
            logits = logits + (q1.log() - q0.log()).clamp(-20.0, 20.0).to(logits.dtype)
        return logits.masked_fill(torch.eye(n, dtype=torch.bool), -30.0)


@dataclass
class TrainedGraphModel(TrainedModel):
    """A trained graph denoiser (`get_model("graphs")`); extras["density"] is the training data's edge
    density: m = (1 - density, density)."""

    @property
    def density(self) -> float:
        return self.extras["density"]

    @property
    def edges(self) -> EdgeSchedule:
        """The forward process over edges this model was trained for."""
        return EdgeSchedule(self.schedule, self.density)

    @property
    def n(self) -> int:
        return self.config.family.n



# --- trajectories --------------------------------------------------------------------------------

@dataclass
class GraphTrajectory:
    """A run of the chain over N graphs of n nodes.

    timesteps: (S,) 0-based steps in the order taken. adj: (S+1, N, n, n) uint8 — for sampling
    adj[0] = A_T and adj[k+1] the graph after step timesteps[k] (adj[-1] is the sample); for the
    forward process adj[0] = A_0 and adj[k+1] = A_{k+1}. edge_prob: (S, N, n, n) float32, the
    denoiser's p(edge in A_0 | A_t) at each sampling step (empty for the forward process).
    fixed: (n, n) bool, pairs held at `condition` (all False when unconditional).
    """
    timesteps: np.ndarray
    adj: np.ndarray
    edge_prob: np.ndarray
    fixed: np.ndarray
    condition: np.ndarray

    @property
    def final(self) -> np.ndarray:
        return self.adj[-1]

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, **{f.name: np.asarray(getattr(self, f.name)) for f in fields(self)})
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "GraphTrajectory":
        z = np.load(io.BytesIO(data))
        return cls(**{f.name: z[f.name] for f in fields(cls)})


def fixed_pairs(n: int, nodes) -> torch.Tensor:
    """(n, n) bool: every pair among `nodes` (the held subgraph), no diagonal."""
    sel = torch.zeros(n, dtype=torch.bool)
    sel[list(nodes)] = True
    return (sel[:, None] & sel[None, :]) & ~torch.eye(n, dtype=torch.bool)


@torch.inference_mode()
def sample_graphs(tm: TrainedGraphModel, n_samples: int, seed: int = 0, condition: np.ndarray | None = None,
                  fixed_nodes=None, record: bool = True) -> GraphTrajectory:
    """Ancestral sampling A_T ~ m (independent pairs) -> A_0, recording every step.

    With `condition` (an (n, n) adjacency) and `fixed_nodes`, the pairs among those nodes are clamped
    to the condition's values in A_T and after every step, so the subgraph never changes and the
    denoiser generates the rest around it. record=False keeps only A_T and the sample (adj has 2 entries).
    """
    n, schedule, edges = tm.n, tm.schedule, tm.edges
    gen = torch.Generator().manual_seed(seed)
    fixed = fixed_pairs(n, fixed_nodes if fixed_nodes is not None else [])
    cond = torch.zeros(n, n) if condition is None else torch.tensor(np.array(condition, dtype=np.float32))
    if condition is not None and fixed_nodes is None:
        raise ValueError("a condition needs fixed_nodes")

    def clamp(a):
        return torch.where(fixed, cond, a)

    a = clamp(symmetric_bernoulli(torch.full((n_samples, n, n), float(edges.m[1])), gen))
    adjs, probs, ts = [a.to(torch.uint8).numpy()], [], []
    p_edge = None
    for t in range(schedule.T - 1, -1, -1):
        # prev: the last step's estimate (none before the first step), read by a self-conditioned denoiser
        prev = None if p_edge is None else p_edge.float()
        logits = tm.model(a, torch.full((n_samples,), t, dtype=torch.long), fixed, prev)
        p_edge = torch.sigmoid(logits.double())
        x0_probs = torch.stack([1 - p_edge, p_edge], -1)
        post = edges.posterior(one_hot_edges(a), x0_probs, t)
        a = clamp(symmetric_bernoulli(post[..., 1], gen))
        if record or t == 0:
            ts.append(t)
            adjs.append(a.to(torch.uint8).numpy())
        if record:
            probs.append(p_edge.float().numpy())
    return GraphTrajectory(np.array(ts), np.stack(adjs), np.stack(probs) if probs else np.zeros((0,), np.float32),
                           fixed.numpy(), cond.to(torch.uint8).numpy())


def forward_trajectory(adj0: np.ndarray, schedule: NoiseSchedule, density: float, seed: int = 0) -> GraphTrajectory:
    """A real graph dissolving into noise: the Markov chain A_0 -> A_1 -> ... -> A_T, one Q_t per step.

    adj0: (n, n) or (N, n, n). Each step keeps a pair with probability alpha_t and otherwise redraws
    it from m, so adj[k] is distributed as q(A_k | A_0) and edges flip one step at a time.
    """
    a = torch.tensor(np.array(adj0, dtype=np.float32))
    squeeze = a.ndim == 2
    a = a[None] if squeeze else a
    edges = EdgeSchedule(schedule, density)
    gen = torch.Generator().manual_seed(seed)
    adjs = [a.to(torch.uint8).numpy()]
    for t in range(schedule.T):
        a = edges.step(a, t, gen)
        adjs.append(a.to(torch.uint8).numpy())
    out = np.stack(adjs)
    n = a.shape[-1]
    return GraphTrajectory(np.arange(schedule.T), out[:, 0] if squeeze else out, np.zeros((0,), np.float32),
                           np.zeros((n, n), bool), np.zeros((n, n), np.uint8))


def get_graph_trajectory(tm: TrainedGraphModel, n_samples: int = 8, seed: int = 0, condition=None,
                         fixed_nodes=None) -> GraphTrajectory:
    """A cached `sample_graphs` run (scenes load it instead of sampling inside construct())."""
    spec = dict(model=tm.key, n=n_samples, seed=seed, kind="graphs",
                condition=None if condition is None else np.asarray(condition).astype(int).tolist(),
                fixed_nodes=None if fixed_nodes is None else [int(i) for i in fixed_nodes])
    return cached("trajectories", "graphs", spec, lambda: sample_graphs(tm, n_samples, seed, condition, fixed_nodes),
                  codec_of(GraphTrajectory))

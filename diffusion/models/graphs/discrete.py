"""Discrete (categorical) diffusion over the edges of a graph, D3PM / DiGress style.

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

import copy
import io
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from ...core.cache import cache_dir, cached_training, config_key, get_or_build, model_file
from .data import SBMConfig, edge_density, make_graphs
from ...core.schedule import NoiseSchedule
from ...core.engine import ema_update


# --- configs -------------------------------------------------------------------------------

@dataclass(frozen=True)
class GraphDenoiserConfig:
    hidden: int = 32               # node and edge feature width
    layers: int = 3
    time_dim: int = 32


@dataclass(frozen=True)
class GraphTrainConfig:
    family: SBMConfig = field(default_factory=SBMConfig)
    # T = 100: the cosine schedule then flips only a few of the 120 pairs per step, so edges appear
    # and vanish one at a time on screen, and sampling is 100 calls of a tiny network (well under a
    # second); more steps buy little for 120 binary variables and would only lengthen the animation.
    schedule: str = "cosine"
    T: int = 100
    denoiser: GraphDenoiserConfig = field(default_factory=GraphDenoiserConfig)
    n_train: int = 2048            # training graphs (a fixed, seeded set)
    steps: int = 2500
    batch_size: int = 32
    lr: float = 2e-3
    ema_decay: float = 0.995
    # train as we sample: on this share of training graphs a random node subset (size in cond_nodes)
    # keeps its clean pairs in A_t and is flagged as fixed, as in conditional sampling
    cond_prob: float = 0.5
    cond_nodes: tuple = (3, 8)
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


GRAPH_PRESETS = {
    # seconds: enough to test the plumbing and to see the loss fall
    "quick": GraphTrainConfig(denoiser=GraphDenoiserConfig(hidden=16, layers=2, time_dim=16),
                              n_train=256, steps=150, batch_size=32, lr=3e-3, ema_decay=0.9),
    # what renders and the benchmark use: 2500 steps, about 2.5 minutes on one CPU thread
    # (measured 138-149 s on a shared 2-core machine; bench/graphs.py prints the figure)
    "default": GraphTrainConfig(),
}


def get_graph_preset(name: str | None = None) -> GraphTrainConfig:
    """The named graph preset; with no name, $DIFFUSION_PRESET or "default" (as for the image model)."""
    name = name or os.environ.get("DIFFUSION_PRESET", "default")
    if name not in GRAPH_PRESETS:
        raise ValueError(f"unknown graph preset {name!r}; choose one of {', '.join(GRAPH_PRESETS)}")
    return GRAPH_PRESETS[name]


# --- the categorical math (K = 2: index 0 = no edge, 1 = edge) ----------------------------

def marginal_vector(density: float) -> torch.Tensor:
    return torch.tensor([1.0 - density, density], dtype=torch.float64)


def transition_matrix(a: float, m: torch.Tensor) -> torch.Tensor:
    """a I + (1 - a) 1 m^T: Q_t with a = alpha_t, Qbar_t with a = alpha_bar_t."""
    K = len(m)
    return a * torch.eye(K, dtype=m.dtype) + (1 - a) * torch.ones(K, 1, dtype=m.dtype) * m[None, :]


def q_probs(x: torch.Tensor, a, m: torch.Tensor) -> torch.Tensor:
    """Row vector x (..., K) times a I + (1 - a) 1 m^T = a x + (1 - a) (x . 1) m.

    x one-hot (or probabilities) over classes; `a` a float or a tensor broadcasting against x[..., :1].
    """
    a = torch.as_tensor(a, dtype=x.dtype)
    return a * x + (1 - a) * x.sum(-1, keepdim=True) * m.to(x.dtype)


def posterior_probs(x_t: torch.Tensor, x0_probs: torch.Tensor, schedule: NoiseSchedule, t: int,
                    m: torch.Tensor) -> torch.Tensor:
    """p(A_{t-1} | A_t) = sum_j q(A_{t-1} | A_t, A_0 = j) x0_probs[j], all (..., K).

    x_t one-hot; x0_probs the predicted distribution of the clean class; t a 0-based int step.
    """
    K = x_t.shape[-1]
    dt = torch.float64
    x_t, x0_probs, m = x_t.to(dt), x0_probs.to(dt), m.to(dt)
    alpha = schedule.alphas[t].item()
    ab_prev = schedule.alpha_bar_prev[t].item()
    # left[..., k] = Q_t[k, a] with a the observed class of x_t:  (x_t Q_t^T)[k]
    left = alpha * x_t + (1 - alpha) * (x_t * m).sum(-1, keepdim=True)
    Qbar_prev = transition_matrix(ab_prev, m)                         # rows j: q(A_{t-1} | A_0 = j)
    num = left[..., None, :] * Qbar_prev                                # (..., j, k)
    den = num.sum(-1, keepdim=True)                                     # = q(A_t = a | A_0 = j)
    post = num / den                                                    # q(A_{t-1} = k | A_t, A_0 = j)
    assert post.shape[-2:] == (K, K)
    return (x0_probs[..., :, None] * post).sum(-2)


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


def q_sample(adj0: torch.Tensor, schedule: NoiseSchedule, t, m: torch.Tensor,
             generator: torch.Generator) -> torch.Tensor:
    """A_t ~ q(A_t | A_0) for a batch (B, n, n) at 0-based steps t (int or (B,) tensor)."""
    ab = schedule.alpha_bar[torch.as_tensor(t)].to(torch.float64)
    ab = ab.reshape(-1, 1, 1, 1) if ab.ndim else ab
    p = q_probs(one_hot_edges(adj0), ab, m)[..., 1]
    return symmetric_bernoulli(p, generator)


# --- the denoiser ----------------------------------------------------------------------------

def timestep_embedding(t: torch.Tensor, T: int, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of t / T (a float in [0, 1))."""
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, dtype=torch.float32) / half)
    x = (t.float() / T)[:, None] * 1000.0 * freqs[None]
    return torch.cat([x.sin(), x.cos()], dim=-1)


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


class GraphDenoiser(nn.Module):
    """Predicts the logit of "edge in A_0" for every pair from A_t and t; equivariant by construction."""

    def __init__(self, config: GraphDenoiserConfig, T: int):
        super().__init__()
        d, td = config.hidden, config.time_dim
        self.T, self.time_dim = T, td
        self.time_mlp = nn.Sequential(nn.Linear(td, td), nn.SiLU(), nn.Linear(td, td))
        self.edge_in = nn.Linear(3, d)          # [A_ij, (A^2)_ij / n, pair is held fixed]
        self.node_in = nn.Linear(2, d)          # [degree / n, triangles / n^2]
        self.layers = nn.ModuleList(EdgeLayer(d, td) for _ in range(config.layers))
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.SiLU(), nn.Linear(d, 1))

    def forward(self, adj_t: torch.Tensor, t: torch.Tensor, fixed: torch.Tensor | None = None) -> torch.Tensor:
        """adj_t (B, n, n) 0/1, t (B,) 0-based steps, fixed (n, n) or (B, n, n) bool: pairs clamped clean."""
        B, n, _ = adj_t.shape
        a = adj_t.float()
        f = torch.zeros_like(a) if fixed is None else fixed.to(a.dtype).expand(B, n, n)
        a2 = a @ a
        pair_mask = (~torch.eye(n, dtype=torch.bool)).float()[None, :, :, None]
        e = self.edge_in(torch.stack([a, a2 / n, f], -1)) * pair_mask
        deg = a.sum(-1) / n
        tri = (a2 * a).sum(-1) / n ** 2
        h = self.node_in(torch.stack([deg, tri], -1))
        temb = self.time_mlp(timestep_embedding(t, self.T, self.time_dim))
        for layer in self.layers:
            h, e = layer(h, e, temb, pair_mask)
        logits = self.out(e).squeeze(-1)
        logits = 0.5 * (logits + logits.transpose(1, 2))
        return logits.masked_fill(torch.eye(n, dtype=torch.bool), -30.0)


# --- training ----------------------------------------------------------------------------------

def random_fixed_pairs(config: GraphTrainConfig, n: int, gen: torch.Generator) -> torch.Tensor:
    """(B, n, n) bool: for a cond_prob share of the batch, all pairs among a random node subset."""
    B = config.batch_size
    use = torch.rand(B, generator=gen) < config.cond_prob
    k = torch.randint(config.cond_nodes[0], config.cond_nodes[1] + 1, (B,), generator=gen)
    ranks = torch.rand(B, n, generator=gen).argsort(-1).argsort(-1)      # a random permutation per graph
    sel = (ranks < k[:, None]) & use[:, None]
    return (sel[:, :, None] & sel[:, None, :]) & ~torch.eye(n, dtype=torch.bool)


def train_graph_model(config: GraphTrainConfig, progress: bool = True) -> dict:
    """Cross-entropy on the clean edges from A_t ~ q(A_t | A_0), t uniform. Seeded; returns weights.

    Runs on one thread: the tensors are small, and on a shared 2-core machine a second thread made
    each step about 4x slower (measured), besides keeping the result independent of the core count.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_graph_model(config, progress)
    finally:
        torch.set_num_threads(threads)


def _train_graph_model(config: GraphTrainConfig, progress: bool) -> dict:
    schedule = NoiseSchedule(config.schedule, config.T)
    data = torch.from_numpy(make_graphs(config.family, config.n_train, "train").astype(np.float32))
    density = edge_density(data.numpy())
    m = marginal_vector(density)
    n = data.shape[-1]
    iu = upper_mask(n)

    torch.manual_seed(config.seed)
    model = GraphDenoiser(config.denoiser, config.T)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    warmup = max(1, config.steps // 50)
    lr_at = lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * s / config.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    gen = torch.Generator().manual_seed(config.seed)
    history = {"step": [], "loss": [], "seconds": []}
    t0 = time.perf_counter()
    bar = tqdm(range(config.steps), disable=not progress, desc="train graphs", unit="step", dynamic_ncols=True)
    for step in bar:
        idx = torch.randint(0, len(data), (config.batch_size,), generator=gen)
        t = torch.randint(0, config.T, (config.batch_size,), generator=gen)
        a0 = data[idx]
        a_t = q_sample(a0, schedule, t, m, gen)
        fixed = random_fixed_pairs(config, n, gen)
        a_t = torch.where(fixed, a0, a_t)
        logits = model(a_t, t, fixed)
        free = iu & ~fixed                                   # the clamped pairs teach nothing
        loss = F.binary_cross_entropy_with_logits(logits[free], a0[free])
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training diverged: loss is {loss.item()} at step {step}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step()
        ema_update(ema, model, config.ema_decay)
        history["step"].append(step + 1)
        history["loss"].append(loss.item())
        history["seconds"].append(time.perf_counter() - t0)
        if step % 25 == 0:
            bar.set_postfix(loss=f"{np.mean(history['loss'][-25:]):.4f}")
    bar.close()
    return dict(config=config.to_dict(), density=density,
                ema={k: v.detach().cpu() for k, v in ema.state_dict().items()}, history=history)


@dataclass
class TrainedGraphModel:
    config: GraphTrainConfig
    model: GraphDenoiser            # EMA weights, eval mode
    schedule: NoiseSchedule
    density: float                  # the training data's edge density: m = (1 - density, density)
    history: dict
    key: str

    @property
    def m(self) -> torch.Tensor:
        return marginal_vector(self.density)

    @property
    def n(self) -> int:
        return self.config.family.n


def graph_model_path(config: GraphTrainConfig):
    return model_file("graphs", config)


def get_graph_model(config: GraphTrainConfig | str | None = None, progress: bool = True) -> TrainedGraphModel:
    """The trained graph denoiser for a config or preset name (trained once, then loaded from the cache)."""
    if not isinstance(config, GraphTrainConfig):
        config = get_graph_preset(config)
    return _get_graph_model(config, progress)


@lru_cache(maxsize=4)
def _get_graph_model(config: GraphTrainConfig, progress: bool) -> TrainedGraphModel:
    result = cached_training("graphs", config, lambda: train_graph_model(config, progress))
    model = GraphDenoiser(config.denoiser, config.T)
    model.load_state_dict(result["ema"])
    model.eval().requires_grad_(False)
    return TrainedGraphModel(config, model, NoiseSchedule(config.schedule, config.T), result["density"],
                             result["history"], config_key(config.to_dict()))


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
                  fixed_nodes=None) -> GraphTrajectory:
    """Ancestral sampling A_T ~ m (independent pairs) -> A_0, recording every step.

    With `condition` (an (n, n) adjacency) and `fixed_nodes`, the pairs among those nodes are clamped
    to the condition's values in A_T and after every step, so the subgraph never changes and the
    denoiser generates the rest around it.
    """
    n, schedule, m = tm.n, tm.schedule, tm.m
    gen = torch.Generator().manual_seed(seed)
    fixed = fixed_pairs(n, fixed_nodes if fixed_nodes is not None else [])
    cond = torch.zeros(n, n) if condition is None else torch.tensor(np.array(condition, dtype=np.float32))
    if condition is not None and fixed_nodes is None:
        raise ValueError("a condition needs fixed_nodes")

    def clamp(a):
        return torch.where(fixed, cond, a)

    a = clamp(symmetric_bernoulli(torch.full((n_samples, n, n), float(m[1])), gen))
    adjs, probs, ts = [a.to(torch.uint8).numpy()], [], []
    for t in range(schedule.T - 1, -1, -1):
        logits = tm.model(a, torch.full((n_samples,), t, dtype=torch.long), fixed)
        p_edge = torch.sigmoid(logits.double())
        x0_probs = torch.stack([1 - p_edge, p_edge], -1)
        post = posterior_probs(one_hot_edges(a), x0_probs, schedule, t, m)
        a = clamp(symmetric_bernoulli(post[..., 1], gen))
        ts.append(t)
        adjs.append(a.to(torch.uint8).numpy())
        probs.append(p_edge.float().numpy())
    return GraphTrajectory(np.array(ts), np.stack(adjs), np.stack(probs), fixed.numpy(),
                           cond.to(torch.uint8).numpy())


def forward_trajectory(adj0: np.ndarray, schedule: NoiseSchedule, density: float, seed: int = 0) -> GraphTrajectory:
    """A real graph dissolving into noise: the Markov chain A_0 -> A_1 -> ... -> A_T, one Q_t per step.

    adj0: (n, n) or (N, n, n). Each step keeps a pair with probability alpha_t and otherwise redraws
    it from m, so adj[k] is distributed as q(A_k | A_0) and edges flip one step at a time.
    """
    a = torch.tensor(np.array(adj0, dtype=np.float32))
    squeeze = a.ndim == 2
    a = a[None] if squeeze else a
    m = marginal_vector(density)
    gen = torch.Generator().manual_seed(seed)
    adjs = [a.to(torch.uint8).numpy()]
    for t in range(schedule.T):
        p = q_probs(one_hot_edges(a), schedule.alphas[t].item(), m)[..., 1]
        a = symmetric_bernoulli(p, gen)
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
    path = cache_dir() / "trajectories" / f"graphs-{config_key(spec)}.npz"
    return get_or_build(path, lambda: sample_graphs(tm, n_samples, seed, condition, fixed_nodes),
                        GraphTrajectory.to_bytes, GraphTrajectory.from_bytes)

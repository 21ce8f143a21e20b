"""The graph model's config and its presets: quick (tests), default (renders), large (the default, 3x longer)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ...core.keys import added, key_dict

from ...core.presets import check_table
from ...core.schedule import check_t_focus
from .data import SBMConfig


@dataclass(frozen=True)
class GraphDenoiserConfig:
    hidden: int = 32               # node and edge feature width
    layers: int = 3
    time_dim: int = 32
    # extra inputs computed from the noisy A_t (discrete.py, structure_features), DiGress-style:
    #   "walk":     random-walk return probabilities diag(N^k) per node and N^k_ij per pair, k = 2..walk_steps,
    #               N = D^-1/2 A D^-1/2 (P^k = D^-1 A ... has the same diagonal)
    #   "spectral": the projection onto the top-2 eigenspace of N per pair (the two communities, sign-free)
    #               and N's 2nd and 3rd eigenvalues per graph
    # () = only degree, triangles, A and A^2 (what the quick preset keeps)
    features: tuple = added(())
    walk_steps: int = added(4, refines="features")
    # self-conditioning (Chen et al. 2022, "Analog Bits"): the denoiser also reads its own previous
    # estimate of p(edge in A_0) (the last sampling step's; in training, on half of the batch, a first
    # pass's), as a pair input and through the same structure features, so it refines a guess instead of
    # reading the communities afresh from the noisy A_t at every step
    self_condition: bool = added(False)
    # add the forward process's log-likelihood ratio log q(a_ij | edge) / q(a_ij | no edge) to the output
    # logit, so the network predicts only what the rest of A_t says about the pair (Bayes splits the exact
    # posterior's logit into these two terms); the ratio is known, so the network need not learn how noise
    # at step t blurs an observed pair, and its small probabilities (a missing edge across the communities)
    # come out sharper
    likelihood_skip: bool = added(False)


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
    # (lo, hi, share): a `share` of each batch draws t uniformly from [lo T, hi T) instead of [0, T).
    # The clean-edge cross-entropy has the same optimum at every t whatever the mix, so this only moves
    # training effort to the middle steps where the communities are decided.
    # () = uniform t
    t_focus: tuple = added(())

    def __post_init__(self):
        check_t_focus(self.t_focus, self.T)

    def to_dict(self) -> dict:
        return key_dict(self)


# the default: structure features, the likelihood skip, 4 layers of width
# 16 (half the width buys the steps a fourth layer needs), and half of each batch from steps 15-44, where
# sampling with the learned denoiser lost most against the exact one (bench/hybrid.py graphs)
DEFAULT = GraphTrainConfig(denoiser=GraphDenoiserConfig(hidden=16, layers=4, features=("walk", "spectral"),
                                                        likelihood_skip=True),
                           steps=2600, t_focus=(0.15, 0.45, 0.5))

GRAPH_PRESETS = check_table("graphs", {
    # seconds: enough to test the plumbing and to see the loss fall
    "quick": GraphTrainConfig(denoiser=GraphDenoiserConfig(hidden=16, layers=2, time_dim=16),
                              n_train=256, steps=150, batch_size=32, lr=3e-3, ema_decay=0.9),
    # what renders and the benchmark use: 2600 steps, so that training stays within 150 s on one CPU thread
    # of a 2-core machine (2900 steps came too close); python -m bench.graphs writes the figures to
    # bench/reports/graphs.md
    "default": DEFAULT,
    # the default trained 3x longer, for people with time (not measured)
    "large": replace(DEFAULT, steps=3 * DEFAULT.steps),
})


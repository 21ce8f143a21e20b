"""The graph model for the engine: seeded two-community graphs, the equivariant denoiser, and the
cross-entropy on the clean edges from A_t ~ q(A_t | A_0), t uniform or, with t_focus, partly from a middle range
(diffusion/models/graphs/discrete.py)."""
from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from ...core.recipe import Recipe
from ...core.schedule import sample_train_t
from .config import GRAPH_PRESETS, GraphTrainConfig
from .data import edge_density, make_graphs
from .discrete import GraphDenoiser, TrainedGraphModel, sample_graphs
from .schedule import EdgeSchedule, upper_mask


@functools.lru_cache(maxsize=4)
def training_graphs(family, n_train: int) -> np.ndarray:
    """The fixed, seeded training set (made once per process: data() and network() both read it)."""
    graphs = make_graphs(family, n_train, "train")
    graphs.setflags(write=False)
    return graphs


def random_fixed_pairs(config: GraphTrainConfig, n: int, gen: torch.Generator) -> torch.Tensor:
    """(B, n, n) bool: for a cond_prob share of the batch, all pairs among a random node subset."""
    B = config.batch_size
    use = torch.rand(B, generator=gen) < config.cond_prob
    k = torch.randint(config.cond_nodes[0], config.cond_nodes[1] + 1, (B,), generator=gen)
    ranks = torch.rand(B, n, generator=gen).argsort(-1).argsort(-1)      # a random permutation per graph
    sel = (ranks < k[:, None]) & use[:, None]
    return (sel[:, :, None] & sel[:, None, :]) & ~torch.eye(n, dtype=torch.bool)


class Graphs(Recipe):
    name = "graphs"
    config_type = GraphTrainConfig
    presets = GRAPH_PRESETS
    # one thread on the CPU: the tensors are small, and on a shared 2-core machine a second thread made
    # each step about 4x slower (measured), besides keeping the result independent of the core count
    threads = 1
    device = "cpu"
    log_every = 25
    trained_type = TrainedGraphModel
    extra_keys = ("density",)
    default_sampler = "ancestral"

    def network(self, config):
        if not config.denoiser.likelihood_skip:
            return GraphDenoiser(config.denoiser, config.T)
        density = edge_density(training_graphs(config.family, config.n_train))
        return GraphDenoiser(config.denoiser, config.T, EdgeSchedule(self.schedule(config), density))

    def data(self, config, device):
        graphs = torch.from_numpy(training_graphs(config.family, config.n_train).astype(np.float32))
        density = edge_density(graphs.numpy())
        return dict(graphs=graphs, density=density, edges=EdgeSchedule(self.schedule(config), density),
                    iu=upper_mask(graphs.shape[-1]))

    def sample_batch(self, config, data, gen):
        graphs = data["graphs"]
        idx = torch.randint(0, len(graphs), (config.batch_size,), generator=gen)
        t = sample_train_t(config.batch_size, config.T, gen, config.t_focus)
        a0 = graphs[idx]
        a_t = data["edges"].q_sample(a0, t, gen)
        # train as we sample: a random node subset keeps its clean pairs and is flagged as fixed
        fixed = random_fixed_pairs(config, graphs.shape[-1], gen)
        batch = dict(a0=a0, a_t=torch.where(fixed, a0, a_t), t=t, fixed=fixed, free=data["iu"] & ~fixed)
        if config.denoiser.self_condition:       # which graphs get a first pass's estimate as their prev
            batch["self_cond"] = torch.rand(config.batch_size, generator=gen) < 0.5
        return batch

    def loss(self, net, batch, schedule):
        prev = None
        if "self_cond" in batch:
            # as in sampling, where prev is the last step's estimate: a first pass without it, no gradient
            # through it (Chen et al. 2022), on the chosen half of the batch; zeros on the other half
            use = batch["self_cond"]
            prev = torch.zeros_like(batch["a_t"])
            with torch.no_grad():
                prev[use] = torch.sigmoid(net(batch["a_t"][use], batch["t"][use], batch["fixed"][use]))
        logits = net(batch["a_t"], batch["t"], batch["fixed"], prev)
        free = batch["free"]                                 # the clamped pairs teach nothing
        return F.binary_cross_entropy_with_logits(logits[free], batch["a0"][free])

    def extras(self, config, data):
        return {"density": data["density"]}

    def sample_shape(self, config):
        return (config.family.n, config.family.n)

    def samplers(self):
        return ("ancestral",)

    def sample(self, tm, n, seed=0, sampler="ancestral", steps=None, eta=0.0, batch=1000, device="cpu",
               model_kwargs=None):
        """n graphs (n, nodes, nodes) uint8 by ancestral sampling over all T steps."""
        return sample_graphs(tm, n, seed, record=False).final


RECIPE = Graphs()

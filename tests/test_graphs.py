"""Discrete graph diffusion: the math against sampling, the sampler's guarantees, the quick model."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from diffusion.models.graphs import discrete
from diffusion.models.graphs.config import GRAPH_PRESETS, GraphDenoiserConfig
from diffusion.models.graphs.data import (SBMConfig, between_block_edges, block_fit, clustering_mmd, degree_mmd,
                                          edge_density, erdos_renyi, gaussian_mmd2, make_graphs, validity)
from diffusion.models import get_model
from diffusion.models.graphs.discrete import (FEATURES, GraphDenoiser, fixed_pairs, forward_trajectory, sample_graphs,
                                              structure_features)
from diffusion.models.graphs.schedule import EdgeSchedule, one_hot_edges
from diffusion.core.schedule import NoiseSchedule

FAMILY = SBMConfig()
SCHEDULE = NoiseSchedule("cosine", 100)
DENSITY = FAMILY.edge_density
EDGES = EdgeSchedule(SCHEDULE, DENSITY)
COND_NODES = [0, 1, 2, 3, 8, 9]          # four nodes of one block, two of the other


@pytest.fixture(scope="module")
def quick():
    """The quick graph model, trained once into the run's cache (a few seconds)."""
    return get_model("graphs", "quick", progress=False)


def test_forward_marginals_match_closed_form():
    """Edge frequencies of many A_t ~ q(A_t | A_0) agree with alpha_bar A_0 + (1 - alpha_bar) m."""
    a0 = torch.from_numpy(make_graphs(FAMILY, 1, "test")[0].astype(np.float32))
    n_draws = 4000
    gen = torch.Generator().manual_seed(0)
    iu = np.triu_indices(FAMILY.n, 1)
    for t in (0, 20, 50, 80, 99):
        draws = EDGES.q_sample(a0.expand(n_draws, -1, -1), t, gen).numpy()
        freq = draws.mean(0)[iu]
        ab = SCHEDULE.alpha_bar[t].item()
        expected = (ab * a0.numpy() + (1 - ab) * DENSITY)[iu]
        sd = np.sqrt(expected * (1 - expected) / n_draws) + 1e-9
        assert np.abs(freq - expected).max() < 4.5 * sd.max(), t
        assert (draws == draws.transpose(0, 2, 1)).all() and (draws[:, range(16), range(16)] == 0).all()


def test_markov_chain_reaches_the_closed_form():
    """The step-by-step chain (one Q_t per step) has the marginals of Qbar_t: the Q's compose."""
    a0 = make_graphs(FAMILY, 1, "test")[0]
    n_draws = 2000
    traj = forward_trajectory(np.repeat(a0[None], n_draws, 0), SCHEDULE, DENSITY, seed=1)
    iu = np.triu_indices(FAMILY.n, 1)
    for k in (1, 30, 60, 100):                                  # adj[k] = A after k steps
        ab = SCHEDULE.alpha_bar[k - 1].item()
        expected = (ab * a0 + (1 - ab) * DENSITY)[iu]
        freq = traj.adj[k].mean(0)[iu]
        sd = np.sqrt(expected * (1 - expected) / n_draws) + 1e-9
        assert np.abs(freq - expected).max() < 4.5 * sd.max(), k
    # and the product of the step matrices is Qbar_t exactly
    Q = torch.eye(2, dtype=torch.float64)
    for t in range(SCHEDULE.T):
        Q = Q @ EDGES.transition(SCHEDULE.alphas[t].item())
        assert torch.allclose(Q, EDGES.transition(SCHEDULE.alpha_bar[t].item()), atol=1e-12)


def test_forward_trajectory_is_seeded_and_ends_near_the_marginal():
    a0 = make_graphs(FAMILY, 64, "test")
    t1 = forward_trajectory(a0, SCHEDULE, DENSITY, seed=3)
    t2 = forward_trajectory(a0, SCHEDULE, DENSITY, seed=3)
    assert np.array_equal(t1.adj, t2.adj) and np.array_equal(t1.adj[0], a0)
    assert t1.adj.shape == (SCHEDULE.T + 1, 64, 16, 16)
    # at the end nothing of A_0 is left: the blocks are gone (no sample fits the family)
    assert validity(t1.adj[-1][:32], FAMILY) == 0.0
    assert abs(edge_density(t1.adj[-1]) - DENSITY) < 0.03


def test_posterior_is_a_distribution_and_matches_bayes():
    gen = torch.Generator().manual_seed(0)
    x_t = one_hot_edges(torch.randint(0, 2, (50,), generator=gen))
    p = torch.rand(50, generator=gen, dtype=torch.float64)
    x0_probs = torch.stack([1 - p, p], -1)
    for t in range(SCHEDULE.T):
        post = EDGES.posterior(x_t, x0_probs, t)
        assert (post >= 0).all() and torch.allclose(post.sum(-1), torch.ones(50, dtype=torch.float64))
        # brute force: q(k | a, j) = Q_t[k, a] Qbar_{t-1}[j, k] / Qbar_t[j, a], averaged over j ~ x0_probs
        Qt = EDGES.transition(SCHEDULE.alphas[t].item())
        Qp = EDGES.transition(SCHEDULE.alpha_bar_prev[t].item())
        Qb = EDGES.transition(SCHEDULE.alpha_bar[t].item())
        a = x_t.argmax(-1)
        brute = torch.zeros(50, 2, dtype=torch.float64)
        for j in range(2):
            brute += x0_probs[:, j:j + 1] * (Qt[:, a].T * Qp[j][None, :]) / Qb[j, a][:, None]
        assert torch.allclose(post, brute, atol=1e-12)
    # at the last reverse step (t = 0) the posterior is the prediction itself
    assert torch.allclose(EDGES.posterior(x_t, x0_probs, 0), x0_probs)


def test_q_probs_is_the_row_vector_times_the_matrix():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.3, 0.7]], dtype=torch.float64)
    for a in (0.0, 0.4, 1.0):
        assert torch.allclose(EDGES.q_probs(x, a), x @ EDGES.transition(a))


def test_metrics_separate_the_family_from_erdos_renyi():
    held = make_graphs(FAMILY, 128, "heldout")
    real = make_graphs(FAMILY, 128, "test")
    er = erdos_renyi(FAMILY.n, DENSITY, 128, seed=0)
    assert validity(real, FAMILY) > 0.9 and validity(er, FAMILY) < 0.05
    assert degree_mmd(real, held) < degree_mmd(er, held) / 5
    assert clustering_mmd(real, held) < clustering_mmd(er, held) / 5
    x = np.random.default_rng(0).random((20, 5))
    assert gaussian_mmd2(x, x, 1.0) == pytest.approx(0.0, abs=1e-12)
    d_in, d_out, labels = block_fit(real[0], FAMILY)
    assert sorted(np.bincount(labels)) == [8, 8] and d_in > 0.4 > d_out


def test_denoiser_is_permutation_equivariant(quick):
    a = torch.from_numpy(make_graphs(FAMILY, 4, "test").astype(np.float32))
    t = torch.tensor([0, 30, 60, 99])
    perm = torch.from_numpy(np.random.default_rng(0).permutation(16))
    out = quick.model(a, t)
    out_p = quick.model(a[:, perm][:, :, perm], t)
    assert torch.allclose(out[:, perm][:, :, perm], out_p, atol=1e-5)
    assert torch.allclose(out, out.transpose(1, 2))


def test_quick_model_learns(quick):
    """The loss falls, and at low noise the denoiser beats guessing the marginal on held-out graphs."""
    loss = np.array(quick.history["loss"])
    assert loss[-25:].mean() < 0.85 * loss[:25].mean()
    a0 = torch.from_numpy(make_graphs(FAMILY, 64, "heldout").astype(np.float32))
    t = 10
    a_t = quick.edges.q_sample(a0, t, torch.Generator().manual_seed(0))
    iu = torch.triu(torch.ones(16, 16, dtype=torch.bool), 1)
    with torch.no_grad():
        p = torch.sigmoid(quick.model(a_t, torch.full((64,), t)))[:, iu].clamp(1e-6, 1 - 1e-6)
    y = a0[:, iu]
    bce_model = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    d = quick.density
    bce_marginal = -(y * np.log(d) + (1 - y) * np.log(1 - d)).mean()
    assert bce_model < 0.7 * bce_marginal


def test_sampling_is_seeded_symmetric_and_complete(quick):
    t1 = sample_graphs(quick, 6, seed=5)
    t2 = sample_graphs(quick, 6, seed=5)
    t3 = sample_graphs(quick, 6, seed=6)
    assert np.array_equal(t1.adj, t2.adj) and np.array_equal(t1.edge_prob, t2.edge_prob)
    assert not np.array_equal(t1.final, t3.final)
    T = quick.schedule.T
    assert t1.adj.shape == (T + 1, 6, 16, 16) and t1.edge_prob.shape == (T, 6, 16, 16)
    assert list(t1.timesteps) == list(range(T - 1, -1, -1))
    assert (t1.adj == t1.adj.transpose(0, 1, 3, 2)).all()
    assert (t1.adj[:, :, range(16), range(16)] == 0).all()
    assert ((t1.edge_prob >= 0) & (t1.edge_prob <= 1)).all()


def test_conditioned_subgraph_never_changes(quick):
    cond = make_graphs(FAMILY, 1, "test")[0]
    traj = sample_graphs(quick, 16, seed=0, condition=cond, fixed_nodes=COND_NODES)
    fixed = traj.fixed
    assert fixed.sum() == len(COND_NODES) * (len(COND_NODES) - 1)
    for step in traj.adj:                                    # A_T, every intermediate A_t, and A_0
        assert (step[:, fixed] == cond[fixed]).all()
    # while the pairs outside the subgraph do move
    assert (traj.adj[0][:, ~fixed] != traj.adj[-1][:, ~fixed]).any()
    with pytest.raises(ValueError):
        sample_graphs(quick, 2, seed=0, condition=cond)



def permuted(x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """Nodes of (B, n, n, ...) renumbered: x[:, perm][:, :, perm]."""
    return x[:, perm][:, :, perm]


def noisy_graphs(count: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Test-split graphs noised to steps spread over the chain: (A_t, t)."""
    a0 = torch.from_numpy(make_graphs(FAMILY, count, "test").astype(np.float32))
    t = torch.linspace(0, SCHEDULE.T - 1, count).long()
    return EDGES.q_sample(a0, t, torch.Generator().manual_seed(seed)), t


def equivariance_error(net, a_t, t, fixed, perm) -> float:
    """max |P f(A) P^T - f(P A P^T)| over the batch (0 for a permutation-equivariant f)."""
    with torch.no_grad():
        return float((permuted(net(a_t, t, fixed), perm) - net(permuted(a_t, perm), t, permuted(fixed, perm))).abs().max())


def test_structure_features_are_permutation_equivariant():
    a_t, _ = noisy_graphs()
    perm = torch.from_numpy(np.random.default_rng(1).permutation(FAMILY.n))
    nodes, pairs = structure_features(a_t, FEATURES, walk_steps=4)
    nodes_p, pairs_p = structure_features(permuted(a_t, perm), FEATURES, walk_steps=4)
    assert nodes.shape == (8, 16, 5) and pairs.shape == (8, 16, 16, 4)
    assert torch.allclose(nodes[:, perm], nodes_p, atol=1e-5)
    assert torch.allclose(permuted(pairs, perm), pairs_p, atol=1e-5)
    assert torch.allclose(pairs, pairs.transpose(1, 2), atol=1e-6)


def test_spectral_feature_separates_the_two_communities():
    """On clean graphs (nodes 0-7 and 8-15 are the blocks as built) the top-2 eigenspace projection is
    near 1 inside a block and near 0 across: the denoiser is told which pairs straddle the split."""
    a = torch.from_numpy(make_graphs(FAMILY, 64, "test").astype(np.float32))
    _, pairs = structure_features(a, ("spectral",))
    proj = pairs[..., 0]
    block = torch.arange(16) < 8
    same = (block[:, None] == block[None, :]) & ~torch.eye(16, dtype=torch.bool)
    across = block[:, None] != block[None, :]
    assert proj[:, same].mean() > 0.8 and proj[:, across].abs().mean() < 0.2


def test_denoiser_with_structure_features_is_permutation_equivariant(monkeypatch):
    """An untrained denoiser with every feature on, noisy graphs and a fixed subgraph: permuting the nodes
    of A_t (and of the fixed pairs) permutes the output; a feature that knows node numbers is caught."""
    torch.manual_seed(0)
    net = GraphDenoiser(GraphDenoiserConfig(features=FEATURES), SCHEDULE.T).eval()
    a_t, t = noisy_graphs()
    fixed = fixed_pairs(FAMILY.n, COND_NODES).expand(len(a_t), -1, -1)
    a_t = torch.where(fixed, torch.from_numpy(make_graphs(FAMILY, 8, "test").astype(np.float32)), a_t)
    perm = torch.from_numpy(np.random.default_rng(2).permutation(FAMILY.n))
    assert equivariance_error(net, a_t, t, fixed, perm) < 1e-4
    original = discrete.structure_features

    def numbered(a, features, walk_steps=4):        # the node's index leaks in as its first feature
        nodes, pairs = original(a, features, walk_steps)
        nodes = nodes.clone()
        nodes[..., 0] = torch.arange(a.shape[-1]) / a.shape[-1]
        return nodes, pairs

    monkeypatch.setattr(discrete, "structure_features", numbered)
    assert equivariance_error(net, a_t, t, fixed, perm) > 1e-3


def test_feature_settings():
    with pytest.raises(ValueError, match="unknown graph feature"):
        GraphDenoiser(GraphDenoiserConfig(features=("eigenvalues",)), SCHEDULE.T)
    assert GRAPH_PRESETS["quick"].denoiser.features == ()          # the test model: the plain inputs
    assert "features" not in GRAPH_PRESETS["quick"].to_dict()["denoiser"]   # and its old cache key
    assert GRAPH_PRESETS["default"].to_dict()["denoiser"]["features"] == GRAPH_PRESETS["default"].denoiser.features
    assert set(GRAPH_PRESETS["default"].denoiser.features) == set(FEATURES)


def test_between_block_edges_counts_the_cut():
    a = make_graphs(FAMILY, 16, "test")
    for g in a:
        _, _, labels = block_fit(g, FAMILY)
        cut = int(g[np.ix_(labels == 0, labels == 1)].sum())
        built = int(g[:8, 8:].sum())                        # the blocks as built; the best fit cuts no more
        assert between_block_edges(g, FAMILY) == cut <= built
    full = np.ones((16, 16), np.uint8) - np.eye(16, dtype=np.uint8)
    assert between_block_edges(full, FAMILY) == 64


def _brute_force_edge_probs(family, schedule, density, a_t, t, fixed=None):
    """p(A_0,ij = 1 | A_t) by summing over every clean graph of a tiny family (2^pairs of them)."""
    import itertools
    n = family.n
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    parts = [s for s in itertools.product((0, 1), repeat=n) if sum(s) == family.sizes[0]]   # s: first block
    ab = float(schedule.alpha_bar[t])
    out = np.zeros((n, n))
    total = 0.0
    for bits in itertools.product((0, 1), repeat=len(pairs)):
        prior = np.mean([np.prod([(family.p_in if s[i] == s[j] else family.p_out) if b else
                                  1 - (family.p_in if s[i] == s[j] else family.p_out)
                                  for (i, j), b in zip(pairs, bits)]) for s in parts])
        lik = 1.0
        for (i, j), b in zip(pairs, bits):
            a = a_t[i, j]
            if fixed is not None and fixed[i, j]:
                lik *= float(a == b)
            else:
                lik *= ab * (a == b) + (1 - ab) * (density if a else 1 - density)
        w = prior * lik
        total += w
        for (i, j), b in zip(pairs, bits):
            out[i, j] += w * b
    out /= total
    return out + out.T


def test_exact_denoiser_is_bayes_for_a_tiny_family():
    """The partition-sum formula of ExactSBMDenoiser equals the posterior summed over every clean graph."""
    from diffusion.models.graphs.exact import ExactSBMDenoiser
    family = SBMConfig(sizes=(2, 3), p_in=0.7, p_out=0.1)
    density = family.edge_density
    exact = ExactSBMDenoiser(family, SCHEDULE, density)
    rng = np.random.default_rng(0)
    fixed = np.zeros((5, 5), bool)
    fixed[0, 1] = fixed[1, 0] = True
    for t, fx in ((10, None), (45, None), (80, fixed)):
        a = np.triu(rng.random((5, 5)) < 0.5, 1)
        a = (a | a.T).astype(np.float32)
        logits = exact(torch.from_numpy(a)[None], torch.tensor([t]),
                       None if fx is None else torch.from_numpy(fx))[0]
        got = torch.sigmoid(logits.double()).numpy()
        want = _brute_force_edge_probs(family, SCHEDULE, density, a, t, fx)
        iu = np.triu_indices(5, 1)
        np.testing.assert_allclose(got[iu], want[iu], rtol=1e-5, atol=1e-7)


def test_sampler_with_the_exact_denoiser_reproduces_the_family():
    """The sampler alone, with a perfect denoiser: its graphs pass the validity test about as often as real
    ones (95.7 % of 512 in bench/graphs.py against 97.2 % of 2048 real graphs) and carry the real between-block edge count.
    A wrong posterior or a wrong reverse step drives both far off (Erdős–Rényi graphs: 0 %, 13.3 edges)."""
    from diffusion.models.graphs.discrete import TrainedGraphModel
    from diffusion.models.graphs.exact import ExactSBMDenoiser
    tm = TrainedGraphModel("graphs", GRAPH_PRESETS["quick"], ExactSBMDenoiser(FAMILY, SCHEDULE, DENSITY), SCHEDULE,
                           {}, {}, "exact", {"density": DENSITY})
    final = sample_graphs(tm, 96, seed=0, record=False).final
    assert validity(final, FAMILY) >= 0.85
    real_between = np.mean([between_block_edges(a, FAMILY) for a in make_graphs(FAMILY, 96, "test")])
    assert abs(np.mean([between_block_edges(a, FAMILY) for a in final]) - real_between) < 0.6


def test_self_conditioned_denoiser_reads_its_previous_estimate_equivariantly():
    """With self_condition the previous estimate P is an input: the output depends on it, permuting A_t, the
    fixed pairs and P together permutes the output, and the sampler hands each step the last step's P."""
    torch.manual_seed(0)
    net = GraphDenoiser(GraphDenoiserConfig(features=FEATURES, self_condition=True), SCHEDULE.T).eval()
    a_t, t = noisy_graphs()
    fixed = fixed_pairs(FAMILY.n, COND_NODES).expand(len(a_t), -1, -1)
    prev = torch.sigmoid(torch.randn(a_t.shape, generator=torch.Generator().manual_seed(3)))
    prev = 0.5 * (prev + prev.transpose(1, 2))
    perm = torch.from_numpy(np.random.default_rng(2).permutation(FAMILY.n))
    with torch.no_grad():
        out = net(a_t, t, fixed, prev)
        assert (out - net(a_t, t, fixed)).abs().max() > 1e-3
        out_p = net(permuted(a_t, perm), t, permuted(fixed, perm), permuted(prev, perm))
    assert float((permuted(out, perm) - out_p).abs().max()) < 1e-4
    assert equivariance_error(net, a_t, t, fixed, perm) < 1e-4        # no estimate yet (the first step)

    seen = []

    class Recording(torch.nn.Module):
        def forward(self, a, steps, fixed, prev=None):
            seen.append(None if prev is None else prev.clone())
            return net(a, steps, fixed, prev)

    from diffusion.models.graphs.discrete import TrainedGraphModel
    tm = TrainedGraphModel("graphs", GRAPH_PRESETS["quick"], Recording(), SCHEDULE, {}, {}, "x", {"density": DENSITY})
    tr = sample_graphs(tm, 2, seed=0)
    assert seen[0] is None and len(seen) == SCHEDULE.T
    assert torch.allclose(seen[1], torch.from_numpy(tr.edge_prob[0]), atol=1e-6)   # step 2 reads step 1's estimate


def test_graph_benchmark_reports_every_row_and_check():
    """The benchmark's figures on the quick model: the rows (the exact denoiser's among them), validity
    over `draws` sets for the real and unconditional rows, and every check with a bound."""
    from diffusion.models import get_model
    from diffusion.models.graphs.benchmark import CONDITIONAL, EXACT, MODEL, REAL, benchmark

    result = benchmark(get_model("graphs", "quick", progress=False), "quick", n=16, draws=2, conditions=2)
    rows = result["rows"]
    assert rows[REAL]["n"] == 32 and rows[MODEL]["n"] == 32
    assert rows[EXACT]["n"] == 16
    assert rows[CONDITIONAL]["preserved"] == 1.0
    assert {c["name"] for c in result["checks"]} >= {"validity", "between-block edges", "degree MMD²"}
    assert all(isinstance(c["met"], bool) for c in result["checks"])


def test_t_focus_draws_its_share_from_the_middle_and_settings_keep_the_cache_key():
    from dataclasses import replace as dc_replace

    from diffusion.core.schedule import sample_train_t
    from diffusion.models.digits.config import PRESETS as DIGIT_PRESETS, TrainConfig
    t = sample_train_t(20000, 100, torch.Generator().manual_seed(0), (0.3, 0.75, 0.5)).numpy()
    inside = ((t >= 30) & (t < 75)).mean()
    assert abs(inside - (0.5 + 0.5 * 0.45)) < 0.02 and t.min() >= 0 and t.max() <= 99
    plain = sample_train_t(64, 100, torch.Generator().manual_seed(3))        # () is a plain randint, bit for bit
    assert torch.equal(plain, torch.randint(0, 100, (64,), generator=torch.Generator().manual_seed(3)))
    for config in (GRAPH_PRESETS["quick"], DIGIT_PRESETS["quick"]):          # both models check the range
        with pytest.raises(ValueError, match="t_focus"):
            dc_replace(config, t_focus=(0.8, 0.2, 0.5))
    assert "t_focus" not in DIGIT_PRESETS["default"].to_dict()
    focused = dc_replace(DIGIT_PRESETS["default"], t_focus=(0.1, 0.6, 0.5))
    assert TrainConfig.from_dict(focused.to_dict()) == focused
    quick = GRAPH_PRESETS["quick"].to_dict()                 # settings left off: the keys as before they existed
    assert "t_focus" not in quick and not {"self_condition", "likelihood_skip"} & set(quick["denoiser"])
    assert dc_replace(GRAPH_PRESETS["quick"], t_focus=(0.3, 0.75, 0.5)).to_dict()["t_focus"] == (0.3, 0.75, 0.5)
    assert GRAPH_PRESETS["default"].to_dict()["t_focus"] == (0.15, 0.45, 0.5)


def test_likelihood_skip_adds_the_forward_process_bayes_term():
    """With likelihood_skip the output logit is the network's plus log q(a | edge) / q(a | no edge): with the
    network's part held at logit(pi), the output is Bayes by hand, pi q1 / (pi q1 + (1 - pi) q0), for observed
    edges and non-edges at every t; the skip keeps the denoiser equivariant and the default cache key."""
    from dataclasses import replace as dc_replace

    config = GraphDenoiserConfig(features=FEATURES, likelihood_skip=True)
    with pytest.raises(ValueError, match="likelihood_skip"):
        GraphDenoiser(config, SCHEDULE.T)
    net = GraphDenoiser(config, SCHEDULE.T, EDGES).eval()
    pi = 0.2
    with torch.no_grad():
        net.out[-1].weight.zero_()
        net.out[-1].bias.fill_(float(np.log(pi / (1 - pi))))
    a_t, t = noisy_graphs()
    p = torch.sigmoid(net(a_t, t).double())
    ab = SCHEDULE.alpha_bar[t].double()[:, None, None]
    keep_or_draw_edge = ab + (1 - ab) * DENSITY               # q(a = 1 | clean edge)
    q1 = torch.where(a_t > 0, keep_or_draw_edge, 1 - keep_or_draw_edge)
    q0 = torch.where(a_t > 0, (1 - ab) * DENSITY, 1 - (1 - ab) * DENSITY)
    by_hand = pi * q1 / (pi * q1 + (1 - pi) * q0)
    off = ~torch.eye(FAMILY.n, dtype=torch.bool)
    assert torch.allclose(p[:, off], by_hand[:, off], atol=1e-5)

    torch.manual_seed(0)
    net = GraphDenoiser(config, SCHEDULE.T, EDGES).eval()
    fixed = fixed_pairs(FAMILY.n, COND_NODES).expand(len(a_t), -1, -1)
    perm = torch.from_numpy(np.random.default_rng(4).permutation(FAMILY.n))
    with torch.no_grad():
        assert equivariance_error(net, a_t, t, fixed, perm) < 1e-4
    default = GRAPH_PRESETS["default"]
    assert "likelihood_skip" not in dc_replace(default, denoiser=dc_replace(default.denoiser,
                                                                            likelihood_skip=False)).to_dict()["denoiser"]

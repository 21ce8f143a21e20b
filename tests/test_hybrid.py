"""The switch bench/hybrid.py samples with: the learned denoiser on one side of a step, the exact one on the other."""
import pytest
import torch
import torch.nn as nn

from diffusion.core.switch import SwitchAt


class Constant(nn.Module):
    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, x, t, *args):
        return torch.full_like(x, self.value)


def test_switch_calls_high_from_tau_up_and_low_below_with_every_argument():
    net = SwitchAt(Constant(1.0), Constant(-1.0), tau=40)
    x = torch.zeros(3, 2, 2)
    assert (net(x, torch.full((3,), 40)) == 1).all() and (net(x, torch.full((3,), 99)) == 1).all()
    assert (net(x, torch.full((3,), 39), None, None) == -1).all()      # graph denoisers also take fixed, prev
    with pytest.raises(ValueError, match="one step"):
        net(x, torch.tensor([10, 50, 50]))


def test_switching_at_zero_is_the_high_denoiser_alone():
    """The switch adds nothing of its own: with tau = 0 the exact graph denoiser's chain is bit for bit its own."""
    from dataclasses import replace

    from diffusion.core.schedule import NoiseSchedule
    from diffusion.models.graphs.config import GRAPH_PRESETS
    from diffusion.models.graphs.discrete import TrainedGraphModel, sample_graphs
    from diffusion.models.graphs.exact import ExactSBMDenoiser

    config = GRAPH_PRESETS["quick"]
    schedule = NoiseSchedule(config.schedule, config.T)
    exact = ExactSBMDenoiser(config.family, schedule, 0.35)
    tm = TrainedGraphModel("graphs", config, exact, schedule, {}, {}, "x", {"density": 0.35})
    alone = sample_graphs(tm, 4, seed=3, record=False).final
    switched = sample_graphs(replace(tm, model=SwitchAt(exact, Constant(-30.0), 0)), 4, seed=3,
                             record=False).final
    assert (alone == switched).all()
    never = sample_graphs(replace(tm, model=SwitchAt(exact, Constant(-30.0), config.T)), 4, seed=3,
                          record=False).final
    assert never.sum() == 0                  # the low side alone (logit -30: no edge survives) ends empty


class Scale(nn.Module):
    """x times a learned scale: a module with parameters, so the fast sampler wraps and traces it."""

    def __init__(self, value):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(float(value)))

    def forward(self, x, t, *args):
        return self.w * x


def test_the_fast_samplers_trace_does_not_freeze_the_switch():
    """fast_eps_model traces the network it is given at its first step (t near T); the switch must still
    take its low branch below tau, on every chunk (300 rows: chunks of 128, 128 and 44)."""
    from diffusion.core.inference import fast_eps_model

    fast = fast_eps_model(SwitchAt(Scale(1.0), Scale(-1.0), tau=500), (1, 8, 8))
    x = torch.randn(300, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert torch.equal(fast(x, torch.full((300,), 999)), x)            # traced here, at t >= tau
        assert torch.equal(fast(x, torch.full((300,), 10)), -x)            # frozen, this would be x again

"""The ODE solvers of the one sampling loop (DPM-Solver++(2M), Heun): how they spend network calls, their
one-line errors, that they reduce to DDIM where they should, and that they work for every kind of
eps-model (U-Net, guided conditional U-Net, 1D and 2D points). Oracle and order tests: test_solver_oracles.py."""

import numpy as np
import pytest
import torch

from diffusion.core.guidance import GuidedEps
from diffusion.core.ode import call_stages, heun_plan, ode_steps
from diffusion.core.sample import SDE_SOLVERS, SOLVERS, sample, sample_steps
from diffusion.core.schedule import NoiseSchedule
from diffusion.models.digits.network import UNet, UNetConfig


@pytest.mark.parametrize("nfe,plan", [(1, (1, 0)), (2, (2, 0)), (3, (2, 1)), (4, (3, 1)), (5, (3, 2)),
                                      (10, (6, 4)), (49, (25, 24)), (50, (26, 24))])
def test_heun_plan_spends_exactly_the_calls(nfe, plan):
    assert heun_plan(nfe) == plan
    intervals, heun = plan
    assert 2 * heun + (intervals - heun) == nfe
    assert len(call_stages(nfe)) == nfe and call_stages(nfe)[-1] == "euler"


def test_ode_steps_heun_is_second_order_on_a_known_ode():
    # dx/ds = x from s = 0 to 1: Euler errs O(h), Heun O(h^2), against e
    def err(intervals, heun):
        grid = np.linspace(0, 1, intervals + 1)
        x = torch.ones(1, dtype=torch.float64)
        for call in ode_steps(lambda x, i: x, x, grid, heun):
            pass
        return abs(call.x_next.item() - np.e)
    assert err(40, 0) / err(80, 0) == pytest.approx(2, rel=0.05)
    assert err(40, 40) / err(80, 80) == pytest.approx(4, rel=0.05)


@pytest.mark.parametrize("sampler", SOLVERS)
@pytest.mark.parametrize("nfe", [1, 2, 5, 10])
def test_one_step_per_network_call(quick_model, sampler, nfe):
    tm = quick_model
    calls = []
    model = lambda x, t: calls.append(int(t[0])) or tm.model(x, t)
    tr = sample(model, tm.schedule, tm.noise(3, 0), sampler, nfe)
    assert len(calls) == nfe == len(tr.timesteps) and list(tr.timesteps) == calls
    assert tr.x.shape == (nfe + 1, 3, *tm.image_shape) and tr.x0_hat.shape == (nfe, 3, *tm.image_shape)
    assert tr.sampler == sampler and tr.eta == 0.0 and len(tr.stages) == nfe
    assert np.isfinite(tr.final).all() and np.abs(tr.final).max() <= 1 + 1e-6   # lands on a clipped x0_hat


def test_heun_steps_chain_and_stages(quick_model):
    tm = quick_model
    steps = list(sample_steps(tm.model, tm.schedule, tm.noise(2, 0), "heun", 5))
    assert [s.stage for s in steps] == ["predict", "correct", "predict", "correct", "euler"]
    ts = tm.schedule.timesteps(3)
    assert [(s.t, s.t_prev) for s in steps] == [(ts[0], ts[1]), (ts[1], ts[1]), (ts[1], ts[2]), (ts[2], ts[2]),
                                                 (ts[2], -1)]
    for a, b in zip(steps, steps[1:]):             # each call starts where the last one left the state
        torch.testing.assert_close(b.x_t, a.x_prev, rtol=1e-5, atol=1e-5)


def test_solvers_reduce_to_ddim(quick_model):
    from diffusion.models.toy2d.mixture import ExactEps, Spiral

    s = NoiseSchedule("linear", 1000)
    exact, x64 = ExactEps(Spiral(), s), torch.randn(8, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    tm = quick_model
    x_T = tm.noise(4, 1)
    for nfe in (1, 2):                                 # Heun with 1 or 2 calls is Euler, i.e. DDIM eta 0
        a, b = sample(exact, s, x64, "ddim", nfe, clip_x0=False), sample(exact, s, x64, "heun", nfe, clip_x0=False)
        np.testing.assert_allclose(a.x, b.x, atol=1e-12)
        # float32: both take x0_hat = (x - sqrt(1 - ab) eps) / sqrt(ab) at sigma_T ~ 157, good to ~157 ulp
        a, b = sample(tm.model, tm.schedule, x_T, "ddim", nfe), sample(tm.model, tm.schedule, x_T, "heun", nfe)
        np.testing.assert_allclose(a.x, b.x, atol=1e-4)
    a, b = sample(tm.model, tm.schedule, x_T, "ddim", 10), sample(tm.model, tm.schedule, x_T, "dpm++2m", 10)
    np.testing.assert_allclose(a.x[1], b.x[1], atol=1e-5)      # DPM-Solver++'s first step is first order
    assert np.abs(a.x[2] - b.x[2]).max() > 1e-3                 # then it is not DDIM
    np.testing.assert_allclose(b.x[-1], b.x0_hat[-1], atol=1e-6)  # and its last step lands on x0_hat


def test_solver_bad_combinations_are_one_line_errors(quick_model):
    tm = quick_model
    known = torch.zeros(1, 1, 8, 8)
    for kw, words in ((dict(sampler="heun", eta=0.5), "eta must be 0"),
                      (dict(sampler="dpm++2m", eta=1.0), "eta must be 0"),
                      (dict(sampler="heun", steps=1000, known=known, mask=known, jump=2, resample=2), "RePaint"),
                      (dict(sampler="dpm++2m", steps=1001), "steps must be"),
                      (dict(sampler="rk4"), "unknown sampler")):
        args = dict(steps=10) | kw
        with pytest.raises(ValueError, match=words) as e:
            next(sample_steps(tm.model, tm.schedule, tm.noise(1, 0), **args))
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("sampler", SOLVERS)
def test_solvers_inpaint_and_start_midway(quick_model, sampler):
    tm = quick_model
    known = torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8).repeat(2, 1, 1, 1)
    mask = torch.zeros_like(known); mask[..., :4, :] = 1
    tr = sample(tm.model, tm.schedule, tm.noise(2, 0), sampler, 7, 0.0, torch.Generator().manual_seed(0),
                known=known, mask=mask)
    np.testing.assert_allclose(tr.final[..., :4, :], known.numpy()[..., :4, :], atol=1e-6)
    tr = sample(tm.model, tm.schedule, tm.noise(2, 0), sampler, 5, start=300)
    assert tr.timesteps[0] == 300 and len(tr.timesteps) == 5


@pytest.mark.parametrize("sampler", SOLVERS)
def test_solvers_take_a_guided_conditional_model(sampler):
    torch.manual_seed(0)
    net = UNet(UNetConfig(base_channels=8, time_dim=16, groups=4, num_classes=10)).eval()
    s = NoiseSchedule("linear", 1000)
    x_T = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    plain = sample(GuidedEps(net, 3, 0.0), s, x_T, sampler, 6, record=False)
    guided = sample(GuidedEps(net, 3, 2.0), s, x_T, sampler, 6, record=False)
    assert plain.shape == guided.shape == x_T.shape and not torch.equal(plain, guided)
    labels = sample(net, s, x_T, sampler, 6, record=False, model_kwargs=dict(y=torch.tensor([3, 3, 3])))
    torch.testing.assert_close(plain, labels)                 # the callable and model_kwargs agree


@pytest.mark.parametrize("sampler", SOLVERS)
def test_solvers_on_points(sampler):
    from diffusion.models.toy2d.mixture import ExactEps, Spiral

    s = NoiseSchedule("linear", 1000)
    x_T = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    out = sample(ExactEps(Spiral(), s), s, x_T, sampler, 20, clip_x0=False, record=False)
    assert out.shape == (16, 2) and out.dtype == torch.float32 and torch.isfinite(out).all()
    x1 = torch.randn(16, 1, generator=torch.Generator().manual_seed(0))
    eps_1d = lambda x, t: 0.5 * x                    # any (N, 1) eps-model
    assert sample(eps_1d, s, x1, sampler, 9, clip_x0=False, record=False).shape == (16, 1)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", SOLVERS + SDE_SOLVERS)
def test_cli_samples_digits_with_each_solver(tmp_path, quick_model, run_main, sampler):
    from diffusion.__main__ import main

    out = tmp_path / "s.npz"
    cmd = ["sample", "digits", "--n", "6", "--sampler", sampler, "--steps", "7", "--out", out]
    r = run_main(main, *cmd)
    assert r.returncode == 0, r.stderr
    first = np.load(out)["samples"]
    assert first.shape == (6, 8, 8) and f"{sampler} 7 steps" in r.stdout
    assert run_main(main, *cmd).returncode == 0 and np.array_equal(np.load(out)["samples"], first)  # seeded
    assert run_main(main, *cmd, "--seed", "1").returncode == 0 and not np.array_equal(np.load(out)["samples"], first)
    r = run_main(main, *cmd, "--eta", "0.5")
    assert r.returncode == 2 and "eta must be 0" in r.stderr


class SignBranch(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(()))

    def forward(self, x, t):
        return self.w * x if x.sum() > 0 else -x


class RowCount(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(()))

    def forward(self, x, t):
        return torch.zeros(int(x.shape[0]), 1, 1, 1) + self.w * x      # int(): a trace keeps the 128 it saw


def test_fast_eps_model_is_the_same_function(quick_model):
    from diffusion.core.inference import FastEps, fast_eps_model

    tm = quick_model
    x, t = tm.noise(300, 0), torch.randint(0, 1000, (300,), generator=torch.Generator().manual_seed(0))
    fast = fast_eps_model(tm.model, tm.shape, chunk=128)
    assert isinstance(fast, FastEps)
    with torch.inference_mode():
        assert torch.equal(fast(x, t), tm.model(x, t))          # chunks: every layer works per image
        threads = torch.get_num_threads()
        assert torch.equal(FastEps(tm.model, 64, workers=2)(x, t), tm.model(x, t))   # chunks on two threads
        assert torch.get_num_threads() == threads               # the caller's thread count is restored
        traced = FastEps(tm.model, 64, workers=2, trace=True)
        assert torch.equal(traced(x, t), tm.model(x, t)) and list(traced._traced.values())[0] is not None
        branchy = FastEps(SignBranch(), 300, trace=True)        # a branch on the data: a trace would freeze it
        assert torch.equal(branchy(x, t), SignBranch()(x, t)) and list(branchy._traced.values()) == [None]
        sized = FastEps(RowCount(), 128, trace=True)            # a size read as a number: frozen at 128 rows
        assert torch.equal(sized(x, t), RowCount()(x, t)) and list(sized._traced.values()) == [None]
        torch.testing.assert_close(FastEps(tm.model, 128, channels_last=True)(x, t), tm.model(x, t),
                                   rtol=1e-5, atol=1e-5)
    a = sample(tm.model, tm.schedule, tm.noise(300, 1), "dpm++2m", 10, record=False)
    assert torch.equal(a, sample(fast, tm.schedule, tm.noise(300, 1), "dpm++2m", 10, record=False))
    net = UNet(UNetConfig(base_channels=8, time_dim=16, groups=4, num_classes=10)).eval()
    y = torch.arange(300) % 10                                  # per-row labels are cut with the rows
    with torch.inference_mode():
        torch.testing.assert_close(FastEps(net, chunk=64)(x, t, y=y), net(x, t, y=y), rtol=1e-5, atol=1e-5)
    points = torch.nn.Linear(2, 2)
    assert fast_eps_model(points, (2,)) is points                # not images: left as it is


def test_keep_freed_memory_is_set_once_where_glibc_is():
    import ctypes
    import platform

    from diffusion.core.inference import keep_freed_memory

    try:
        glibc = platform.system() == "Linux" and ctypes.CDLL("libc.so.6") is not None
    except OSError:
        glibc = False
    assert keep_freed_memory() is glibc and keep_freed_memory() is glibc

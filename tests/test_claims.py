"""Claims as data (scenes/kit/claims.py) and the formulas on screen against the library code that made
the frames: DDIM's update (DDIMDeterminism), the clipped x0_hat (ReverseProcess)."""
from __future__ import annotations

import pytest
import torch

from diffusion.core.schedule import NoiseSchedule
from scenes.kit.claims import ClaimFailed, choose, claim, require, worded


# --- the framework ------------------------------------------------------------------------------

class _Scene:
    measured = 0.3

    @classmethod
    def claims(cls):
        return [claim("share_below_half", cls.measured, cls.measured < 0.5, "most are forgotten"),
                worded("share_words", cls.measured, [(lambda v: v >= 0.5, "most"), (lambda v: True, "a minority")])]


def test_require_names_the_false_claim():
    assert require(_Scene)["share_words"].text == "a minority"      # words chosen by the measurement

    class Wrong(_Scene):
        measured = 0.7

    with pytest.raises(ClaimFailed, match="share_below_half"):
        require(Wrong)
    with pytest.raises(ValueError, match="no wording"):
        choose(1.0, [(lambda v: v < 0, "negative")])


def test_claims_command_prints_a_line_per_claim_and_rejects_unknown_scenes(run_main):
    from scenes.kit.cli import main

    r = run_main(main, "claims", "ForwardEquation")
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 4 and all(l.startswith("ForwardEquation") and " true " in l for l in lines)
    assert any("cosine_beta_small_share" in l for l in lines)
    r = run_main(main, "claims", "NoSuchScene")
    assert r.returncode == 2 and "unknown scene 'NoSuchScene'" in r.stderr


# --- DDIM's update as shown in DDIMDeterminism ------------------------------------------------------

@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("t,t_prev", [(999, 979), (500, 250), (20, 0), (19, -1)])
def test_ddim_formula_on_screen_is_ddim_step(t, t_prev, eta, clip):
    from scenes.kit.data.ddim_determinism import ddim_update_on_screen

    s = NoiseSchedule("linear", 1000)
    g = torch.Generator().manual_seed(t)
    x_t = 1.5 * torch.randn(4, 1, 8, 8, generator=g, dtype=torch.float64)    # x0_hat leaves [-1, 1]: clipping acts
    eps = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
    z = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
    ab_t = s.alpha_bar[t].item()
    ab_prev = s.alpha_bar[t_prev].item() if t_prev >= 0 else 1.0
    shown, x0_shown, _ = ddim_update_on_screen(x_t, eps, ab_t, ab_prev, eta, z, clip=clip)
    code, x0_code = s.ddim_step(x_t, t, t_prev, eps, eta, z, clip_x0=clip)
    assert torch.allclose(shown, code, atol=1e-10) and torch.allclose(x0_shown, x0_code, atol=1e-12)


def test_ddim_with_clipping_rederives_eps_from_the_clipped_x0():
    s = NoiseSchedule("linear", 1000)
    t, t_prev = 600, 400
    g = torch.Generator().manual_seed(0)
    x_t = 2.0 * torch.randn(2, 1, 8, 8, generator=g, dtype=torch.float64)
    eps = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
    x_prev, x0 = s.ddim_step(x_t, t, t_prev, eps, 0.0, None, clip_x0=True)
    raw = s.predict_x0(x_t, t, eps)
    assert (raw.abs() > 1).any() and x0.abs().max() <= 1 and torch.equal(x0, raw.clamp(-1, 1))
    eps_c = (x_t - s.alpha_bar[t].sqrt() * x0) / (1 - s.alpha_bar[t]).sqrt()
    ab_p = s.alpha_bar[t_prev]
    assert torch.allclose(x_prev, ab_p.sqrt() * x0 + (1 - ab_p).sqrt() * eps_c, atol=1e-12)
    # with eta = 0 and the re-derived eps, the step stays on the line through x_t and the clipped x0:
    # not the update with the network's own eps
    assert not torch.allclose(x_prev, ab_p.sqrt() * x0 + (1 - ab_p).sqrt() * eps, atol=1e-3)


# --- ReverseProcess: x0_hat = clip(...), and the step q(x_{t-1} | x_t, x0_hat) uses the clipped one ---

def test_reverse_process_x0_formula_is_ddpm_step():
    s = NoiseSchedule("linear", 1000)
    g = torch.Generator().manual_seed(1)
    for t in (999, 500, 29, 0):
        x_t = torch.randn(3, 1, 8, 8, generator=g, dtype=torch.float64)
        eps = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
        z = torch.randn(x_t.shape, generator=g, dtype=torch.float64)
        ab = s.alpha_bar[t]
        shown = ((x_t - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-1, 1)
        x_prev, x0 = s.ddpm_step(x_t, t, eps, z, clip_x0=True)
        assert torch.allclose(x0, shown, atol=1e-12)
        mean, var = s.posterior(shown, x_t, t)
        assert torch.allclose(x_prev, mean if t == 0 else mean + var.sqrt() * z, atol=1e-12)


# --- ImageInpainting: x_{t-1} = mask * q(x_{t-1} | x_0) + (1 - mask) * p_theta(x_{t-1} | x_t) ------------

def test_inpainting_step_on_screen_is_the_sampling_loop():
    from diffusion.core.sample import sample_steps

    s = NoiseSchedule("linear", 50)
    model = lambda x, t: 0.3 * x                                          # any eps-model will do
    x_T = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    known = torch.rand(x_T.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1
    mask = torch.zeros_like(x_T)
    mask[..., :4, :] = 1
    step = next(sample_steps(model, s, x_T, "ddpm", 50, generator=torch.Generator().manual_seed(2),
                             known=known, mask=mask))
    g = torch.Generator().manual_seed(2)                                  # the same draws, in the loop's order
    noise, z = torch.randn(x_T.shape, generator=g), torch.randn(x_T.shape, generator=g)
    model_part, _ = s.ddpm_step(x_T, 49, model(x_T, 49), noise)          # p_theta(x_{t-1} | x_t)
    known_part = s.add_noise(known, 48, z)                                # q(x_{t-1} | x_0), re-noised
    assert torch.allclose(step.x_prev, mask * known_part + (1 - mask) * model_part, atol=1e-6)

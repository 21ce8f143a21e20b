"""ForwardEquation, data: the two schedules (linear, cosine), the scene's image and its one fixed eps,
and the claims the narration makes about the schedules. No trained model."""
from __future__ import annotations

import numpy as np
import torch

from diffusion.core.schedule import NoiseSchedule
from diffusion.studies import forward as F
from diffusion.studies.images import describe_source, image_from_env  # noqa: F401  (describe_source: the image's caption)
from scenes.kit.claims import choose, fact

T = 1000
RES = 48                                   # the image is shown at RES x RES pixels
EPS_SEED = 0                               # the one eps used for every t
STRIP_T = (1, 50, 150, 260, 500, 1000)     # paper's t in the film strip (260 = linear SNR = 1 step)
BETA_MAX = 0.04                            # beta axes top; larger betas (cosine's last steps) are clipped

NEEDS = ()                                 # no trained model: the schedule and an image


def image_and_eps():
    """The scene's image x_0 (RES x RES in [-1, 1]) and its one fixed eps."""
    x0 = image_from_env(RES)
    eps = torch.randn(RES, RES, generator=torch.Generator().manual_seed(EPS_SEED), dtype=torch.float64).numpy()
    return x0, eps


def validate_inputs():
    image_from_env(RES)


def claims():
    lin, cos = NoiseSchedule("linear", T), NoiseSchedule("cosine", T)
    ab_T = lin.alpha_bar[-1].item()
    bl, bc = lin.betas.numpy(), cos.betas.numpy()
    small_share = float((bc <= BETA_MAX).mean())
    # every one a constant of the two schedules: facts of the construction, shown, not evidence
    return [
        fact("linear_alpha_bar_T", ab_T, ab_T < 1e-3, "almost no signal is left at T (linear)"),
        fact("linear_beta_max", float(bl.max()), bl.max() <= BETA_MAX, f"linear beta stays below {BETA_MAX:g}"),
        fact("cosine_beta_small_share", round(small_share, 3), True, choose(small_share, [
            (lambda v: v == 1, f"cosine beta stays below {BETA_MAX:g} too"),
            (lambda v: True, f"cosine beta stays below {BETA_MAX:g} for {small_share:.0%} of the steps, then "
                             f"climbs to {bc.max():.3f} at t = {int(np.argmax(bc)) + 1}")])),
        fact("cosine_snr1_later", (F.snr_crossing(lin), F.snr_crossing(cos)),
             F.snr_crossing(cos) > F.snr_crossing(lin), "the cosine schedule keeps the image longer (SNR = 1 later)"),
    ]

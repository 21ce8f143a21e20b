"""The spiral's exact ODE solution and a solver's distance to it: what the order and spacing tests share."""
import numpy as np
import torch

from diffusion.core.sample import sample_steps
from diffusion.core.schedule import NoiseSchedule


def spiral_reference(n: int = 64, seed: int = 0):
    """(schedule, exact eps-model, x_T, x_0 of the exact ODE solved finely) for n spiral particles."""
    from diffusion.models.toy2d.flow import exact_eps_fn, ode_sample
    from diffusion.models.toy2d.mixture import ExactEps, Spiral

    s, mix = NoiseSchedule("linear", 1000), Spiral()
    x = torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    ref = ode_sample(exact_eps_fn(mix), s, x, [0], rtol=1e-10, atol=1e-10)[0]
    return s, ExactEps(mix, s), x, ref


def error_at_t0(sampler, nfe, model, schedule, x, ref, spacing="uniform") -> float:
    """Median distance to `ref` of the state at t = 0, before the last step to the data."""
    for st in sample_steps(model, schedule, x, sampler, nfe, clip_x0=False, spacing=spacing):
        if st.t_prev == -1:
            return float(np.median(np.linalg.norm(st.x_t.numpy() - ref, axis=-1)))

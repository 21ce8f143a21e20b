"""Build ahead of time everything the sampler-noise scenes load (DDIMDeterminism, ForwardBackward,
Trajectories1D), for the active preset ($DIFFUSION_PRESET):

    python -m diffusion.prepare

The 1D model and its trajectories, the digits model, the classifier and the DDIM experiments are
cached (get_or_build), so scenes only load them. The scenes read the specs below, so what is prepared
is exactly what they load.
"""
from __future__ import annotations

import sys
import time

TOY1D_TRAJECTORIES = dict(ddpm=dict(n=2000, seed=0, sampler="ddpm", steps=None),
                          ddim=dict(n=2000, seed=0, sampler="ddim", steps=100))


def toy1d_trajectories(tm) -> dict:
    from .models.toy1d.mixture import get_toy1d_trajectory

    return {name: get_toy1d_trajectory(tm, **spec) for name, spec in TOY1D_TRAJECTORIES.items()}


def main(progress: bool = True) -> int:
    from .studies.experiments import RUNS, default_config, get_experiment
    from .models import get_model

    t0 = time.perf_counter()
    toy = get_model("toy1d", progress=progress)
    toy1d_trajectories(toy)
    print(f"toy1d model {toy.key} and trajectories ready ({time.perf_counter() - t0:.1f}s)")
    tm = get_model("digits", progress=progress)
    cfg = default_config()
    for name in RUNS:
        get_experiment(name, tm, cfg)
    print(f"digits model {tm.key} and experiments {', '.join(RUNS)} ready ({time.perf_counter() - t0:.1f}s)")
    from .studies.guidance import default_study_config, get_guidance_study

    cm = get_model("digits-cond", progress=progress)
    get_guidance_study(cm, default_study_config(), progress=progress)
    print(f"conditional digits model {cm.key} and guidance sweep ready ({time.perf_counter() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

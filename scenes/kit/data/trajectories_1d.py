"""Trajectories1D, data: the 1D two-bump model and DDPM and DDIM paths of the same particles; how often
pairs swap order, where the flow splits the starting line; the claims the narration makes about them."""
from __future__ import annotations

import sys

import numpy as np

from diffusion.models import get_model
from diffusion.models.toy1d.mixture import get_toy1d_trajectory, mode_boundary, order_flip_share
from scenes.kit.claims import worded
from scenes.kit.preset import scene_preset

# the particles both samplers start from (the same x_T): DDPM over every step, DDIM over 100
TRAJECTORIES = dict(ddpm=dict(n=2000, seed=0, sampler="ddpm", steps=None),
                    ddim=dict(n=2000, seed=0, sampler="ddim", steps=100))


def toy1d_model():
    """the 1D two-bump MLP eps-model of the scenes' preset"""
    return get_model("toy1d", scene_preset(), progress=sys.stderr.isatty())


def trajectories() -> dict:
    """DDPM and DDIM paths of the same particles (toy1d model)"""
    tm = toy1d_model()
    return {name: get_toy1d_trajectory(tm, **spec) for name, spec in TRAJECTORIES.items()}


def split_points(traj, mix) -> int:
    """How many times the final bump changes along the starting line (x_T sorted): 1 when the flow
    splits the line in two at one point."""
    ends = traj.final[np.argsort(traj.x[0, :, 0]), 0] > mode_boundary(mix)
    return int((ends[1:] != ends[:-1]).sum())


def measure():
    tm = toy1d_model()
    trajs = trajectories()
    ddpm, ddim = trajs["ddpm"], trajs["ddim"]
    return tm, ddpm, ddim, order_flip_share(ddpm.x[0], ddpm.final), order_flip_share(ddim.x[0], ddim.final)


NEEDS = (toy1d_model, trajectories)


def claims():
    tm, ddpm, ddim, flips_ddpm, flips_ddim = measure()
    splits = split_points(ddim, tm.config.mixture)
    # the other sampler's paths in place of the named one's: what mixing up the two would measure
    return [
        worded("ddpm_order_swaps", round(flips_ddpm, 4), [
            (lambda v: v > 0.01, "The paths are jagged and cross: where a particle starts says little about where it ends."),
            (lambda v: True, f"The paths are jagged but rarely cross ({flips_ddpm:.1%} of pairs swap order).")],
            perturb={"DDIM's paths in place of DDPM's": lambda: round(flips_ddim, 4)}),
        worded("ddim_order_swaps", round(flips_ddim, 4), [
            (lambda v: v == 0, "The paths are smooth and never cross: the flow keeps the order of the particles"),
            (lambda v: v < 0.001, f"The paths are smooth and almost never cross ({flips_ddim:.2%} of pairs swap "
                                  f"order): the flow keeps the order of the particles"),
            (lambda v: True, f"The paths are smooth, yet {flips_ddim:.1%} of pairs swap order")],
            perturb={"DDPM's paths in place of DDIM's": lambda: round(flips_ddpm, 4)}),
        worded("ddim_split_points", splits, [
            (lambda k: k == 1, "and splits the starting line in two at one point."),
            (lambda k: True, f"and the bump a particle ends in changes {splits} times along the starting line.")],
            perturb={"DDPM's paths in place of DDIM's": lambda: split_points(ddpm, tm.config.mixture)}),
    ]

"""Every model has the same three presets; this is the one place that reads $DIFFUSION_PRESET.

quick: seconds, for tests.  default: what renders use (minutes on 2 CPU cores).  large: GPU or patience.
"""
from __future__ import annotations

import os

PRESET_NAMES = ("quick", "default", "large")


def preset_name(name: str | None = None) -> str:
    """`name`, else $DIFFUSION_PRESET, else "default"; a one-line error for anything else."""
    name = name or os.environ.get("DIFFUSION_PRESET") or "default"
    if name not in PRESET_NAMES:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}")
    return name


def check_table(model: str, table: dict) -> dict:
    """A model's preset table must name exactly quick, default and large."""
    if tuple(table) != PRESET_NAMES:
        raise ValueError(f"{model}: preset table has {tuple(table)}, expected {PRESET_NAMES}")
    return table

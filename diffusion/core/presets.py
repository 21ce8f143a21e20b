"""Every model has the same three presets, and the `Preset` that names one.

quick: seconds, for tests.  default: what renders use (minutes on 2 CPU cores).  large: GPU or patience.

A preset is chosen once at the edges (the command lines, the scene base class, test fixtures) with
`active_preset()`, the one reader of $DIFFUSION_PRESET, and handed down as a `Preset`; library code
takes it as an argument and never reads the environment.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

PRESET_NAMES = ("quick", "default", "large")


@dataclass(frozen=True)
class Preset:
    """One of PRESET_NAMES, checked when made (a one-line error for anything else)."""
    name: str = "default"

    def __post_init__(self):
        if self.name not in PRESET_NAMES:
            raise ValueError(f"unknown preset {self.name!r}; choose one of {', '.join(PRESET_NAMES)}")

    @property
    def quick(self) -> bool:
        """The test preset: studies built on it shrink to match (seconds, not minutes)."""
        return self.name == "quick"

    def __str__(self) -> str:
        return self.name


def as_preset(preset: Preset | str) -> Preset:
    """A Preset from itself or its name."""
    if isinstance(preset, Preset):
        return preset
    if not isinstance(preset, str):
        raise TypeError(f"a preset is a Preset or one of {', '.join(PRESET_NAMES)}, got {preset!r}")
    return Preset(preset)


def active_preset(name: str | None = None, default: str = "default", environ=None) -> Preset:
    """For the edges only: `name` (a --preset flag), else $DIFFUSION_PRESET, else `default`."""
    environ = os.environ if environ is None else environ
    return Preset(name or environ.get("DIFFUSION_PRESET") or default)


def check_table(model: str, table: dict) -> dict:
    """A model's preset table must name exactly quick, default and large."""
    if tuple(table) != PRESET_NAMES:
        raise ValueError(f"{model}: preset table has {tuple(table)}, expected {PRESET_NAMES}")
    return table

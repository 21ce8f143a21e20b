"""The scenes' preset: a `Preset` chosen once by the edge that runs scenes (`python -m scenes`, the
scene base class under `manim render`, the layout audit, publish, test fixtures) with `use_preset()`;
what the scenes load asks `scene_preset()` and hands it to the library. No Manim, no torch."""
from __future__ import annotations

from diffusion.core.presets import Preset

_PRESET: list = []                      # the one preset chosen by the edge (empty: none chosen yet)


def use_preset(preset: Preset) -> None:
    """The edge's choice; the scenes of one process share one preset (their data caches assume it)."""
    if _PRESET and _PRESET[0] != preset:
        raise RuntimeError(f"the scenes' preset is {_PRESET[0]}; this process cannot switch to {preset}")
    _PRESET[:] = [preset]


def scene_preset() -> Preset:
    """The preset the edge chose (use_preset); a one-line error where none did."""
    if not _PRESET:
        raise RuntimeError("no preset chosen for the scenes: the command that runs them calls "
                           "scenes.kit.preset.use_preset(active_preset()) first")
    return _PRESET[0]

"""The scenes' preset: chosen once by the edge that runs them, the same for every scene of a process."""
import pytest

from diffusion.core.presets import Preset
from scenes.kit import preset as scene_preset_slot


def test_scenes_load_nothing_before_an_edge_chose_a_preset(monkeypatch):
    monkeypatch.setattr(scene_preset_slot, "_PRESET", [])
    with pytest.raises(RuntimeError, match="no preset chosen for the scenes"):
        scene_preset_slot.scene_preset()


def test_a_process_keeps_the_preset_its_edge_chose(monkeypatch):
    monkeypatch.setattr(scene_preset_slot, "_PRESET", [])
    scene_preset_slot.use_preset(Preset("quick"))
    scene_preset_slot.use_preset(Preset("quick"))            # the same choice again (a second scene): fine
    assert scene_preset_slot.scene_preset() == Preset("quick")
    with pytest.raises(RuntimeError, match="the scenes' preset is quick; this process cannot switch to default"):
        scene_preset_slot.use_preset(Preset("default"))


def test_the_tests_run_their_scenes_on_the_quick_preset():
    assert scene_preset_slot.scene_preset() == Preset("quick")

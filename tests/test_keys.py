"""The one cache-key rule (diffusion/core/keys.py): a setting added later is left out of the key while off."""
from dataclasses import dataclass, field, replace

from diffusion.core import cache
from diffusion.core.keys import added, key_dict
from diffusion.models import get_config


@dataclass(frozen=True)
class Inner:
    width: int = 8
    gate: bool = added(False)


@dataclass(frozen=True)
class Outer:
    steps: int = 100
    inner: Inner = field(default_factory=Inner)
    features: tuple = added(())
    walk: int = added(4, refines="features")


def test_added_settings_leave_the_key_while_off_and_enter_it_when_on():
    assert key_dict(Outer()) == {"steps": 100, "inner": {"width": 8}}
    assert key_dict(Outer(inner=Inner(gate=True)))["inner"] == {"width": 8, "gate": True}
    # a refining setting follows the one it refines, whatever its own value
    assert "walk" not in key_dict(Outer(walk=9))
    assert key_dict(Outer(features=("walk",)))["walk"] == 4
    # a plain field is always in the key, even at its default
    assert key_dict(Outer(steps=100))["steps"] == 100


def test_switching_an_added_setting_on_changes_the_models_key():
    base = get_config("digits", "quick")
    on = replace(base, min_snr_gamma=5.0)
    assert cache.config_key(base.to_dict()) != cache.config_key(on.to_dict())
    assert "min_snr_gamma" not in base.to_dict() and on.to_dict()["min_snr_gamma"] == 5.0
    unet_on = replace(base, unet=replace(base.unet, attention=True))
    assert unet_on.to_dict()["unet"]["attention"] is True and "attention" not in base.to_dict()["unet"]

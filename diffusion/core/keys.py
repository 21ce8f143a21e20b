"""The one rule for cache keys. A config's cache key is the hash of its dict (core/cache.py, config_key),
so every field is part of it, with one exception: a setting added after models were trained is declared
with `added(off_value)`, and while it is off it is left out of the dict. Every model trained before the
setting existed keeps its key; switching the setting on gives a new one.

"Off" is the field's default, or, for a setting that only refines another (`refines="features"`: the
number of walk steps means nothing without the walk features), that the refined setting is off."""
from __future__ import annotations

import copy
from dataclasses import MISSING, Field, field, fields, is_dataclass


def added(off, *, refines: str | None = None) -> Field:
    """A config field added after models were trained, with `off` as its default (see the module doc)."""
    return field(default=off, metadata={"added": True, "refines": refines})


def _default(f: Field):
    return f.default if f.default is not MISSING else f.default_factory()


def _is_off(config, f: Field) -> bool:
    refines = f.metadata.get("refines")
    if refines is not None:
        g = next(x for x in fields(config) if x.name == refines)
        return getattr(config, refines) == _default(g)
    return getattr(config, f.name) == _default(f)


def key_dict(config) -> dict:
    """The config as the dict its cache key hashes: every field, nested configs as dicts, minus the
    added settings that are off."""
    out = {}
    for f in fields(config):
        if f.metadata.get("added") and _is_off(config, f):
            continue
        value = getattr(config, f.name)
        out[f.name] = key_dict(value) if is_dataclass(value) else copy.deepcopy(value)
    return out

"""Claims as data: what a scene's narration states, as named predicates over what the scene loaded.

A scene lists its claims in a `claims()` classmethod, computed from the same cached library data
its construct() loads (never retrained here). Two kinds:

- `claim(name, value, holds, text)`: the narration states `text` as fact; `holds` is the predicate
  evaluated on the measured `value`. A false one stops the render with a message naming it.
- `worded(name, value, choices)`: the narration picks its words from the measurement (the first
  (predicate, words) pair whose predicate holds), so it cannot be false; listed for the record.

`python -m scenes claims [SCENE ...]` prints one line per claim and exits non-zero if any is false.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence


@dataclass(frozen=True)
class Claim:
    name: str
    value: Any            # the measured value the claim is about
    holds: bool
    text: str             # what the narration says, in its words

    def show(self) -> str:
        return format_value(self.value)


class ClaimFailed(RuntimeError):
    """A scene's narration would state something its data contradict."""


def format_value(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(format_value(x) for x in v) + ")"
    return str(v)


def claim(name: str, value, holds, text: str) -> Claim:
    return Claim(name, value, bool(holds), text)


def choose(value, choices: Sequence[tuple[Callable[[Any], bool], str]]) -> str:
    """The words of the first (predicate, words) pair whose predicate holds for `value`."""
    for pred, words in choices:
        if pred(value):
            return words
    raise ValueError(f"no wording covers the measured value {value!r}")


def worded(name: str, value, choices) -> Claim:
    """A claim whose words are chosen by the measurement (true by construction)."""
    return Claim(name, value, True, choose(value, choices))


def by_name(claims: Sequence[Claim]) -> dict:
    return {c.name: c for c in claims}


def evaluate(cls) -> list[Claim]:
    """The scene class's claims (empty when it declares none)."""
    fn = getattr(cls, "claims", None)
    return list(fn()) if callable(fn) else []


def require(cls) -> dict:
    """{name: Claim} of the scene; raises ClaimFailed naming every false claim."""
    cs = evaluate(cls)
    false = [c for c in cs if not c.holds]
    if false:
        raise ClaimFailed(f"{cls.__name__}: false claim(s), the narration would state a falsehood: " +
                          "; ".join(f"{c.name} = {c.show()} ({c.text!r})" for c in false))
    return by_name(cs)


def table(scenes: dict) -> tuple[list[tuple[str, Claim]], bool]:
    """[(scene name, claim)] for the scenes {name: class} given, and whether all hold."""
    rows = [(name, c) for name, cls in scenes.items() for c in evaluate(cls)]
    return rows, all(c.holds for _, c in rows)


def print_table(rows, out=None) -> None:
    import sys

    out = out or sys.stdout
    if not rows:
        print("no claims", file=out)
        return
    w0 = max(len(s) for s, _ in rows)
    w1 = max(len(c.name) for _, c in rows)
    w2 = max(len(c.show()) for _, c in rows)
    for s, c in rows:
        print(f"{s:<{w0}}  {c.name:<{w1}}  {c.show():>{w2}}  {str(c.holds).lower():<5}  {c.text}", file=out)

"""Claims as data: what a scene's narration states, as named predicates over what the scene loaded.

A scene lists its claims in a `claims()` classmethod, computed from the same cached library data
its construct() loads (never retrained here). Two kinds, kept apart because only one is evidence:

- `fact(name, value, holds, text)`: a fact of the construction (a schedule constant, "the known half
  is copied", a code path that draws no noise). Shown, checked, never counted as evidence: no data
  could have made it otherwise.
- `claim(name, value, test, text, perturb=...)` and `worded(name, value, choices, perturb=...)`: an
  EMPIRICAL claim about a trained model or a sample. `test` is the predicate over the measured value;
  `worded` picks the narration's words from the measurement (the first (predicate, words) pair that
  holds) and its test is "the same words would be chosen". Each carries `perturb`: {what a plausible
  error would change: a function measuring the same value under it} (an untrained or shuffled
  network, a wrong formula, another seed's data, swapped labels, another sampler). Under every one
  the claim must FAIL; `falsify()` measures that. A claim with no perturbation, or one that still
  holds under a perturbation, is not evidence and `python -m scenes claims` rejects it.

A narrated comparison of two measured numbers carries its spread (`spread=`, e.g. from `Spread` or
`bootstrap_diff` below) and is only narrated as a difference when it holds beyond it.

`python -m scenes claims [SCENE ...]` prints one line per claim, then per scene: empirical claims,
those shown falsifiable, facts; it exits non-zero if any claim is false, or any empirical claim has
no perturbation or survives one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

FACT, EMPIRICAL = "fact", "empirical"


@dataclass(frozen=True)
class Perturbation:
    name: str                      # the plausible error it stands for: "untrained network"
    measure: Callable[[], Any]     # the claim's value measured under it (run only when asked)


@dataclass(frozen=True)
class Falsified:
    perturbation: str
    value: Any                     # the value measured under the perturbation
    fails: bool                    # the claim's test rejects it (what a claim with teeth must do)


@dataclass(frozen=True)
class Claim:
    name: str
    value: Any                     # the measured value the claim is about
    holds: bool
    text: str                      # what the narration says, in its words
    kind: str = EMPIRICAL
    test: Callable[[Any], bool] | None = None
    perturbations: tuple[Perturbation, ...] = ()
    spread: str = ""               # the seed / bootstrap spread of a compared number, printed with it

    def show(self) -> str:
        return format_value(self.value)

    def falsify(self) -> list[Falsified]:
        """The claim's test on each perturbation's value."""
        out = []
        for p in self.perturbations:
            v = p.measure()
            out.append(Falsified(p.name, v, not bool(self.test(v))))
        return out


class ClaimFailed(RuntimeError):
    """A scene's narration would state something its data contradict."""


def format_value(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v)).lower()
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(format_value(x) for x in v) + ")"
    return str(v)


def _perturbations(perturb: Mapping[str, Callable[[], Any]] | None) -> tuple[Perturbation, ...]:
    return tuple(Perturbation(k, f) for k, f in (perturb or {}).items())


def fact(name: str, value, holds, text: str) -> Claim:
    """A fact of the construction: shown and checked, not evidence."""
    return Claim(name, value, bool(holds), text, kind=FACT)


def claim(name: str, value, test: Callable[[Any], bool], text: str, *,
          perturb: Mapping[str, Callable[[], Any]] | None = None, spread: str = "") -> Claim:
    """An empirical claim: `test(value)` must hold, and fail on every perturbation's value."""
    if not callable(test):
        raise TypeError(f"claim {name!r}: the test must be a predicate over the value (a fact takes a bool)")
    return Claim(name, value, bool(test(value)), text, EMPIRICAL, test, _perturbations(perturb), spread)


def branch(value, choices: Sequence[tuple[Callable[[Any], bool], str]]) -> int:
    """Index of the first (predicate, words) pair whose predicate holds for `value`."""
    for i, (pred, _) in enumerate(choices):
        if pred(value):
            return i
    raise ValueError(f"no wording covers the measured value {value!r}")


def choose(value, choices: Sequence[tuple[Callable[[Any], bool], str]]) -> str:
    """The words of the first (predicate, words) pair whose predicate holds for `value`."""
    return choices[branch(value, choices)][1]


def worded(name: str, value, choices, *, perturb: Mapping[str, Callable[[], Any]] | None = None,
           spread: str = "") -> Claim:
    """A claim whose words are chosen by the measurement. What it asserts is the choice: its test is
    "the same words would be chosen", so a perturbation falsifies it when it would change the words."""
    if len(choices) < 2:
        raise ValueError(f"worded claim {name!r} has a single wording: it states nothing the data could refute")
    k = branch(value, choices)
    return Claim(name, value, True, choices[k][1], EMPIRICAL, lambda v: branch(v, choices) == k,
                 _perturbations(perturb), spread)


# --- spread of a compared number --------------------------------------------------------------------

@dataclass(frozen=True)
class Spread:
    """Mean and seed-to-seed standard deviation of one measured number over n seeds."""
    mean: float
    sd: float
    n: int

    @classmethod
    def of(cls, values) -> "Spread":
        v = np.asarray(values, dtype=float)
        return cls(float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else float("nan"), len(v))

    def __str__(self) -> str:
        return f"{self.mean:.3g} ± {self.sd:.2g} (sd over {self.n} seeds)"


def apart(a: Spread, b: Spread, k: float = 2.0) -> bool:
    """The two means differ by more than k standard errors of their difference (seed to seed)."""
    se = math.sqrt(a.sd ** 2 / a.n + b.sd ** 2 / b.n)
    return abs(a.mean - b.mean) > k * se


def bootstrap_diff(a, b, *, n: int = 2000, seed: int = 0, level: float = 0.95, paired: bool = False):
    """mean(b) - mean(a) and its bootstrap interval (resampling the items; `paired` keeps a[i], b[i]
    together). Returns (diff, lo, hi)."""
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    rng = np.random.default_rng(seed)
    if paired:
        if len(a) != len(b):
            raise ValueError(f"paired bootstrap needs equal sizes, got {len(a)} and {len(b)}")
        idx = rng.integers(0, len(a), (n, len(a)))
        d = b[idx].mean(1) - a[idx].mean(1)
    else:
        d = b[rng.integers(0, len(b), (n, len(b)))].mean(1) - a[rng.integers(0, len(a), (n, len(a)))].mean(1)
    lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    return float(b.mean() - a.mean()), float(lo), float(hi)


def interval_words(diff: float, lo: float, hi: float) -> str:
    """The spread as printed with a claim."""
    return f"difference {diff:+.3g}, 95 % bootstrap interval [{lo:+.3g}, {hi:+.3g}]"


# --- what a scene states ---------------------------------------------------------------------------

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


@dataclass
class Row:
    scene: str
    claim: Claim
    falsified: list[Falsified] | None = None     # None: not evaluated (facts, or --no-falsify)

    @property
    def problem(self) -> str:
        """Why this row fails the check ("" when it passes)."""
        c = self.claim
        if not c.holds:
            return "false"
        if c.kind == FACT:
            return ""
        if not c.perturbations:
            return "no perturbation"
        if self.falsified is not None:
            kept = [f.perturbation for f in self.falsified if not f.fails]
            if kept:
                return "survives " + ", ".join(kept)
        return ""

    @property
    def shown_falsifiable(self) -> bool:
        return (self.claim.kind == EMPIRICAL and self.falsified is not None and bool(self.falsified)
                and all(f.fails for f in self.falsified))


def table(scenes: dict, falsify: bool = True) -> tuple[list[Row], bool]:
    """[Row] for the scenes {name: class} given, and whether all pass (true, and every empirical
    claim has perturbations, each of which it fails under when `falsify`)."""
    rows = []
    for name, cls in scenes.items():
        for c in evaluate(cls):
            f = c.falsify() if falsify and c.kind == EMPIRICAL and c.holds else None
            rows.append(Row(name, c, f))
    return rows, all(not r.problem for r in rows)


def summary(rows: Sequence[Row]) -> dict:
    """{scene: (empirical claims, shown falsifiable, facts)}"""
    out: dict = {}
    for r in rows:
        e, s, f = out.get(r.scene, (0, 0, 0))
        if r.claim.kind == FACT:
            f += 1
        else:
            e += 1
            s += int(r.shown_falsifiable)
        out[r.scene] = (e, s, f)
    return out


def print_table(rows: Sequence[Row], out=None) -> None:
    import sys

    out = out or sys.stdout
    if not rows:
        print("no claims", file=out)
        return
    w0 = max(len(r.scene) for r in rows)
    w1 = max(len(r.claim.name) for r in rows)
    w2 = min(max(len(r.claim.show()) for r in rows), 28)
    for r in rows:
        c = r.claim
        verdict = "fact" if c.kind == FACT else ("true" if c.holds else "false")
        print(f"{r.scene:<{w0}}  {c.name:<{w1}}  {c.show():>{w2}}  {verdict:<5}  {c.text}", file=out)
        if c.spread:
            print(f"{'':<{w0}}  {'':<{w1}}  spread: {c.spread}", file=out)
        for f in r.falsified or ():
            print(f"{'':<{w0}}  {'':<{w1}}  under {f.perturbation}: {format_value(f.value)} -> "
                  f"{'fails (as it must)' if f.fails else 'STILL HOLDS'}", file=out)
        if r.problem:
            print(f"{'':<{w0}}  {'':<{w1}}  PROBLEM: {r.problem}", file=out)
    print(file=out)
    print("scene: empirical claims / shown falsifiable / facts", file=out)
    for scene, (e, s, f) in summary(rows).items():
        print(f"  {scene:<{w0}}  {e} / {s} / {f}", file=out)

"""The scene registry: which scenes exist, the order they teach in, and what each one loads.

- A scene is any DiffusionScene subclass with a `description` in a module of scenes/ (every module
  there is a scene module; the infrastructure lives in this package, scenes/kit/); its
  name is the class name. Nothing else lists scenes.
- The series: CHAPTERS below, in teaching order, each with a lead (what its videos show, which
  model made them). `make list`, `make all`, the blog gallery and the slide decks follow it.
  A scene not named in any chapter still renders and is listed at the end under UNPLACED (so a
  scene from another branch never breaks a render), and `tests/test_registry.py` fails until it
  is given a place. Names in CHAPTERS that no module defines (yet) are skipped.
- Needs: a scene's needs (NEEDS of its data part, scenes/kit/data/<module>.py) are zero-argument
  functions that build (or load) what its
  construct() loads, through the cache (trained once, then read). construct() calls the same
  functions, so what is prepared is what is shown. `prepare(name)` builds one scene's needs, before
  manim starts (`python -m scenes render` does it, so `make render SCENE=X` trains only X's models);
  `python -m scenes prepare --all` builds every scene's (`make models`).
"""
from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENES_DIR = ROOT / "scenes"
MEDIA_ROOT = Path(os.environ.get("SCENES_MEDIA_DIR", ROOT / "media"))   # tests render elsewhere
# THEME=light renders get their own tree, so they never overwrite the dark ones (same file names)
MEDIA = MEDIA_ROOT / "light" if os.environ.get("THEME") == "light" else MEDIA_ROOT
QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "k": "2160p60"}


@dataclass(frozen=True)
class Chapter:
    title: str
    scenes: tuple[str, ...]
    lead: str          # one paragraph: what the videos show and which model made them


CHAPTERS = (
    Chapter("The forward process", ("ForwardEquation", "MarkovChain", "NoiseSpectrum"),
            "How an image becomes noise. One noising step is unrolled into the closed form "
            "x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, with ᾱ_t the product of the α_s; then one real image walks the "
            "Markov chain step by step while its pixel histogram drifts to N(0, 1), and many chains are "
            "measured against the closed form; last, the same process in frequency: an image's power falls with "
            "frequency and the noise is flat, so the noise drowns fine detail first, and the digits model's reverse "
            "process (its cached DDPM trajectory) settles coarse first. No model is trained for this chapter: every "
            "frame comes from the library's NoiseSchedule, a photo (or your own IMAGE) and the digits."),
    Chapter("The network", ("UNetNoisePrediction",),
            "What the network is asked to do: given x_t and t, predict the noise ε. Real tensors go "
            "through the trained digits U-Net block by block; its error is measured against t on held-out "
            "digits, and its training run is shown by its loss history and by samples from the network's own "
            "weights at five steps of the run (replayed from its seed; the EMA weights would show their lag). "
            "Model: the digits U-Net."),
    Chapter("The reverse process", ("ReverseProcess",),
            "Sampling: DDPM starts from pure noise and steps from t = T to 0, showing x_t, the predicted "
            "noise ε̂ and the predicted clean image x̂0 at every step. Model: the digits U-Net, one cached "
            "DDPM trajectory."),
    Chapter("DDIM: sampling as a function of the noise", ("Trajectories1D", "DDIMDeterminism", "ForwardBackward"),
            "With η = 0 the sampler adds no noise. In one dimension, where every density is known exactly, "
            "DDPM paths cross and DDIM paths never do; on digits, the same x_T always gives the same digit, "
            "a changed patch of the noise moves the digit by a measured amount, and noising a real digit part "
            "way and denoising it shows when it "
            "turns into another. Models: the 1D two-bump model (toy1d) and the digits U-Net."),
    # places kept for scenes arriving from other branches; their lead is written with the scene
    # (a chapter shows only once one of its scenes exists, and tests require its lead then)
    Chapter("Scores and flows", ("ScoreField", "ProbabilityFlow", "FewerSteps"),
            "Particles in a plane, where the truth is exact: the data is 12 small Gaussians on a spiral, so "
            "q(x_t), its score ∇log q_t and the ideal noise prediction ε* = −√(1−ᾱ_t)∇log q_t are known in "
            "closed form. The learned score is drawn as arrows beside the exact one from t = T to 0 and its "
            "error is measured; then the same particles run by DDPM (jittery, crossing) and by DDIM η = 0 "
            "(a flow: Euler steps of the probability-flow ODE, no crossings), and sample quality against "
            "the number of steps shows why DDIM can skip steps. DDIM is Euler's method on that ODE: Heun "
            "(EDM) and DPM-Solver++(2M) are second-order solvers of it, drawn step by step against the exact "
            "path, with their measured error against network calls, and digits at 10 calls. Models: the 2D "
            "spiral MLP (toy2d) and its exact ε*, the digits U-Net."),
    Chapter("Flow matching", ("FlowMatching",),
            "The same spiral trained the way most new image models are: flow matching. Each training pair of a "
            "noise draw and a data point is joined by a straight line, x_t = (1 − t) x_0 + t ε, and the network "
            "learns the velocity ε − x_0. The exact velocity u_t is known in closed form and drawn beside the "
            "learned one; the flow (Euler over t) and the diffusion (DDIM η = 0) run from the same particles at "
            "a few steps, with the measured straightness and distance to the data; the affine map between the "
            "two families at matching signal-to-noise ratio; one reflow round. Models: the 2D spiral MLP "
            "trained as a diffusion (toy2d), by flow matching (toy2d-fm) and reflowed once (toy2d-reflow)."),
    Chapter("Guidance", ("Guidance",),
            "Asking for a class: a digits U-Net with a label embedding, trained with the null label on a "
            "share of its examples, gives both ε(x_t, t, c) and ε(x_t, t, ∅); classifier-free guidance "
            "mixes them as (1 + w)·ε(x_t, t, c) − w·ε(x_t, t, ∅). Rows of samples from one x_T as w grows, "
            "then the measured trade-off: the share of samples in the requested class against their "
            "variety. Model: the class-conditional digits U-Net (digits-cond)."),
    Chapter("Conditioning: inpainting", ("ImageInpainting",),
            "Half of a real digit is held fixed and the model fills in the rest, RePaint-style: the known "
            "half is re-noised to every t and copied in. Model: the digits U-Net, unchanged."),
    Chapter("Discrete diffusion", ("GraphDenoising", "DiscreteVsContinuous"),
            "Diffusion on graphs: each pair of nodes keeps its edge state or is redrawn from the edge "
            "density, and a small permutation-equivariant denoiser brings graphs back with a fixed "
            "subgraph; then continuous (digit) and discrete (graph) diffusion side by side on one t axis. "
            "Models: the graph denoiser and the digits U-Net."),
)
ORDER = tuple(name for chapter in CHAPTERS for name in chapter.scenes)
UNPLACED = Chapter("Not yet placed in the series", (),
                   "Scenes that no chapter names yet (add them to CHAPTERS in scenes/kit/registry.py).")


def fail(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def _scene_modules() -> list[str]:
    # every module of scenes/ is a scene module; the infrastructure is a package (scenes/kit/)
    return [info.name for info in pkgutil.iter_modules([str(SCENES_DIR)])
            if not info.ispkg and not info.name.startswith("_")]


def _is_scene(module, cls) -> bool:
    from .scene import DiffusionScene
    return (inspect.isclass(cls) and issubclass(cls, DiffusionScene) and cls.__module__ == module.__name__
            and bool(cls.description))


def _found() -> dict:
    found = {}
    for module_name in _scene_modules():
        module = importlib.import_module(f"scenes.{module_name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if _is_scene(module, cls):
                found[name] = (module_name, cls)
    return found


def _found_one(name: str) -> dict:
    """{name: (module name, class)} importing only the module whose source defines `class name`
    (a render needs one scene; importing all of them costs about two seconds a render); {} if none does."""
    line = re.compile(rf"^class {re.escape(name)}\b", re.M)
    for module_name in _scene_modules():
        if line.search((SCENES_DIR / f"{module_name}.py").read_text(encoding="utf-8")):
            module = importlib.import_module(f"scenes.{module_name}")
            cls = getattr(module, name, None)
            return {name: (module_name, cls)} if _is_scene(module, cls) else {}
    return {}


def discover(only: str | None = None) -> dict:
    """{scene name: (module name, class)} for every scene, in series order (unplaced ones last, by name).
    only: just that scene, importing only its module; every scene when it is not one (for the error)."""
    if only is not None:
        one = _found_one(only)
        if one:
            return one
    found = _found()
    rank = {name: i for i, name in enumerate(ORDER)}
    return {name: found[name] for name in sorted(found, key=lambda n: (rank.get(n, len(rank)), n))}


def unplaced(scenes: dict | None = None) -> list[str]:
    """Scenes that no chapter names."""
    return [n for n in (discover() if scenes is None else scenes) if n not in ORDER]


def chapters(scenes: dict | None = None) -> list[tuple[Chapter, list[str]]]:
    """[(chapter, its scenes that exist)] in order; chapters with no scene yet are left out, and the
    unplaced scenes form a last chapter."""
    scenes = discover() if scenes is None else scenes
    out = [(c, [n for n in c.scenes if n in scenes]) for c in CHAPTERS]
    out = [(c, names) for c, names in out if names]
    rest = unplaced(scenes)
    return out + [(UNPLACED, rest)] if rest else out


def chapter_of(name: str) -> Chapter:
    return next((c for c in CHAPTERS if name in c.scenes), UNPLACED)


def check_quality(q: str) -> str:
    if q not in QUALITIES:
        fail(f"unknown quality {q!r}; choose one of " + ", ".join(f"{k} ({v})" for k, v in QUALITIES.items()))
    return q


def check_scene(name: str, scenes: dict) -> None:
    if name not in scenes:
        fail(f"unknown scene {name!r}; valid scenes: {', '.join(scenes)}")


def video_path(module: str, name: str, quality: str) -> Path:
    return MEDIA / "videos" / module / QUALITIES[quality] / f"{name}.mp4"


# --- needs: what a scene loads -------------------------------------------------------------------


def needs(cls) -> tuple:
    """The scene's needs (zero-argument functions building/loading cached artifacts): its data part's NEEDS."""
    return tuple(cls.data.NEEDS) if cls.data is not None else ()


def need_name(fn) -> str:
    return getattr(fn, "__name__", repr(fn))


def need_doc(fn) -> str:
    return (inspect.getdoc(fn) or need_name(fn)).splitlines()[0]


def prepare(name: str, scenes: dict | None = None, quiet: bool = False) -> list[tuple[str, float]]:
    """Build (or load) everything scene `name` loads; [(need, seconds)]. Trains only what is missing."""
    scenes = discover() if scenes is None else scenes
    check_scene(name, scenes)
    done = []
    for fn in needs(scenes[name][1]):
        t0 = time.perf_counter()
        fn()
        done.append((need_name(fn), time.perf_counter() - t0))
        if not quiet:
            print(f"{name}: {need_name(fn)} ready ({done[-1][1]:.1f} s)", file=sys.stderr, flush=True)
    if not done and not quiet:
        print(f"{name}: loads no trained model (nothing to build)", file=sys.stderr, flush=True)
    return done

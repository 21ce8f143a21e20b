"""Interactive figures for the blog: drag a slider through a real trajectory in the browser.

Each figure is one self-contained HTML page (its data embedded as JSON, so it works from file://
where fetch() does not), PNG sprite sheets for image frames, and the shared plain-JS renderer
`figures.js` (no framework, no network). Everything shown is loaded from the same cache the videos
use: the ReverseProcess trajectory, the ForwardEquation image and ε, the Trajectories1D particles.

A figure is a function returning a `Figure`: a slider (one value per frame), numbers per frame, an
optional table and panels of three kinds that figures.js draws:
  sprite     images per frame from a PNG sprite sheet (row = frame, column = sample)
  mix        a per-frame linear combination of fixed images, computed in the browser (every t)
  particles  points on a line per frame, with per-frame histograms and curves (e.g. an exact density)
Decorate the function with @figure("SceneName") and `python -m publish figures` (and `make blog`)
exports it; the gallery shows it under that scene's video.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from scenes.kit import style

from .files import atomic_path, write_text

FIGURE_MAX_BYTES = 1_000_000          # html + images of one figure (the shared figures.js not counted)
JS = Path(__file__).with_name("figures.js")
TILE_PX = 88                          # sprite tiles are drawn about this many CSS pixels tall


@dataclass
class Figure:
    name: str                          # file stem, e.g. "reverse_process"
    title: str
    description: str
    slider: dict                       # {"label": ..., "symbol": "t", "values": [one per frame]}
    panels: list                       # dicts, see the module docstring (sprites via `images`)
    numbers: list = field(default_factory=list)      # [{"label", "values": [per frame], "digits"}]
    table: dict | None = None                        # {"caption", "columns", "rows", "cells", "digits"}
    formula: str | None = None                       # HTML with {i} = numbers[i] at the frame
    source: str = ""                                 # where the data came from (shown under the figure)
    images: dict = field(default_factory=dict)       # sprite file suffix -> uint8 (H, W) array
    height: int = 640                                # iframe height for the embed snippet
    width: int = 820

    @property
    def frames(self) -> int:
        return len(self.slider["values"])


# --- helpers ---------------------------------------------------------------------------------

def b64_f32(a) -> str:
    """A float array as base64 of its little-endian float32 bytes (figures.js decodes it)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def gray_uint8(a, vmin: float = -1.0, vmax: float = 1.0) -> np.ndarray:
    """Values in [vmin, vmax] -> 0..255, clipped (scenes.kit.images.to_gray_uint8, without manim)."""
    x = (np.asarray(a, dtype=np.float64) - vmin) / (vmax - vmin)
    return (np.clip(x, 0, 1) * 255).round().astype(np.uint8)


def sprite_sheet(frames: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """(F, N, H, W) floats -> uint8 (F*H, N*W): row f holds frame f's N tiles side by side."""
    F, N, H, W = frames.shape
    return gray_uint8(frames, vmin, vmax).transpose(0, 2, 1, 3).reshape(F * H, N * W)


def sprite_panel(fig_name: str, key: str, title: str, frames: np.ndarray, valid: np.ndarray,
                 vmin: float, vmax: float, images: dict, color: str) -> dict:
    """A sprite panel for frames (F, N, H, W); frames where valid is False show a dash."""
    rows = np.cumsum(valid) - 1
    images[key] = sprite_sheet(frames[valid], vmin, vmax)
    H, W = frames.shape[-2:]
    return dict(type="sprite", title=title, src=f"{fig_name}-{key}.png", tile=[int(H), int(W)],
                count=int(frames.shape[1]), rows=[int(r) if v else -1 for r, v in zip(rows, valid)],
                scale=max(1, round(TILE_PX / H)), range=[vmin, vmax], color=color)


def frame_ts(T: int, knee: int = 100, coarse: int = 10, fine: int = 2) -> list[int]:
    """Paper steps t shown by a slider, descending from T to 0: every `coarse` steps down to `knee`,
    then every `fine` (most of the picture forms in the last steps), then 1 and 0."""
    ts = list(range(T, knee, -coarse)) + list(range(min(knee, T), 0, -fine)) + [1, 0]
    return sorted(set(ts), reverse=True)


def on_trajectory(available: list[int], wanted: list[int]) -> list[int]:
    """The trajectory's own steps nearest to the wanted ones (a DDIM run has fewer), descending."""
    a = np.asarray(available)
    return sorted({int(a[np.argmin(np.abs(a - w))]) for w in wanted}, reverse=True)


def sqrt_ab(schedule, t: int) -> tuple[float, float]:
    """(√ᾱ_t, √(1−ᾱ_t)) at the paper's step t (t = 0: the data, ᾱ = 1)."""
    ab = 1.0 if t == 0 else float(schedule.alpha_bar[t - 1])
    return math.sqrt(ab), math.sqrt(1.0 - ab)


# --- the figures -----------------------------------------------------------------------------

FIGURES: dict = {}              # figure name -> function returning its Figure
FIGURE_SCENES: dict = {}        # figure name -> the scene whose video it accompanies


def figure(scene: str, name: str | None = None):
    """Register a figure function under `name` (default: the function's name without _figure)."""
    def register(fn):
        key = name or fn.__name__.removesuffix("_figure")
        FIGURES[key], FIGURE_SCENES[key] = fn, scene
        return fn
    return register


EPS_RANGE = 2.5                 # ε images map [-2.5, 2.5] to black..white, as in the videos


@figure("ForwardEquation", "forward_process")
def forward_figure() -> Figure:
    import scenes.kit.data.forward_equation as fe
    from diffusion.core.schedule import NoiseSchedule

    schedule = NoiseSchedule("linear", fe.T)
    x0, eps = fe.image_and_eps()                      # the video's image and its one fixed ε
    ts = list(range(schedule.T + 1))                  # every t: the browser mixes the two images
    roots = np.array([sqrt_ab(schedule, t) for t in ts])
    scale = max(1, round(2 * TILE_PX / x0.shape[0]))
    mix = lambda title, coefs, color, lo=-1.0: dict(type="mix", title=title, shape=list(x0.shape), scale=scale,
                                                    base=[b64_f32(x0), b64_f32(eps)], coefs=coefs, range=[lo, -lo],
                                                    color=color)
    # statistics of x_t itself (closed form, from the library): how much of x_0 and of ε it holds
    xt = roots[:, 0, None] * x0.ravel()[None] + roots[:, 1, None] * eps.ravel()[None]
    corr = lambda a, b: [float(np.corrcoef(r, b)[0, 1]) if r.std() > 0 else None for r in a]
    return Figure(
        name="forward_process", title="The forward process: one image, one ε",
        description=("Drag t from 0 to T: the image of the ForwardEquation video noised with its one fixed ε, "
                     "x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, for every t of the linear schedule."),
        slider=dict(label="Noise level t (0 → T)", symbol="t", values=ts),
        panels=[mix("x_t", [roots[:, 0].tolist(), roots[:, 1].tolist()], style.STATE),
                mix("x_0 (the image)", [1.0, 0.0], style.SIGNAL),
                mix("ε (fixed noise)", [0.0, 1.0], style.NOISE, -EPS_RANGE)],
        numbers=[dict(label="ᾱ_t", values=(roots[:, 0] ** 2).tolist(), digits=4),
                 dict(label="√ᾱ_t", values=roots[:, 0].tolist(), digits=4, color=style.SIGNAL, bar=True),
                 dict(label="√(1−ᾱ_t)", values=roots[:, 1].tolist(), digits=4, color=style.NOISE, bar=True),
                 dict(label="corr(x_t, x_0)", values=corr(xt, x0.ravel()), digits=3),
                 dict(label="corr(x_t, ε)", values=corr(xt, eps.ravel()), digits=3)],
        formula=(f'x<sub>t</sub> = <b style="color:{style.SIGNAL}">{{1}}</b> · x<sub>0</sub> + '
                 f'<b style="color:{style.NOISE}">{{2}}</b> · ε'),
        source=(f"{schedule!r}; image {x0.shape[0]}×{x0.shape[1]} ({fe.describe_source()}), ε seeded "
                f"with {fe.EPS_SEED}; x_t and x_0 shown on [−1, 1], ε on [−{EPS_RANGE}, {EPS_RANGE}] as in the "
                "video. The browser computes x_t from x_0 and ε (float32) with the √ᾱ_t listed here."),
        height=620)


REVERSE_SHOWN = 4               # samples shown (the first ones of the ReverseProcess video's grid)


@figure("ReverseProcess", "reverse_process")
def reverse_figure() -> Figure:
    from scenes.kit.models import digits_model
    from scenes.kit.data.reverse_process import reverse_trajectory      # what the video loads (its `needs`)

    tm = digits_model()
    traj = reverse_trajectory()
    S, T = len(traj.timesteps), tm.schedule.T
    # state k of the trajectory is x_t with paper t = timesteps[k] + 1 (k = S: the sample, t = 0)
    t_of_k = [int(s) + 1 for s in traj.timesteps] + [0]
    ts = on_trajectory(t_of_k, frame_ts(T))
    ks = np.array([t_of_k.index(t) for t in ts])
    n = REVERSE_SHOWN
    x = traj.x[ks, :n, 0].astype(np.float64)                               # (F, n, H, W)
    has_pred = ks < S
    eps = np.zeros_like(x); x0 = np.zeros_like(x)
    eps[has_pred] = traj.eps_hat[ks[has_pred], :n, 0]
    x0[has_pred] = traj.x0_hat[ks[has_pred], :n, 0]
    images: dict = {}
    name = "reverse_process"
    everything = np.ones(len(ks), bool)
    panels = [sprite_panel(name, "x_t", "x_t", x, everything, -1, 1, images, style.STATE),
              sprite_panel(name, "eps_hat", "ε̂ (U-Net output)", eps, has_pred, -EPS_RANGE, EPS_RANGE, images,
                           style.PREDICTION),
              sprite_panel(name, "x0_hat", "x̂0 (implied)", x0, has_pred, -1, 1, images,
                           style.PREDICTION)]
    roots = [sqrt_ab(tm.schedule, t) for t in ts]

    def stats(a, valid):
        flat = a.reshape(*a.shape[:2], -1)
        return [[float(m) if v else None for m in row] for row, v in zip(flat.mean(-1), valid)], \
               [[float(s) if v else None for s in row] for row, v in zip(flat.std(-1), valid)]
    (xm, xs), (em, es), (zm, zs) = stats(x, everything), stats(eps, has_pred), stats(x0, has_pred)
    cells = [[[xm[f][i], xs[f][i], em[f][i], es[f][i], zm[f][i], zs[f][i]] for i in range(n)]
             for f in range(len(ts))]
    sampler = traj.sampler.upper()
    return Figure(
        name=name, title="The reverse process, step by step",
        description=(f"Drag t from T = {T} to 0 through the real {sampler} trajectory of the ReverseProcess video: "
                     f"the state x_t of {n} samples, the noise ε̂ the U-Net predicts in it, and the clean image "
                     "x̂0 that prediction implies."),
        slider=dict(label="Noise level t (T → 0)", symbol="t", values=ts),
        panels=panels,
        numbers=[dict(label="step", values=[int(k) for k in ks], digits=0, suffix=f" of {S}"),
                 dict(label="√ᾱ_t", values=[r[0] for r in roots], digits=4, color=style.SIGNAL, bar=True),
                 dict(label="√(1−ᾱ_t)", values=[r[1] for r in roots], digits=4, color=style.NOISE, bar=True)],
        table=dict(caption="Per sample at this t: mean and standard deviation over its pixels",
                   columns=["x_t mean", "x_t std", "ε̂ mean", "ε̂ std", "x̂0 mean", "x̂0 std"],
                   rows=[f"sample {i + 1}" for i in range(n)], cells=cells, digits=3),
        source=(f"digits model {tm.key}, {sampler} with {S} steps (samples 1–{n} of the video's "
                f"{traj.x.shape[1]}); x_t and x̂0 shown on [−1, 1], "
                f"ε̂ on [−{EPS_RANGE}, {EPS_RANGE}]."),
        images=images, height=700)


PARTICLES_SHOWN = 250           # dots drawn; the histogram and the statistics use every particle
PARTICLE_BINS = 48
X_RANGE = (-3.6, 3.6)           # the Trajectories1D video's range


@figure("Trajectories1D", "particles_1d")
def toy1d_figure() -> Figure:
    from diffusion.models.toy1d.mixture import marginal, marginal_pdf, wasserstein1
    from scenes.kit.data.trajectories_1d import TRAJECTORIES, toy1d_model, trajectories   # what the video loads

    tm = toy1d_model()
    mix, sched = tm.config.mixture, tm.schedule
    traj = trajectories()["ddpm"]                     # the video's DDPM particles
    S = len(traj.timesteps)
    t_of_k = [int(s) + 1 for s in traj.timesteps] + [0]
    ts = on_trajectory(t_of_k, frame_ts(sched.T))
    ks = [t_of_k.index(t) for t in ts]
    pts = traj.x[ks, :, 0]                            # (F, N) float32, as cached
    xs = np.linspace(*X_RANGE, 145)
    dens = np.stack([marginal_pdf(mix, sched, t - 1, xs) for t in ts])       # t - 1: 0-based, -1 = data
    edges = np.linspace(*X_RANGE, PARTICLE_BINS + 1)
    counts = np.stack([np.histogram(p, edges)[0] for p in pts])
    exact = [marginal(mix, 1.0 if t == 0 else float(sched.alpha_bar[t - 1])) for t in ts]
    ex_mean = [float((w * m).sum()) for w, m, s in exact]
    ex_std = [math.sqrt(float((w * (s ** 2 + m ** 2)).sum()) - mu ** 2) for (w, m, s), mu in zip(exact, ex_mean)]
    w1 = [wasserstein1(p, mix, sched, t - 1) for p, t in zip(pts.astype(np.float64), ts)]
    roots = [sqrt_ab(sched, t) for t in ts]
    N = pts.shape[1]
    cells = [[[float(p.mean()), m], [float(p.std()), s]] for p, m, s in zip(pts.astype(np.float64), ex_mean, ex_std)]
    spec = TRAJECTORIES["ddpm"]
    return Figure(
        name="particles_1d", title="1D diffusion: particles and the exact q(x_t)",
        description=(f"Drag t from T = {sched.T} to 0: {N} particles of the Trajectories1D video's DDPM run "
                     f"(dots: the first {PARTICLES_SHOWN}; bars: all of them) over the exact density q(x_t) of the "
                     "noised two-bump mixture."),
        slider=dict(label="Noise level t (T → 0)", symbol="t", values=ts),
        panels=[dict(type="particles", title="particles and q(x_t)", xrange=list(X_RANGE), n=PARTICLES_SHOWN,
                     points=b64_f32(pts[:, :PARTICLES_SHOWN]), color=style.STATE,
                     hist=dict(edges=edges.tolist(), counts=counts.tolist(), total=int(N), color=style.STATE,
                               label=f"histogram of all {N} particles"),
                     curves=[dict(label="data p(x_0)", xs=xs.tolist(), ys=b64_f32(dens[-1:]), rows=1,
                                  color=style.SIGNAL, dash=True),
                             dict(label="exact q(x_t)", xs=xs.tolist(), ys=b64_f32(dens), rows=len(ts),
                                  color=style.HIGHLIGHT)],
                     ymax=float(1.15 * dens.max()))],
        numbers=[dict(label="step", values=ks, digits=0, suffix=f" of {S}"),
                 dict(label="√ᾱ_t", values=[r[0] for r in roots], digits=4, color=style.SIGNAL, bar=True),
                 dict(label="√(1−ᾱ_t)", values=[r[1] for r in roots], digits=4, color=style.NOISE, bar=True),
                 dict(label="W₁(particles, q(x_t))", values=w1, digits=3)],
        table=dict(caption=f"All {N} particles against the exact q(x_t)", columns=["particles", "exact q(x_t)"],
                   rows=["mean", "std"], cells=cells, digits=3),
        source=(f"1D model {tm.key}, DDPM with {S} steps, seed {spec['seed']}; mixture weights {mix.weights}, "
                f"means {mix.means}, stds {mix.stds}; {sched!r}."),
        height=720)




# --- export ----------------------------------------------------------------------------------

def figure_data(fig: Figure) -> dict:
    """The JSON figures.js reads (embedded in the page)."""
    d = dict(name=fig.name, title=fig.title, slider=fig.slider, panels=fig.panels, numbers=fig.numbers,
             table=fig.table, formula=fig.formula,
             theme=dict(bg=style.BG, text=style.TEXT, muted=style.MUTED, grid=style.GRID, highlight=style.HIGHLIGHT))
    for key, values in [("slider", fig.slider["values"])] + [(n["label"], n["values"]) for n in fig.numbers]:
        if len(values) != fig.frames:
            raise ValueError(f"figure {fig.name}: {key} has {len(values)} values for {fig.frames} frames")
    return d


def page(fig: Figure) -> str:
    data = json.dumps(figure_data(fig), separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    e = html.escape
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(fig.title)}</title>
<style>
  body {{ background: {style.BG}; color: {style.TEXT}; font: 15px/1.45 system-ui, sans-serif; margin: 0; padding: 12px; }}
  h1 {{ font-size: 1.15rem; margin: 0 0 .25rem; }}
  .desc, .source {{ color: {style.MUTED}; font-size: .85rem; margin: .25rem 0 .6rem; }}
  .controls {{ display: flex; align-items: center; gap: .6rem; flex-wrap: wrap; margin: .4rem 0 .8rem; }}
  .controls input[type=range] {{ flex: 1 1 260px; accent-color: {style.HIGHLIGHT}; }}
  .controls input[type=range]:focus-visible, button:focus-visible {{ outline: 3px solid {style.HIGHLIGHT}; outline-offset: 2px; }}
  output {{ font: 600 1.05rem ui-monospace, monospace; color: {style.HIGHLIGHT}; min-width: 7.5em; }}
  button {{ background: none; color: {style.TEXT}; border: 1px solid {style.GRID}; border-radius: 4px; padding: .2rem .7rem; font: inherit; }}
  .row {{ display: flex; gap: 1.2rem; flex-wrap: wrap; align-items: flex-start; }}
  .panel h2 {{ font-size: .85rem; font-weight: 600; margin: 0 0 .3rem; }}
  canvas {{ display: block; image-rendering: pixelated; }}
  dl {{ display: grid; grid-template-columns: auto auto 90px; gap: .15rem .6rem; margin: 0; align-items: center; }}
  dt {{ color: {style.MUTED}; }} dd {{ margin: 0; font-family: ui-monospace, monospace; text-align: right; }}
  .bar {{ height: .55rem; border-radius: 2px; }}
  .formula {{ font-size: 1.05rem; margin: .2rem 0 .6rem; font-family: ui-monospace, monospace; }}
  table {{ border-collapse: collapse; font-size: .82rem; }}
  caption {{ color: {style.MUTED}; text-align: left; padding-bottom: .2rem; }}
  th, td {{ padding: .1rem .5rem; text-align: right; font-variant-numeric: tabular-nums; }}
  th {{ color: {style.MUTED}; font-weight: 500; }}
</style>
</head>
<body>
<main id="figure">
<h1>{e(fig.title)}</h1>
<p class="desc">{e(fig.description)}</p>
<div class="controls">
  <label for="slider">{e(fig.slider["label"])}</label>
  <input type="range" id="slider" min="0" max="{fig.frames - 1}" step="1" value="0">
  <output id="step" for="slider" aria-live="off"></output>
  <button type="button" id="play" aria-pressed="false">Play</button>
</div>
<div class="row" id="panels"></div>
<div class="formula" id="formula" hidden></div>
<div class="row" style="margin-top:.8rem"><dl id="numbers"></dl><div id="table"></div></div>
<p class="source">{e(fig.source)}</p>
</main>
<script type="application/json" id="figure-data">{data}</script>
<script src="figures.js"></script>
</body>
</html>
"""


def write_png(dest: Path, a: np.ndarray) -> None:
    with atomic_path(dest) as tmp:
        Image.fromarray(a, mode="L").save(tmp, format="PNG", optimize=True)


def export(fig: Figure, out: Path, scene: str) -> dict:
    """Write the figure's page and sprites into out/; returns its gallery entry (with its size)."""
    files = [out / f"{fig.name}.html"]
    write_text(files[0], page(fig))
    for key, a in fig.images.items():
        files.append(out / f"{fig.name}-{key}.png")
        write_png(files[-1], a)
    size = sum(f.stat().st_size for f in files)
    if size > FIGURE_MAX_BYTES:
        raise ValueError(f"figure {fig.name} is {size / 1e6:.2f} MB, over the {FIGURE_MAX_BYTES / 1e6:.0f} MB budget")
    print(f"figures: {fig.name}: {fig.frames} frames, {len(files)} files, {size / 1e3:.0f} kB", flush=True)
    return dict(name=fig.name, title=fig.title, description=fig.description, scene=scene,
                html=f"{fig.name}.html", files=[f.name for f in files], bytes=size, frames=fig.frames,
                width=fig.width, height=fig.height)


def embed_snippet(entry: dict, prefix: str = "figures/") -> str:
    return (f'<iframe src="{prefix}{entry["html"]}" title="{html.escape(entry["title"])}"\n'
            f'        width="{entry["width"]}" height="{entry["height"]}" loading="lazy"\n'
            f'        style="border:0;max-width:100%"></iframe>')


def gallery_block(entry: dict, prefix: str = "figures/", level: int = 4) -> str:
    """A figure in a gallery page: the live iframe, its size and the copy-paste snippet (the figure
    describes itself inside the iframe). level: its heading's level (scenes are h3 in the gallery)."""
    e = html.escape
    return f"""
    <section class="interactive" id="figure-{e(entry["name"])}">
      <h{level}>Interactive: {e(entry["title"])}</h{level}>
      {embed_snippet(entry, prefix)}
      <p class="meta">{entry["frames"]} slider positions (arrow keys move it once it has focus),
        {entry["bytes"] / 1e3:.0f} kB &middot; <a href="{prefix}{e(entry["html"])}">open alone</a></p>
      <details><summary>Embed this figure</summary>
        <p>Copy the <code>figures/</code> folder next to your post and paste:</p>
        <pre><code>{e(embed_snippet(entry, prefix))}</code></pre>
      </details>
    </section>"""


def index_page(entries: list[dict]) -> str:
    blocks = "".join(gallery_block(e, prefix="", level=2) for e in entries)
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Diffusion, explained with real models: interactive figures</title>
<style>
  body {{ background: {style.BG}; color: {style.TEXT}; font: 16px/1.5 system-ui, sans-serif; max-width: 980px; margin: 2rem auto; padding: 0 1rem; }}
  a {{ color: {style.SIGNAL}; }} .meta {{ color: {style.MUTED}; font-size: .9rem; }}
  pre {{ background: {"#1d2029" if style.THEME != "light" else "#f3f4f7"}; padding: .75rem; overflow-x: auto; font-size: .8rem; }}
  section {{ margin: 0 0 3rem; }}
</style></head>
<body>
<h1>Interactive figures</h1>
<p class="meta">{len(entries)} figures from the models and trajectories the videos use. Each is one HTML page
with its data inside, PNG sprites and figures.js: no server, no network.</p>
{blocks}
</body>
</html>
"""


def series_order(names: list[str]) -> list[str]:
    """Figures in the teaching order of their scenes (scenes/kit/registry.py ORDER; unplaced ones last)."""
    from scenes.kit.registry import ORDER

    rank = {scene: i for i, scene in enumerate(ORDER)}
    return sorted(names, key=lambda n: rank.get(FIGURE_SCENES[n], len(rank)))


def build(out: Path, names: list[str] | None = None) -> list[dict]:
    """Export the figures (all, or `names`) into out/ with figures.js, figures.json and index.html."""
    unknown = sorted(set(names or []) - set(FIGURES))
    if unknown:
        print(f"error: unknown figure {', '.join(unknown)}; choose from {', '.join(FIGURES)}", file=sys.stderr)
        raise SystemExit(2)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "figures.js", JS.read_text(encoding="utf-8"))
    entries = []
    for name in series_order([n for n in FIGURES if not names or n in names]):
        fig = FIGURES[name]()
        if fig.name != name:
            raise ValueError(f"figure function {name!r} made a figure named {fig.name!r}")
        entries.append(export(fig, out, FIGURE_SCENES[name]))
    write_text(out / "figures.json", json.dumps(dict(theme=style.THEME, figures=entries), indent=2))
    write_text(out / "index.html", index_page(entries))
    print(f"figures: {len(entries)} -> {out / 'index.html'}", flush=True)
    return entries


def read_figure_data(page_path: Path) -> dict:
    """The JSON embedded in an exported figure page (for tests and other tools)."""
    text = Path(page_path).read_text(encoding="utf-8")
    start = text.index('<script type="application/json" id="figure-data">') + len('<script type="application/json" id="figure-data">')
    return json.loads(text[start:text.index("</script>", start)])


def decode_f32(s: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype="<f4")

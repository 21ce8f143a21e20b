"""FewerSteps — DDIM (eta = 0) is Euler's method on the probability-flow ODE; Heun (EDM) and
DPM-Solver++(2M) are second-order solvers of the same ODE. The same particles from the same x_T under
each, at a handful of network calls, against the ODE solved accurately (RK45); one step of each drawn
as what it is; the measured error against the number of calls on log axes (slopes ~1 and ~2); digits
from one x_T at 10 calls. Data part: scenes/kit/data/fewer_steps.py."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from manim import (DOWN, LEFT, Arrow, Axes, Create, DashedLine, Dot, FadeIn, FadeOut, Line, Square, Transform, VGroup,
                   VMobject, linear)

from diffusion.studies.solvers import SOLVERS
from scenes.kit import style
from scenes.kit.data import fewer_steps
from scenes.kit.data.fewer_steps import DIGITS_NFE, NAMES, NFE, measure
from scenes.kit.images import image_grid
from scenes.kit.layout import fit, footnote, heading, region, split
from scenes.kit.models import toy2d_model
from scenes.kit.paths import GrowPaths
from scenes.kit.plane import PlanePanel, density_image, point_cloud, polylines
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label

LIM = 2.9
INSET = 0.5                   # an inset's side, as a share of its panel's
COLORS = {"ddim": style.STATE, "heun": style.NOISE, "dpm++2m": style.PREDICTION}


class FewerSteps(DiffusionScene):
    description = ("DDIM is Euler; Heun and DPM-Solver++ are 2nd order: the same particles against the exact ODE, "
                   "error vs calls (slopes 1 and 2), digits at 10 calls.")
    data = fewer_steps

    def construct(self):
        self.m = measure()
        self.tm = toy2d_model()
        self.intro()
        self.panels()
        self.one_step()
        self.error_plot()
        self.digit_rows()

    def intro(self):
        self.beat("DDIM with eta = 0 takes Euler steps along the probability-flow ODE. Better ODE solvers reach "
                  "the same end with fewer network calls, once the steps are small enough.", 5)
        self.title_card("Fewer steps", "Euler, Heun and DPM-Solver++ on the same ODE")

    def panels(self):
        m, p, f = self.m, self.m["p"], self.facts
        n = p["x_T"].shape[0]
        self.heading = heading(f"The same {n} particles, {NFE} network calls each, exact ε*")
        boxes = split(region(note=True), [1, 1, 1], gap=0.35)
        self.pl = {}
        shown = []
        for box, s in zip(boxes, SOLVERS):
            pan = PlanePanel.fitted(LIM, box, NAMES[s], COLORS[s])
            shown += [pan, density_image(pan, self.tm.config.mixture, 1.0, strength=0.4, color=style.SIGNAL)]
            self.pl[s] = pan
        ode = {s: polylines(self.pl[s], p["ode"].transpose(1, 0, 2), style.HIGHLIGHT, 1.0, 0.9) for s in SOLVERS}
        paths, ends = {}, {}
        for s in SOLVERS:
            states = self.states(s)
            paths[s] = polylines(self.pl[s], states.transpose(1, 0, 2), COLORS[s], 2.2)
            ends[s] = point_cloud(self.pl[s], states[-1], COLORS[s], radius=0.04)
        starts = [point_cloud(self.pl[s], p["x_T"], style.TEXT, radius=0.03) for s in SOLVERS]
        self.next_beat(f"{n} particles from N(0, I), the same in all three panels. Thin yellow: the ODE solved "
                       "accurately with RK45 and the exact noise predictor, so every gap is the solver's.", 7)
        self.play(FadeIn(self.heading), *[FadeIn(x) for x in shown], *[FadeIn(x) for x in starts])
        self.play(*[GrowPaths(ode[s]) for s in SOLVERS], run_time=2.5, rate_func=linear)
        self.wait(1)
        caps = VGroup(*[footnote(f"mean miss {m['end'][s]:.2f}", color=COLORS[s]).set_x(self.pl[s].get_x())
                        for s in SOLVERS])
        self.next_beat(f"Each solver with {NFE} calls. Mean distance of the end points to the exact ones: "
                       + ", ".join(f"{NAMES[s]} {m['end'][s]:.2f}" for s in SOLVERS)
                       + f"; {f['few_calls_winner'].text}.", 9)
        self.play(*[GrowPaths(paths[s]) for s in SOLVERS], run_time=3, rate_func=linear)
        self.play(*[FadeOut(x) for x in starts], *[FadeIn(ends[s]) for s in SOLVERS], FadeIn(caps))
        self.wait(3)
        self.hold_narration()
        self.fade = [paths[s] for s in SOLVERS] + [ends[s] for s in SOLVERS]
        self.caps = caps
        self.ode = ode

    def states(self, s) -> np.ndarray:
        """(K+1, N, 2) the solver's states: x_T then the state after each full step (Heun's guesses left out)."""
        r = self.m["p"][s]
        keep = [i for i, st in enumerate(r["stage"]) if st != "predict"]
        return np.concatenate([self.m["p"]["x_T"][None], r["x_prev"][keep]])

    def step_points(self) -> dict:
        """Per solver, the one step the next beat draws, in plane coordinates: the particle j whose DDIM
        move is largest in the step with the largest mean move (kept in the window); Heun's interval and
        DPM-Solver++'s step where that particle moves most."""
        p = self.m["p"]
        inside = lambda *xy: all(np.abs(v).max() < LIM - 0.2 for v in xy)
        e = p["ddim"]
        moves = np.linalg.norm(e["x_prev"] - e["x_t"], axis=-1)                  # (calls, particles)
        k_e = int(moves.mean(1).argmax())
        j = int(np.argmax([moves[k_e, i] * inside(e["x_t"][k_e, i], e["x_prev"][k_e, i]) for i in range(moves.shape[1])]))
        h = p["heun"]
        pred = [i for i, st in enumerate(h["stage"]) if st == "predict"]
        k_h = max(pred, key=lambda i: np.linalg.norm(h["x_prev"][i + 1, j] - h["x_t"][i, j]))
        d = p["dpm++2m"]
        k_d = 1 + int(np.linalg.norm(d["x_prev"][1:-1, j] - d["x_t"][1:-1, j], axis=-1).argmax())
        clip = lambda xy: np.clip(xy, -LIM, LIM)
        return dict(j=j, ddim=dict(x=e["x_t"][k_e, j], end=e["x_prev"][k_e, j]),
                    heun=dict(x=h["x_t"][k_h, j], guess=clip(h["x_prev"][k_h, j]), end=h["x_prev"][k_h + 1, j]),
                    dpm=dict(a=d["x0_hat"][k_d - 1, j], b=d["x0_hat"][k_d, j], D=clip(d["D"][k_d, j]),
                             x=d["x_t"][k_d, j], end=d["x_prev"][k_d, j]))

    def step_marks(self, s: str, pt: dict, to_screen) -> VGroup:
        """One step of solver s drawn through `to_screen` (plane point -> screen point): the panel's own map,
        or an inset's zoomed one. Dots and strokes keep their size under either."""
        arrow = lambda a, b: Arrow(to_screen(a), to_screen(b), buff=0, color=COLORS[s], stroke_width=6,
                                   max_tip_length_to_length_ratio=0.2)
        dot = lambda xy, r, c: Dot(to_screen(xy), radius=r, color=c)
        if s == "ddim":           # Euler: one tangent from x_t
            return VGroup(dot(pt["x"], 0.07, style.TEXT), arrow(pt["x"], pt["end"]))
        if s == "heun":           # the Euler guess (dashed), the slope there, the corrected end
            return VGroup(dot(pt["x"], 0.07, style.TEXT),
                          DashedLine(to_screen(pt["x"]), to_screen(pt["guess"]), color=style.MUTED, stroke_width=4),
                          dot(pt["guess"], 0.07, style.MUTED), arrow(pt["x"], pt["end"]))
        # DPM-Solver++: x0_hat of the last two calls, the extrapolated D beyond them, the step toward D
        return VGroup(dot(pt["a"], 0.06, style.MUTED), dot(pt["b"], 0.07, style.SIGNAL),
                      DashedLine(to_screen(pt["a"]), to_screen(pt["D"]), color=style.SIGNAL, stroke_width=3),
                      dot(pt["D"], 0.08, style.HIGHLIGHT), dot(pt["x"], 0.07, style.TEXT), arrow(pt["x"], pt["end"]))

    def zoom_inset(self, s: str, pt: dict, path: np.ndarray) -> tuple[VGroup, VGroup]:
        """(the window, the inset): the step's bounding square in the panel (with margin), and a square of
        INSET of the panel's side in the panel's corner clear of it, showing that window enlarged:
        the particle's exact ODE path (thin yellow) and the step, redrawn at the larger scale."""
        pan = self.pl[s]
        xy = np.array([v for v in pt.values()])
        lo, hi = xy.min(0), xy.max(0)
        half = max(0.6 * (hi - lo).max(), 0.15)                    # a square window around the step
        mid = (lo + hi) / 2
        side = INSET * pan.size
        win_side = 2 * half * pan.size / (2 * pan.lim)               # the window's side on screen
        zoom = side / win_side
        win_c = pan.c2p(mid[None])[0]
        # the corner whose inset overlaps the window least (then: lies furthest from it)
        corners = [np.array([cx, cy, 0.0]) for cx in (-1, 1) for cy in (-1, 1)]
        centre = lambda c: pan.frame.get_center() + c * (pan.size - side) / 2
        overlap = lambda c: np.prod(np.clip((side + win_side) / 2 - np.abs(centre(c) - win_c)[:2], 0, None))
        toward = min(corners, key=lambda c: (round(overlap(c), 6), -np.linalg.norm(centre(c) - win_c)))
        in_c = centre(toward)
        to_inset = lambda q: in_c + zoom * (pan.c2p(np.asarray(q, dtype=np.float64)[None])[0] - win_c)
        window = Square(side_length=win_side, color=COLORS[s], stroke_width=2).move_to(win_c)
        frame = Square(side_length=side, color=COLORS[s], stroke_width=3).move_to(in_c)
        frame.set_fill(style.BG, opacity=1)
        near = path[np.abs(path - mid).max(1) < half]               # the ODE path inside the window
        ode = VMobject(stroke_color=style.HIGHLIGHT, stroke_width=2, stroke_opacity=0.9)
        if len(near) > 1:
            ode.set_points_as_corners([to_inset(q) for q in near])
        link = Line(window.get_corner(toward), frame.get_corner(-toward), color=COLORS[s], stroke_width=1.5,
                    stroke_opacity=0.7)
        return VGroup(window, link), VGroup(frame, ode, self.step_marks(s, pt, to_inset))

    def one_step(self):
        pts = self.step_points()
        key = {"ddim": "ddim", "heun": "heun", "dpm++2m": "dpm"}
        # the paths stay as faint context; the end-point captions go (dimmed text would be unreadable)
        self.play(*[x.animate.set_opacity(0.15) for x in self.fade], FadeOut(self.caps))
        g, zoom = {}, {}
        ode_j = self.m["p"]["ode"][:, pts["j"]]
        for s in SOLVERS:
            to_panel = lambda q, s=s: self.pl[s].c2p(np.asarray(q, dtype=np.float64)[None])[0]
            g[s] = self.step_marks(s, pts[key[s]], to_panel)
            zoom[s] = self.zoom_inset(s, pts[key[s]], ode_j)
        show = lambda s, t: [Create(g[s]), Create(zoom[s][0]), FadeIn(zoom[s][1][0]), Create(zoom[s][1][1:])]
        self.next_beat("One step of one particle in each, enlarged in the inset beside the thin yellow exact path. "
                       "Euler: one call, one tangent, followed to the next time.", 7)
        self.play(Transform(self.heading, heading("One step, as each solver takes it")), *show("ddim", 1))
        self.wait(3)
        self.next_beat("Heun: the Euler guess first (dashed), a second call at the guess, and the step along the "
                       "average of the two slopes. Two calls per step.", 7)
        self.play(*show("heun", 2), run_time=2)
        self.wait(3)
        self.next_beat("DPM-Solver++: one call per step. It extends the line through the last two predictions "
                       "of the clean point, x0-hat, grey then teal, to the yellow point, and steps toward that.", 8)
        self.play(*show("dpm++2m", 2), run_time=2)
        self.wait(4)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in self.mobjects if x is not self.heading])

    def error_plot(self):
        m, sl, f = self.m, self.m["slopes"], self.facts
        ep = self.error_plot_parts()
        curves, key = ep.curves, ep.key
        self.next_beat(f"The error against the number of calls, both on log scales. DDIM's line falls with slope "
                       f"{-sl['ddim']:.2f}: halve the step, halve the error.", 7)
        self.play(Transform(self.heading, heading("Error against network calls (log-log)")), FadeIn(ep.ax), FadeIn(ep.xt),
                  FadeIn(ep.yt), FadeIn(ep.xl))
        self.play(Create(curves["ddim"]), FadeIn(key[0]), FadeIn(key[3]), run_time=2)
        self.wait(3)
        self.next_beat(f"Heun and DPM-Solver++ fall with slopes {-sl['heun']:.2f} and {-sl['dpm++2m']:.2f} at many "
                       f"calls: halve the step, quarter the error. With few calls on these timesteps they are no "
                       f"better; {f['dpm_overtakes_from'].text}. At {m['last']} calls they are "
                       f"{m['gain_last']['heun']:.0f} and {m['gain_last']['dpm++2m']:.0f} times closer.", 14)
        self.play(Create(curves["heun"]), Create(curves["dpm++2m"]), FadeIn(key[1]), FadeIn(key[2]), run_time=2.5)
        self.wait(8)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in self.mobjects if x is not self.heading])

    def error_plot_parts(self) -> SimpleNamespace:
        """Log-log axes of each solver's distance to the RK45 solution against NFE (y is log10(error) - lo,
        so the x axis, drawn at y = 0, is the plot's bottom edge), a curve per solver, and the key."""
        o, sl = self.m["o"], self.m["slopes"]
        nfes, err = o["nfes"], o["error"]
        lo = np.floor(np.log10(min(min(v) for v in err.values())))
        hi = np.ceil(np.log10(max(max(v) for v in err.values())))
        plot_box, key_box = split(region(), [3, 1.2], gap=0.4)
        x0, y0, x1, y1 = plot_box
        ax = Axes(x_range=[np.log10(nfes[0]) - 0.1, np.log10(nfes[-1]) + 0.1, 1], y_range=[0, hi - lo, 1],
                  x_length=x1 - x0 - 1.2, y_length=y1 - y0 - 1.1, tips=False,
                  axis_config=dict(color=style.MUTED, stroke_width=2, include_ticks=False))
        ax.move_to([(x0 + x1) / 2 + 0.5, (y0 + y1) / 2 + 0.5, 0])
        xt = VGroup(*[label(str(k), style.SMALL_SIZE, style.MUTED).next_to(ax.c2p(np.log10(k), 0), DOWN, buff=0.15)
                      for k in nfes])
        yt = VGroup(*[label(f"1e{int(e)}", style.SMALL_SIZE, style.MUTED).next_to(ax.c2p(ax.x_range[0], e - lo), LEFT,
                                                                                     buff=0.15)
                      for e in range(int(lo), int(hi) + 1)])
        xl = label("network calls (NFE), log scale", style.SMALL_SIZE, style.MUTED).next_to(xt, DOWN, buff=0.12)
        curves = {}
        for s in SOLVERS:
            pts = [ax.c2p(np.log10(k), np.log10(e) - lo) for k, e in zip(nfes, err[s])]
            curves[s] = VGroup(VMobject(stroke_color=COLORS[s], stroke_width=3.5).set_points_as_corners(pts),
                               *[Dot(q, radius=0.06, color=COLORS[s]) for q in pts])
        key = VGroup(*[label(f"{NAMES[s]}\nslope {-sl[s]:.2f}", style.SMALL_SIZE + 2, COLORS[s]) for s in SOLVERS],
                     label("median distance at t = 0\nto the RK45 solution,\n64 particles, exact ε*",
                           style.SMALL_SIZE, style.MUTED)).arrange(DOWN, aligned_edge=LEFT, buff=0.4)
        if key.width > key_box[2] - key_box[0] or key.height > key_box[3] - key_box[1]:
            fit(key, key_box)
        else:
            key.move_to([(key_box[0] + key_box[2]) / 2, (key_box[1] + key_box[3]) / 2, 0])
        return SimpleNamespace(ax=ax, xt=xt, yt=yt, xl=xl, curves=curves, key=key)

    def digit_rows(self):
        m, d, f = self.m, self.m["d"], self.facts
        rows = [d["ref"][:, 0]] + [d[(s, DIGITS_NFE)][:, 0] for s in SOLVERS]
        names = ["ODE solved finely\n(DDIM, 500 calls)"] + [f"{NAMES[s]}, {DIGITS_NFE} calls\nRMS gap "
                                                            f"{m['digit_dist'][s]:.3f}" for s in SOLVERS]
        colors = [style.HIGHLIGHT] + [COLORS[s] for s in SOLVERS]
        label_box, grid_box = split(region(note=True), [1.6, 3], gap=0.4)
        grid = fit(image_grid(np.concatenate(rows), len(rows), rows[0].shape[0], height=1.0, scale=8), grid_box)
        h = grid.height / len(rows)
        labs = VGroup(*[label(t, style.SMALL_SIZE, c) for t, c in zip(names, colors)])
        if labs.width > label_box[2] - label_box[0]:
            labs.scale((label_box[2] - label_box[0]) / labs.width)
        for i, lab in enumerate(labs):            # each caption right-aligned against its row
            lab.next_to([grid.get_left()[0], grid.get_top()[1] - h * (i + 0.5), 0], LEFT, buff=0.3)
        note = footnote("RMS gap: root-mean-square pixel distance to the top row, mean over the 8 digits")
        self.next_beat(f"The trained digits U-Net, {len(rows[0])} digits from one x_T. Top: the ODE solved finely. "
                       f"Below, {DIGITS_NFE} calls each; {f['digits_closest_at_10'].text}.", 9)
        self.play(Transform(self.heading, heading(f"Digits from one x_T at {DIGITS_NFE} network calls")),
                  FadeIn(grid), FadeIn(labs), FadeIn(note))
        self.wait(6)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in self.mobjects])

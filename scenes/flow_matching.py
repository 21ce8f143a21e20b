"""FlowMatching — flow matching on the 2D spiral: the straight lines it trains on, the bent paths of the flow
it learns, its velocity field against the exact u_t, the flow and the diffusion at a few Euler/DDIM steps
from the same particles with the bench's measured straightness and quality, the affine link between the
two families, and one reflow round. Everything is loaded from scenes/kit/data/flow_matching.py (cached)."""
from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, FadeIn, FadeOut, Group, Transform, VGroup, Write, linear

from scenes.kit import style
from scenes.kit.data import flow_matching
from scenes.kit.data.flow_matching import FEW_NFE, FIELD_GRID, RACE_NFE, flow_density, measure
from scenes.kit.layout import fit, footnote, heading, region, split
from scenes.kit.numbers import GlyphNumber
from scenes.kit.paths import GrowPaths
from scenes.kit.plane import PlanePanel, arrow_field, density_image, heat_image, point_cloud, polylines
from scenes.kit.scene import DiffusionScene
from scenes.kit.text import label, math

LIM = 2.9
PANEL_LIM = FIELD_GRID["lim"] * FIELD_GRID["n"] / (FIELD_GRID["n"] - 1)
N_RACE_PATHS = 60             # of the race's particles, whose steps are drawn


def race_table(q, s) -> VGroup:
    """Distance to the data (x the floor) at every NFE and the straightness, a row per sampler and
    model (the exact fields muted), in the region above the footnote."""
    nfes = sorted(q["flow"])
    head = ["network calls"] + [str(k) for k in nfes] + ["straightness"]
    rows = [("diffusion, DDIM", q["diffusion"], s["diffusion"], style.STATE),
            ("flow, Euler", q["flow"], s["flow"], style.PREDICTION),
            ("diffusion, exact ε*", q["diffusion_exact"], s["diffusion_exact"], style.MUTED),
            ("flow, exact u_t", q["flow_exact"], s["flow_exact"], style.MUTED)]
    cols = [VGroup(*[label(h, style.LABEL_SIZE, style.TEXT)]) for h in head]
    for name, qq, st, color in rows:
        cols[0].add(label(name, style.LABEL_SIZE, color))
        for j, k in enumerate(nfes):
            cols[j + 1].add(label(f"{qq[k]:.1f}", style.LABEL_SIZE, color))
        cols[-1].add(label(f"{st:.2f}", style.LABEL_SIZE, color))
    for c in cols:
        c.arrange(DOWN, buff=0.45, aligned_edge=LEFT if c is cols[0] else RIGHT)
    table = VGroup(*cols).arrange(RIGHT, buff=0.55, aligned_edge=UP)
    if table.width > region()[2] - region()[0]:
        fit(table, region(note=True))
    else:
        table.move_to([0, (region(note=True)[1] + region(note=True)[3]) / 2, 0])
    return table


class FlowMatching(DiffusionScene):
    description = ("Flow matching on the 2D spiral: straight training lines, the learned velocity vs the exact "
                   "u_t, flow vs diffusion at few steps, the affine link, one reflow round.")
    data = flow_matching

    def construct(self):
        self.m = measure()
        self.d, self.mix = self.m["d"], self.m["mix"]
        self.intro()
        self.lines()
        self.field()
        self.race()
        self.link()
        self.reflow()

    def retitle(self, text: str):
        return Transform(self.heading, heading(text))

    def shade(self, panel, t: float):
        """The flow path's exact density p_t behind a panel."""
        n = 120
        dens = flow_density(self.mix, t, panel.lim, n)
        return heat_image(panel, dens, n, float(dens.max()), style.SIGNAL).set_opacity(0.55)

    # --- beats --------------------------------------------------------------------------------
    def intro(self):
        self.beat("Most new image models are trained another way: flow matching. Same data, same network, "
                  "a different path from noise to data.", 5)
        self.title_card("Flow matching", "straight lines from noise to data")

    def lines(self):
        d = self.d
        n = len(d["x0"])
        left_box, right_box = split(region(note=True), [1, 1], gap=0.6)
        panel = PlanePanel.fitted(LIM, left_box, f"{n} training pairs (ε, x₀) and their lines", style.STATE)
        data = density_image(panel, self.mix, 1.0, strength=0.45, color=style.SIGNAL)
        lines = polylines(panel, np.stack([d["eps"], d["x0"]], 1), style.STATE, 1.6, 0.8)
        eps = point_cloud(panel, d["eps"], style.NOISE, radius=0.04)
        x0 = point_cloud(panel, d["x0"], style.SIGNAL, radius=0.04)
        eqs = VGroup(math(r"x_t = (1 - t)\,x_0 + t\,\varepsilon", size=style.TITLE_SIZE),
                     label("t = 0: the data,  t = 1: pure noise", style.LABEL_SIZE, style.MUTED),
                     math(r"v = \frac{dx_t}{dt} = \varepsilon - x_0", size=style.TITLE_SIZE, color=style.STATE),
                     math(r"\min_\theta\ \mathbb{E}\,\big\|v_\theta(x_t, t) - (\varepsilon - x_0)\big\|^2",
                          size=style.TITLE_SIZE - 4, color=style.PREDICTION)).arrange(DOWN, buff=0.45)
        eqs.move_to([(right_box[0] + right_box[2]) / 2, (right_box[1] + right_box[3]) / 2, 0])
        if eqs.width > right_box[2] - right_box[0]:
            fit(eqs, right_box)
        self.heading = heading("Training: a straight line from each noise draw to a data point")
        self.next_beat(f"Take a data point x0 and a noise draw epsilon, and join them by a straight line. "
                       f"Here are {n} such pairs on the spiral data.", 6)
        self.play(FadeIn(self.heading), FadeIn(panel), FadeIn(data))
        self.play(FadeIn(eps), FadeIn(x0))
        self.play(GrowPaths(lines), run_time=2, rate_func=linear); self.wait(1)
        self.next_beat("Along the line x_t moves at the constant velocity epsilon minus x0; the network learns that "
                       "velocity from x_t and t, by least squares. Nothing else changes: same MLP, same data.", 8)
        self.play(Write(eqs[0]), FadeIn(eqs[1])); self.play(Write(eqs[2])); self.play(Write(eqs[3])); self.wait(3)
        self.hold_narration()
        self.trained_flow(right_box, eqs)
        self.play(*[FadeOut(x) for x in self.mobjects if x is not self.heading])

    def trained_flow(self, right_box, eqs):
        """The flow the network learned, from the same noise, in place of the equations: its paths bend."""
        m, d = self.m, self.d
        right = PlanePanel.fitted(LIM, right_box, "the trained flow from the same ε", style.PREDICTION)
        data_r = density_image(right, self.mix, 1.0, strength=0.45, color=style.SIGNAL)
        paths = polylines(right, d["flow_paths"].transpose(1, 0, 2), style.PREDICTION, 1.8, 0.9)
        ends = point_cloud(right, d["flow_paths"][-1], style.PREDICTION, radius=0.04)
        eps_r = point_cloud(right, d["eps"], style.NOISE, radius=0.04)
        note = footnote(f"straightness (chord / length): the lines 1.00, the flow's paths {m['straight']['flow']:.2f} "
                        f"(exact u_t: {m['straight']['flow_exact']:.2f})", color=style.TEXT)
        self.next_beat("But at a point x_t many lines cross, and the network can only learn their average "
                       f"direction. So the flow's own paths bend: straightness {m['straight']['flow']:.2f}, "
                       "where a straight line scores one.", 8)
        self.play(FadeOut(eqs), FadeIn(right), FadeIn(data_r), FadeIn(eps_r))
        self.play(GrowPaths(paths), run_time=3, rate_func=linear)
        self.play(FadeIn(ends), FadeIn(note)); self.wait(4)
        self.hold_narration()

    def fields_at(self, k):
        f = self.d["fields"]
        scale = float(np.median(np.linalg.norm(f["u"][k], axis=1)))
        t = float(f["t"][k])
        return (self.shade(self.left, t), self.shade(self.right, t),
                arrow_field(self.left, f["points"], f["u"][k], scale, style.SIGNAL, self.cell),
                arrow_field(self.right, f["points"], f["v_hat"][k], scale, style.PREDICTION, self.cell))

    def field(self):
        m, f = self.m, self.d["fields"]
        boxes = split(region(note=True), [1, 1], gap=0.6)
        self.left = PlanePanel.fitted(PANEL_LIM, boxes[0], "exact u_t(x) = E[ε − x₀ | x_t = x]", style.SIGNAL)
        self.right = PlanePanel.fitted(PANEL_LIM, boxes[1], "learned v_θ(x, t)", style.PREDICTION)
        self.cell = self.left.size * FIELD_GRID["lim"] / PANEL_LIM / (FIELD_GRID["n"] - 1)
        img_l, img_r, arr_l, arr_r = self.fields_at(0)
        ts = f["t"]
        t_text = GlyphNumber(ts[0], "t = {}", decimals=2, size=style.LABEL_SIZE, color=style.HIGHLIGHT)
        t_text.next_to(heading("The velocity field, exact and learned"), RIGHT, buff=0.8)
        err_label = footnote("relative squared error of the learned field at this t:", color=style.MUTED)
        err = GlyphNumber(f["rel"][0], "{}", decimals=3, size=style.SMALL_SIZE, color=style.TEXT)
        err.next_to(err_label, RIGHT, buff=0.2)
        VGroup(err_label, err).move_to([0, err_label.get_y(), 0])
        self.next_beat("For the spiral the average is known exactly: the flow's marginal is a mixture at every t, so "
                       "the ideal velocity u_t is in closed form. Left exact, right the trained network; arrows point "
                       "toward the noise, the sampler runs against them.", 9)
        self.play(self.retitle("The velocity field, exact and learned"), FadeIn(self.left), FadeIn(self.right),
                  FadeIn(img_l), FadeIn(img_r), FadeIn(arr_l), FadeIn(arr_r), FadeIn(t_text), FadeIn(err_label),
                  FadeIn(err))
        self.bring_to_front(arr_l, arr_r)
        self.wait(3)
        worst_t = max(m["field_rel_at"], key=m["field_rel_at"].get)
        self.next_beat(f"From noise to data the field sharpens around the spiral. Over draws of p_t the learned field's "
                       f"squared error is {m['field_rel']:.1%} of the field's on average, largest at t = {worst_t:.2f} "
                       f"({m['field_rel_max']:.1%}).", 9)
        for k in range(1, len(ts)):
            new = self.fields_at(k)
            self.remove(img_l, img_r)
            img_l, img_r = new[0], new[1]
            self.add(img_l, img_r); self.bring_to_front(arr_l, arr_r)
            t_text.set_value(ts[k]); err.set_value(f["rel"][k])
            self.play(Transform(arr_l, new[2]), Transform(arr_r, new[3]), run_time=1.0)
            self.wait(0.6)
        self.wait(2)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in self.mobjects if x is not self.heading])

    def race_panels(self, nfe, boxes):
        d, m = self.d["race"][nfe], self.m
        out = []
        for box, key, title, color in ((boxes[0], "diffusion", f"diffusion, DDIM η = 0, {nfe} calls", style.STATE),
                                       (boxes[1], "flow", f"flow, Euler over t, {nfe} calls", style.PREDICTION)):
            p = PlanePanel.fitted(LIM, box, title, color)
            xs = d[key]
            sw = m["q"][key][nfe]
            out.append(Group(p, density_image(p, self.mix, 1.0, strength=0.45, color=style.SIGNAL),
                              polylines(p, xs[:, :N_RACE_PATHS].transpose(1, 0, 2), color, 1.4, 0.8),
                              point_cloud(p, xs[-1], color, radius=0.03),
                              label(f"distance to the data: {sw:.1f}× the floor", style.SMALL_SIZE + 2, color
                                    ).next_to(p.frame, DOWN, buff=0.15)))
        return out

    def race(self):
        m, q, s = self.m, self.m["q"], self.m["straight"]
        box = region()
        boxes = split((box[0], box[1] + 0.5, box[2], box[3]), [1, 1], gap=0.7)
        n = self.d["race"][RACE_NFE[0]]["flow"].shape[1]
        first = self.race_panels(RACE_NFE[0], boxes)
        self.next_beat(f"Now sample with very few steps. The same {n} noise points go through the diffusion model "
                       f"(DDIM, eta = 0) and the flow (Euler over t), {RACE_NFE[0]} network calls each; "
                       f"{N_RACE_PATHS} paths drawn.", 8)
        self.play(self.retitle(f"The same particles, {RACE_NFE[0]} network calls"), FadeIn(first[0]), FadeIn(first[1]))
        self.wait(5)
        second = self.race_panels(RACE_NFE[1], boxes)
        self.next_beat(f"With {RACE_NFE[1]} calls: distance to the data {q['diffusion'][RACE_NFE[1]]:.1f} times the "
                       f"floor for the diffusion, {q['flow'][RACE_NFE[1]]:.1f} for the flow "
                       f"(sliced Wasserstein, {m['n_quality']} samples; 1 = two exact sample sets).", 8)
        self.play(self.retitle(f"The same particles, {RACE_NFE[1]} network calls"),
                  FadeOut(first[0]), FadeOut(first[1]), FadeIn(second[0]), FadeIn(second[1]))
        self.wait(5)
        self.hold_narration()
        self.play(FadeOut(second[0]), FadeOut(second[1]))
        table = race_table(q, s)
        note = footnote(f"× the floor, {m['n_quality']} samples from one x_T (the noise itself: {m['noise']:.1f}×); "
                        "straightness = chord / length", color=style.TEXT)
        f = self.facts
        self.next_beat(f"Every budget, measured. The noise they start from is {m['noise']:.1f} times the floor: "
                       f"{f['diffusion_vs_noise'].text}. The exact fields through the same "
                       f"samplers show what is the step size alone. And {f['flow_vs_diffusion_straightness'].text}: "
                       f"straightness {s['flow']:.2f} against {s['diffusion']:.2f}.", 11)
        self.play(self.retitle("Distance to the data against network calls"), FadeIn(table), FadeIn(note))
        self.wait(7)
        self.hold_narration()
        self.play(FadeOut(table), FadeOut(note))

    def link(self):
        m, d = self.m, self.d
        eqs = VGroup(
            math(r"\alpha_t = \sqrt{\bar\alpha_t},\quad \sigma_t = \sqrt{1-\bar\alpha_t}", size=style.TITLE_SIZE - 4,
                 color=style.MUTED),
            math(r"s = \frac{\sigma_t}{\alpha_t + \sigma_t},\qquad x^{\mathrm{flow}} = \frac{x_t}{\alpha_t + \sigma_t}",
                 size=style.TITLE_SIZE),
            math(r"u_s\big(x^{\mathrm{flow}}\big) = \frac{\varepsilon^*(x_t, t) - x^{\mathrm{flow}}}{1 - s}",
                 size=style.TITLE_SIZE + 4, color=style.PREDICTION),
            label(f"checked with both exact fields on {4 * flow_matching.LINK_N} points: largest gap "
                  f"{d['link_gap']:.0e}", style.LABEL_SIZE, style.TEXT),
            label(f"DDIM η = 0 with ε*  =  Euler on the flow with u_t at these times:\n"
                  f"the same {d['same_ode']['nfe']}-step samples to {d['same_ode']['max_abs_diff']:.0e}",
                  style.LABEL_SIZE, style.TEXT)).arrange(DOWN, buff=0.45)
        fit(eqs, region())
        self.next_beat("Flow and diffusion are one family. Both states are alpha times x0 plus sigma times noise; "
                       "at the same signal-to-noise ratio they differ only by a scale.", 7)
        self.layout_exempt("fill", "the link's formulas are written line by line; two beats later they fill the frame")
        self.play(self.retitle("One family: the link at matching signal-to-noise ratio"), Write(eqs[0]), Write(eqs[1]))
        self.wait(3)
        self.next_beat("So the ideal velocity is an affine function of the ideal noise prediction. Checked with the "
                       "exact fields of both models, the map holds to round-off.", 7)
        self.play(Write(eqs[2])); self.play(FadeIn(eqs[3])); self.wait(3)
        self.next_beat("And DDIM with eta = 0 is Euler's method on the flow: stepping at the matching times, "
                       "the two samplers land on the same points. The few-step gap is where the steps sit, "
                       "and what each network learned.", 9)
        self.play(FadeIn(eqs[4])); self.wait(6)
        self.hold_narration()
        self.play(FadeOut(eqs))

    def reflow(self):
        m, d, q, s = self.m, self.d, self.m["q"], self.m["straight"]
        boxes = split(region(note=True), [1, 1], gap=0.6)
        pans = []
        for box, key, title, color, straight in (
                (boxes[0], "flow_paths", "the flow (toy2d-fm)", style.PREDICTION, s["flow"]),
                (boxes[1], "reflow_paths", "after one reflow round", style.HIGHLIGHT, s["reflow"])):
            p = PlanePanel.fitted(LIM, box, title, color)
            xs = d[key]
            pans.append(Group(p, density_image(p, self.mix, 1.0, strength=0.45, color=style.SIGNAL),
                               polylines(p, xs.transpose(1, 0, 2), color, 1.8, 0.9),
                               point_cloud(p, xs[0], style.NOISE, radius=0.04),
                               point_cloud(p, xs[-1], color, radius=0.04)))
        note = footnote(f"straightness {s['flow']:.2f} → {s['reflow']:.2f};  one Euler step: "
                        f"{q['flow'][1]:.1f}× → {q['reflow'][1]:.1f}× the floor (the teacher at 20 steps: "
                        f"{q['flow'][20]:.1f}×)", color=style.TEXT)
        self.next_beat("Straighter paths need fewer steps. Reflow pairs each noise point with the sample the flow "
                       "makes from it, and trains the same network again on those straight lines.", 8)
        self.play(self.retitle("Reflow: train again on the flow's own pairs"), FadeIn(pans[0]))
        self.wait(2)
        self.play(FadeIn(pans[1])); self.play(FadeIn(note))
        self.next_beat(f"One round: straightness {s['reflow']:.2f}, and a single Euler step lands "
                       f"{q['reflow'][1]:.1f} times the floor from the data, where the flow needed "
                       f"{q['flow'][1]:.1f}.", 8)
        self.wait(7)
        self.hold_narration()
        self.play(*[FadeOut(x) for x in self.mobjects])

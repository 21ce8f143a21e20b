"""FewerSteps, data: the same particles of the 2D spiral under DDIM (Euler), Heun and DPM-Solver++(2M) at a
handful of calls with the exact eps*, the RK45 paths, the error against calls and its slopes, digits at 10
calls; every number the narration states, and the claims (diffusion.studies.solvers, cached)."""
from __future__ import annotations

import numpy as np

from diffusion.studies.solvers import SOLVERS, get_digits_at, get_order_curves, get_particle_runs
from scenes.kit.claims import claim, worded
from scenes.kit.models import digits_model, toy2d_model

NFE = 7                       # network calls of the particle panels
DIGITS_NFE = 10
NAMES = {"ddim": "DDIM = Euler", "heun": "Heun", "dpm++2m": "DPM-Solver++(2M)"}



def particles():
    """24 particles under each solver at 7 calls with the exact eps*, and the RK45 paths"""
    return get_particle_runs(toy2d_model(), n=24, seed=3, nfe=NFE)


def order():
    """median error at t = 0 against calls, per solver (exact eps*), and the log-log slopes"""
    return get_order_curves(toy2d_model())


def digits():
    """digits from one x_T at 10 calls per solver, and the ODE solved finely (DDIM 500 steps)"""
    return get_digits_at(digits_model(), nfes=(DIGITS_NFE,), n=8, seed=11)


def end_errors(p: dict) -> dict:
    """Mean distance of each solver's final particles to the RK45 end points."""
    return {s: float(np.linalg.norm(p[s]["x_prev"][-1] - p["ode"][-1], axis=1).mean()) for s in SOLVERS}


def overtake(o: dict, solver: str):
    """The smallest NFE from which `solver`'s error stays below DDIM's at every larger NFE measured
    (None if it never does)."""
    nfes, e = o["nfes"], o["error"]
    for i, k in enumerate(nfes):
        if all(e[solver][j] < e["ddim"][j] for j in range(i, len(nfes))):
            return k
    return None


def measure(p=None, o=None, d=None) -> dict:
    """Every number the narration states (the data may be passed in, as the claim tests do)."""
    p, o, d = p or particles(), o or order(), d or digits()
    m = dict(p=p, o=o, d=d, end=end_errors(p), slopes=o["slopes"])
    m["best_few"] = min(SOLVERS, key=lambda s: m["end"][s])
    m["overtake"] = {s: overtake(o, s) for s in ("heun", "dpm++2m")}
    last = o["nfes"][-1]
    m["last"] = last
    m["gain_last"] = {s: o["error"]["ddim"][-1] / o["error"][s][-1] for s in ("heun", "dpm++2m")}
    m["digit_dist"] = {s: d["dist"][(s, DIGITS_NFE)] for s in SOLVERS}
    m["best_digits"] = min(SOLVERS, key=lambda s: m["digit_dist"][s])
    return m


def claims_of(m: dict, o: dict | None = None) -> list:
    s, end, few = m["slopes"], m["end"], m["best_few"]
    dd, bd = m["digit_dist"], m["best_digits"]
    ov = m["overtake"]["dpm++2m"]
    o = order() if o is None else o
    best = lambda e: min(e, key=e.get)

    def swapped(e: dict, a: str, b: str) -> dict:        # two solvers' figures exchanged: swapped labels
        e = dict(e)
        e[a], e[b] = e[b], e[a]
        return e

    runner_up = min((k for k in end if k != few), key=end.get)
    worst = max(dd, key=dd.get)
    o_swapped = {**o, "error": {**o["error"], "ddim": o["error"]["dpm++2m"], "dpm++2m": o["error"]["ddim"]}}
    return [
        claim("euler_error_falls_like_one_over_calls", round(s["ddim"], 2), lambda v: 0.75 < v < 1.25,
              "DDIM's error falls like 1/NFE: slope about 1 on log axes (first order)",
              perturb={"DPM-Solver++'s curve in place of DDIM's": lambda: round(s["dpm++2m"], 2)}),
        claim("second_order_error_falls_like_one_over_calls_squared",
              (round(s["heun"], 2), round(s["dpm++2m"], 2)), lambda v: all(1.5 < x < 2.5 for x in v),
              "Heun's and DPM-Solver++'s errors fall like 1/NFE^2: slope about 2 (second order)",
              perturb={"DDIM's curve in place of both": lambda: (round(s["ddim"], 2), round(s["ddim"], 2))}),
        claim("second_order_far_ahead_at_most_calls", {k: round(v, 1) for k, v in m["gain_last"].items()},
              lambda v: all(x > 3 for x in v.values()),
              f"at {m['last']} calls both second-order solvers are more than 3 times closer than DDIM",
              perturb={"DDIM against itself": lambda: {k: 1.0 for k in m["gain_last"]}}),
        worded("few_calls_winner", {k: round(v, 3) for k, v in end.items()}, [
            (lambda e: best(e) == "ddim" == few, f"at {NFE} calls DDIM still lands closest: order pays off only "
                                                 "once the steps are small"),
            (lambda e: best(e) == few, f"at {NFE} calls {NAMES[few]} already lands closest"),
            (lambda e: True, f"at {NFE} calls another solver lands closest")],
            perturb={"the winner's and the runner-up's figures swapped": lambda: swapped(end, few, runner_up)}),
        worded("dpm_overtakes_from", ov, [
            (lambda v: v is None, "on these timesteps DPM-Solver++ never stays ahead of DDIM"),
            (lambda v: v == ov, f"from {ov} calls on, DPM-Solver++ stays ahead of DDIM"),
            (lambda v: True, "DPM-Solver++ stays ahead of DDIM from another number of calls")],
            perturb={"DDIM's and DPM-Solver++'s curves swapped": lambda: overtake(o_swapped, "dpm++2m")}),
        worded("digits_closest_at_10", {k: round(v, 3) for k, v in dd.items()}, [
            (lambda v: best(v) == bd, f"at {DIGITS_NFE} calls {NAMES[bd]}'s digits are closest to the finely "
                                      f"solved ODE"),
            (lambda v: True, f"at {DIGITS_NFE} calls another solver's digits are closest")],
            perturb={"the closest and the farthest solver's distances swapped": lambda: swapped(dd, bd, worst)}),
    ]


NEEDS = (toy2d_model, particles, order, digits_model, digits)


def claims():
    return claims_of(measure())

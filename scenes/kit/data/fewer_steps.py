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


def claims_of(m: dict) -> list:
    s, end, few = m["slopes"], m["end"], m["best_few"]
    dd, bd = m["digit_dist"], m["best_digits"]
    ov = m["overtake"]["dpm++2m"]
    return [
        claim("euler_error_falls_like_one_over_calls", round(s["ddim"], 2), 0.75 < s["ddim"] < 1.25,
              "DDIM's error falls like 1/NFE: slope about 1 on log axes (first order)"),
        claim("second_order_error_falls_like_one_over_calls_squared",
              (round(s["heun"], 2), round(s["dpm++2m"], 2)),
              all(1.5 < s[k] < 2.5 for k in ("heun", "dpm++2m")),
              "Heun's and DPM-Solver++'s errors fall like 1/NFE^2: slope about 2 (second order)"),
        claim("second_order_far_ahead_at_most_calls", {k: round(v, 1) for k, v in m["gain_last"].items()},
              all(v > 3 for v in m["gain_last"].values()),
              f"at {m['last']} calls both second-order solvers are more than 3 times closer than DDIM"),
        worded("few_calls_winner", {k: round(v, 3) for k, v in end.items()}, [
            (lambda e: few == "ddim", f"at {NFE} calls DDIM still lands closest: order pays off only once "
                                       "the steps are small"),
            (lambda e: True, f"at {NFE} calls {NAMES[few]} already lands closest")]),
        worded("dpm_overtakes_from", ov, [
            (lambda v: v is None, "on these timesteps DPM-Solver++ never stays ahead of DDIM"),
            (lambda v: True, f"from {ov} calls on, DPM-Solver++ stays ahead of DDIM")]),
        worded("digits_closest_at_10", {k: round(v, 3) for k, v in dd.items()}, [
            (lambda v: True, f"at {DIGITS_NFE} calls {NAMES[bd]}'s digits are closest to the finely solved ODE")]),
    ]


NEEDS = (toy2d_model, particles, order, digits_model, digits)


def claims():
    return claims_of(measure())

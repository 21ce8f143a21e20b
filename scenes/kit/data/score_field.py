"""ScoreField, data: learned and exact eps of the 2D spiral model on a grid at the shown t, the field error
against t, every number the narration states, and the claims."""
from __future__ import annotations

import numpy as np

from diffusion.models.toy2d.mixture import alpha_bar_at, log_density
from diffusion.models.toy2d.measure import error_by_density, fields_on_grid, get_field_error, get_fields_on_grid, tweedie_check
from scenes.kit.claims import claim, fact, worded
from scenes.kit.models import toy2d_model

# the arrows at these 0-based steps (T -> 0, denser near 0 where the field changes fast)
FIELD_TS = tuple(int(t) for t in np.unique(np.round(np.geomspace(1, 1000, 36)).astype(int) - 1)[::-1])
FIELD_GRID = dict(lim=2.7, n=15)
ERROR_TS = (999, 799, 599, 399, 299, 199, 149, 99, 69, 49, 29, 19, 9, 4, 0)
ERROR_T = 18                # 0-based step whose error map is shown (the field is sharpest near t = 0)
MASS = 0.9                  # "on the data": the grid region holding this share of q_t's mass


def field_data() -> dict:
    """learned and exact eps on the grid at every shown t, and the field error against t (toy2d model)"""
    tm = toy2d_model()
    return dict(fields=get_fields_on_grid(tm, FIELD_TS, **FIELD_GRID), error=get_field_error(tm, ERROR_TS))


def _angles(a, b) -> np.ndarray:
    """Angles (degrees) between the rows of a and b."""
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def median_angle(fields, k) -> float:
    """Median angle (degrees) between the learned and the exact arrows over the grid at frame k."""
    return float(np.median(_angles(fields["eps_hat"][k], fields["eps_star"][k])))


def scores(fields, k, ab):
    """Exact and learned scores at frame k: s = -eps / sqrt(1 - alpha_bar)."""
    c = -1.0 / np.sqrt(1.0 - ab)
    return c * fields["eps_star"][k], c * fields["eps_hat"][k]


def identity_check(fields, mix, sched) -> dict:
    """eps* against -sqrt(1 - ab) times a finite difference of the closed-form log q_t, on the grid at the
    middle shown t: the largest gap."""
    t = int(fields["t"][len(fields["t"]) // 2])
    ab = alpha_bar_at(sched, t)
    x = fields["points"]
    h = 1e-5
    fd = np.stack([(log_density(mix, x + h * e, ab) - log_density(mix, x - h * e, ab)).numpy() / (2 * h)
                   for e in np.eye(2)], 1)
    gap = float(np.abs(fields["eps_star"][list(fields["t"]).index(t)] + np.sqrt(1 - ab) * fd).max())
    return dict(t=t, n=len(x), gap=gap)


def measure() -> dict:
    """Every number the narration states, from the cached fields and field error."""
    tm = toy2d_model()
    mix, sched = tm.config.mixture, tm.schedule
    data = field_data()
    fields, err = data["fields"], data["error"]
    ts = list(fields["t"])
    # at t = T: the angle between each score arrow and the direction to the origin (-x)
    to_origin = -fields["points"]
    away = fields["points"].any(1)                        # the origin itself has no direction
    e0, l0 = scores(fields, 0, alpha_bar_at(sched, ts[0]))
    k = int(np.argmin(np.abs(np.array(ts) - ERROR_T)))
    where = error_by_density(fields, MASS)
    rel, et = np.asarray(err["rel"]), np.asarray(err["t"])
    i_small = int(np.argmin(np.abs(et - ERROR_T)))
    return dict(
        mix=mix, sched=sched, fields=fields, err=err, identity=identity_check(fields, mix, sched),
        origin_exact=float(np.median(_angles(e0[away], to_origin[away]))),
        origin_learned=float(np.median(_angles(l0[away], to_origin[away]))),
        angle0=median_angle(fields, 0), angles=[median_angle(fields, j) for j in range(len(ts))],
        k_map=k, t_map=ts[k], hi=float(where["high_density"][k]), lo=float(where["low_density"][k]),
        rel_T=float(rel[np.argmax(et)]), t_T=int(et.max()), rel_small=float(rel[i_small]), t_small=int(et[i_small]),
        t_peak=int(et[np.argmax(rel)]), t_min_err=int(et[np.argmin(rel)]))


TWEEDIE = dict(ts=(599, 199, 49), n=50_000, seed=3, min_ess=50)   # the Monte Carlo check of E[eps | x_t]


def tweedie() -> dict:
    """E[eps | x_t] by Monte Carlo on the arrow grid beside the exact eps* (toy2d mixture, no network)"""
    return tweedie_check(toy2d_model(), TWEEDIE["ts"], FIELD_GRID["lim"], FIELD_GRID["n"], TWEEDIE["n"], TWEEDIE["seed"])


def abs_peak(m) -> int:
    """0-based step where the learned eps's absolute error (not divided by |eps*|^2) is largest."""
    err = m["err"]
    return int(np.asarray(err["t"])[np.argmax(np.asarray(err["mse"]))])


def fields_untrained() -> dict:
    """An untrained network's arrows on the grid: the median angle to the exact ones at every shown t,
    and at t = T to the origin (what the learned-field claims must fail on)."""
    tm = toy2d_model()
    fields = field_data()["fields"]
    u = fields_on_grid(tm.untrained(), [int(t) for t in fields["t"]], FIELD_GRID["lim"], FIELD_GRID["n"])
    away = u["points"].any(1)
    return dict(angles=[float(np.median(_angles(u["eps_hat"][j], u["eps_star"][j]))) for j in range(len(u["t"]))],
                origin=float(np.median(_angles(-u["eps_hat"][0][away], -u["points"][away]))))


NEEDS = (toy2d_model, field_data, tweedie)


def claims():
    m = measure()
    idc = m["identity"]
    ratio = m["lo"] / m["hi"]
    tw = tweedie()
    ok = tw["ess"] >= TWEEDIE["min_ess"]
    ab = np.array([alpha_bar_at(m["sched"], t) for t in tw["t"]])[:, None, None]

    def median_z(eps):
        """median over grid points and coordinates (with enough effective draws) of |MC - eps| / its SE"""
        return round(float(np.median((np.abs(tw["eps_mc"] - eps) / tw["se"])[ok])), 3)

    untrained = lambda: fields_untrained()
    return [
        # eps* is defined in the code as -sqrt(1 - ab) grad log q: the finite-difference check tests the
        # code's gradient, not a fact about diffusion. Shown, not evidence.
        fact("identity_matches_finite_differences", idc["gap"], idc["gap"] < 1e-5,
             f"eps* and minus root one minus alpha-bar times a finite difference of log q_t agree to "
             f"{idc['gap']:.0e} on {idc['n']} points"),
        claim("tweedie_mc_is_eps_star", median_z(tw["eps_star"]), lambda v: v < 1.5,
              f"averaging the noise over data points weighted by how likely they made x_t (Monte Carlo, "
              f"{TWEEDIE['n']:,} draws) gives eps*: the median gap is {median_z(tw['eps_star']):.2f} standard "
              f"errors (pure sampling noise gives 0.67)",
              perturb={"the square root dropped: -(1 - alpha_bar) grad log q":
                       lambda: median_z(tw["eps_star"] * np.sqrt(1 - ab))}),
        fact("exact_score_at_T_points_to_origin", round(m["origin_exact"], 2), m["origin_exact"] < 10,
             f"at t = T the exact arrows point to the origin (median {m['origin_exact']:.1f}° off)"),
        claim("learned_score_at_T_points_to_origin", round(m["origin_learned"], 2), lambda v: v < 10,
              f"at t = T the learned arrows point to the origin (median {m['origin_learned']:.1f}° off)",
              perturb={"an untrained network": lambda: round(untrained()["origin"], 2)}),
        worded("median_angle_at_most", round(max(m["angles"]), 2), [
            (lambda v: v < 10, f"the median angle between learned and exact arrows stays at most "
                               f"{max(m['angles']):.0f}° on the way"),
            (lambda v: True, f"the median angle between learned and exact arrows reaches "
                             f"{max(m['angles']):.0f}° on the way")],
            # the opposite of what was measured: an untrained network when the arrows agree, the exact
            # eps* (angle 0) when they do not
            perturb={"an untrained network": lambda: round(max(untrained()["angles"]), 2)} if max(m["angles"]) < 10
            else {"the exact eps* in place of the network": lambda: 0.0}),
        worded("error_largest_at", m["t_peak"] + 1, [
            (lambda t: t == 1, "largest at t = 1, where eps* itself nearly vanishes"),
            (lambda t: True, f"largest at t = {m['t_peak'] + 1}")],
            perturb={"the error not divided by |eps*|^2 (absolute, not relative)": lambda: abs_peak(m) + 1}),
        worded("error_off_the_data", round(ratio, 3), [
            (lambda r: r > 1, f"{ratio:.1f} times larger off the data, where q_t has its last "
                              f"{1 - MASS:.0%} of mass and training points are rare"),
            (lambda r: True, f"{1 / ratio:.1f} times larger on the data than off it")],
            perturb={"the on- and off-data regions swapped": lambda: round(m["hi"] / m["lo"], 3)}),
    ]

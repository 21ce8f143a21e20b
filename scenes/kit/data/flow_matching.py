"""FlowMatching, data: the straight training lines of the flow on the 2D spiral, the marginal paths the trained
flow (toy2d-fm) and its reflowed twin (toy2d-reflow) take from the same noise, the learned velocity against
the exact u_t on a grid, few-step particles of the flow (Euler over t) and the diffusion (toy2d, DDIM eta = 0)
from one x_T, the bench's straightness and quality figures, the affine link checked with the exact fields,
every number the narration states, and the claims."""
from __future__ import annotations

import numpy as np
import torch

from diffusion.core.cache import cache_dir, config_key, get_or_build, torch_bytes, torch_from_bytes
from diffusion.core.path import flow_scale, flow_time_at, velocity_from_eps
from diffusion.models import get_model
from diffusion.models.toy2d.mixture import exact_eps_ab, sample_mixture
from diffusion.models.toy2d.measure import grid_points
from diffusion.models.toy2d_fm.velocity import exact_velocity, flow_log_density, sample_flow_marginal
from diffusion.studies.flow_compare import get_toy2d_measure, run, same_ode_check, straightness
from scenes.kit.claims import claim, worded
from scenes.kit.models import toy2d_model
from scenes.kit.preset import scene_preset

LINES = dict(n=36, seed=21)                 # training pairs drawn as lines, and the paths from their noise
PATH_CALLS = 100                            # Euler calls of the drawn marginal paths
FIELD_TS = (0.95, 0.8, 0.6, 0.45, 0.3, 0.2, 0.1)   # flow times of the arrows (t = 1 is noise)
FIELD_GRID = dict(lim=2.7, n=15)
FIELD_ERROR_N = 3000                        # draws of p_t per time for the field's error
RACE = dict(n=300, seed=31)                 # particles of the few-step race
RACE_NFE = (2, 5)
LINK_AB = (0.9, 0.5, 0.1, 0.01)             # alpha_bar of the link's check
LINK_N = 500


def toy2d_fm_model():
    """the 2D spiral MLP trained by flow matching (toy2d-fm), the scenes' preset"""
    return get_model("toy2d-fm", scene_preset(), progress=False)


def toy2d_reflow_model():
    """toy2d-fm rectified once (toy2d-reflow), the scenes' preset"""
    return get_model("toy2d-reflow", scene_preset(), progress=False)


def measures() -> dict:
    """the bench's straightness and few-step quality of the three 2D models (cached)"""
    return {name: get_toy2d_measure(tm) for name, tm in
            (("toy2d", toy2d_model()), ("toy2d-fm", toy2d_fm_model()), ("toy2d-reflow", toy2d_reflow_model()))}


@torch.inference_mode()
def velocity_fields(net, mix, path, ts=FIELD_TS, lim=FIELD_GRID["lim"], n=FIELD_GRID["n"]) -> dict:
    """Learned and exact velocity on the grid at each flow time, and the learned field's relative error
    E|v - u|^2 / E|u|^2 over FIELD_ERROR_N draws of p_t (seeded by the time)."""
    pts = torch.from_numpy(grid_points(lim, n))
    hat, star, rel = [], [], []
    for t in ts:
        k = torch.full((len(pts),), float(path.step_of(t)))
        hat.append(net(pts.float(), k).double().numpy())
        star.append(exact_velocity(mix, pts, t).numpy())
        x = sample_flow_marginal(mix, t, FIELD_ERROR_N, seed=int(round(1000 * t)))
        u = exact_velocity(mix, x, t)
        v = net(x.float(), torch.full((len(x),), float(path.step_of(t)))).double()
        rel.append(float(((v - u) ** 2).sum(1).mean() / (u ** 2).sum(1).mean()))
    return dict(points=pts.numpy(), t=np.array(ts), v_hat=np.stack(hat), u=np.stack(star), rel=np.array(rel))


def link_gap(mix, ab=LINK_AB, n=LINK_N, time_map=flow_time_at) -> float:
    """Largest |velocity_from_eps(c y, s, eps*(y, ab)) - u_s(c y)| over n points per alpha_bar, with the flow
    time s = time_map(ab) (the matching SNR: flow_time_at) and c = flow_scale(ab)."""
    gap = 0.0
    for a in ab:
        y = torch.randn((n, 2), generator=torch.Generator().manual_seed(int(1e4 * a)), dtype=torch.float64) * 1.5
        s, c = float(time_map(a)), float(flow_scale(a))
        eps = exact_eps_ab(mix, y, torch.tensor(a, dtype=torch.float64))
        gap = max(gap, float((velocity_from_eps(c * y, s, eps) - exact_velocity(mix, c * y, s)).abs().max()))
    return gap


def _scene_data() -> dict:
    tm, fm, rf = toy2d_model(), toy2d_fm_model(), toy2d_reflow_model()
    mix = fm.config.mixture
    g = torch.Generator().manual_seed(LINES["seed"])
    x0 = sample_mixture(mix, LINES["n"], g).double().numpy()
    eps = fm.noise(LINES["n"], LINES["seed"])
    race = {}
    for nfe in RACE_NFE:
        race[nfe] = dict(flow=run(fm, None, RACE["n"], RACE["seed"], nfe, record=True).x,
                         diffusion=run(tm, None, RACE["n"], RACE["seed"], nfe, record=True).x)
    return dict(
        x0=x0, eps=eps.numpy(),
        flow_paths=run(fm, None, LINES["n"], LINES["seed"], PATH_CALLS, record=True).x,
        reflow_paths=run(rf, None, LINES["n"], LINES["seed"], PATH_CALLS, record=True).x,
        fields=velocity_fields(fm.model, mix, fm.schedule),
        race=race, link_gap=link_gap(mix), same_ode=same_ode_check(tm))


def scene_data() -> dict:
    """drawn lines and paths, the velocity fields, the few-step race and the link checks (cached)"""
    tm, fm, rf = toy2d_model(), toy2d_fm_model(), toy2d_reflow_model()
    spec = dict(kind="flow-matching-scene", models=[tm.key, fm.key, rf.key], lines=LINES, calls=PATH_CALLS,
                ts=FIELD_TS, grid=FIELD_GRID, race=RACE, nfe=RACE_NFE, ab=LINK_AB, n=LINK_N, v=1)
    path = cache_dir() / "inspect" / f"flow-matching-scene-{config_key(spec)}.pt"
    return get_or_build(path, _scene_data, torch_bytes, torch_from_bytes)


def flow_density(mix, t: float, lim: float, n: int = 120) -> np.ndarray:
    """p_t of the flow path on an n x n grid over [-lim, lim]^2 (bottom-left first), for the shading."""
    return np.exp(flow_log_density(mix, grid_points(lim, n), t).numpy())


def sw_rows(m: dict, name: str, sampler: str, model: str = "network") -> dict:
    """{nfe: SW1 / floor} of one model's rows in the bench measure."""
    fl = m[name]["floor"]["sw1"]
    return {r["nfe"]: r["sw1"] / fl for r in m[name]["rows"] if r["sampler"] == sampler and r["model"] == model}


def noise_ratio(tm, m: dict) -> float:
    """SW1 / floor of the bench's x_T itself (N(0, I), the same draws every sampler starts from)."""
    from diffusion.models.toy2d.measure import distances_to_mixture

    x_T = tm.noise(m["n"], m["seed"]).numpy()
    return distances_to_mixture(x_T, tm.config.mixture)["sw1"] / m["floor"]["sw1"]


def measure() -> dict:
    """Every number the narration states."""
    m = measures()
    d = scene_data()
    q = dict(diffusion=sw_rows(m, "toy2d", "ddim"), flow=sw_rows(m, "toy2d-fm", "euler"),
             reflow=sw_rows(m, "toy2d-reflow", "euler"), diffusion_exact=sw_rows(m, "toy2d", "ddim", "exact"),
             flow_exact=sw_rows(m, "toy2d-fm", "euler", "exact"))
    st = {k: m[k]["straightness"] for k in m}
    return dict(
        d=d, m=m, q=q, mix=toy2d_fm_model().config.mixture, path=toy2d_fm_model().schedule,
        straight=dict(diffusion=st["toy2d"]["network"], flow=st["toy2d-fm"]["network"],
                      reflow=st["toy2d-reflow"]["network"], diffusion_exact=st["toy2d"]["exact"],
                      flow_exact=st["toy2d-fm"]["exact"]),
        lines_straight=float(straightness(np.stack([d["eps"], d["x0"]])).mean()),
        drawn_flow=float(straightness(d["flow_paths"]).mean()), drawn_reflow=float(straightness(d["reflow_paths"]).mean()),
        noise=noise_ratio(toy2d_fm_model(), m["toy2d-fm"]),
        field_rel=float(np.mean(d["fields"]["rel"])), field_rel_max=float(np.max(d["fields"]["rel"])),
        field_rel_at=dict(zip(d["fields"]["t"].tolist(), d["fields"]["rel"].tolist())),
        n_quality=m["toy2d"]["n"], path_calls=m["toy2d"]["path_steps"])


NEEDS = (toy2d_model, toy2d_fm_model, toy2d_reflow_model, measures, scene_data)

FIELD_BOUND = 0.25         # mean relative error of the learned velocity over FIELD_TS; an untrained net ~1
FEW_NFE = 5                # "at few steps": the NFE of the quality claim


def _untrained(tm):
    from diffusion.models import get_recipe

    torch.manual_seed(0)
    return get_recipe(tm.name).network(tm.config).eval()


def _sw_ratio_of(tm, net, nfe: int, m: dict) -> float:
    """SW1 / floor of `net` (None: the model's own) through the model's first-order sampler, bench sizes."""
    from diffusion.core.sample import sample
    from diffusion.models.toy2d.flow import one_thread
    from diffusion.models.toy2d.measure import distances_to_mixture
    from diffusion.studies.flow_compare import ode_sampler

    with one_thread():
        x = sample(net or tm.model, tm.schedule, tm.noise(m["n"], m["seed"]), ode_sampler(tm.schedule), nfe,
                   record=False, clip_x0=False)
    return distances_to_mixture(x.numpy(), tm.config.mixture)["sw1"] / m["floor"]["sw1"]


def _straightness_of(tm, net, m: dict) -> float:
    from diffusion.core.sample import sample
    from diffusion.models.toy2d.flow import one_thread

    with one_thread():
        xs = sample(net, tm.schedule, tm.noise(1000, m["seed"]), "euler", m["path_steps"]).x
    return float(straightness(xs).mean())


def field_claim(rel_mean: float, perturb=None):
    return claim("learned_velocity_close", round(rel_mean, 4), lambda v: v < FIELD_BOUND,
                 f"the learned velocity is within {FIELD_BOUND:.0%} (relative squared error) of the exact u_t",
                 perturb=perturb)


def few_step_claim(q: dict, noise: float, perturb=None):
    """noise: the starting noise's own distance to the data (the same units): a sampler that moves nothing."""
    f, d = q["flow"][FEW_NFE], q["diffusion"][FEW_NFE]
    return claim("flow_better_at_few_steps", (round(f, 2), round(d, 2), round(noise, 2)),
                 lambda v: v[0] < v[1] and v[0] < 0.8 * v[2],
                 f"with {FEW_NFE} network calls the flow's samples are closer to the data than the diffusion's, "
                 "and clearly closer than the noise they started from", perturb=perturb)


def _reflow_test(v) -> bool:
    s_rf, s_fm, q_rf, q_fm, noise = v
    return s_rf > s_fm and q_rf < 0.5 * min(q_fm, noise)


def reflow_claim(straight: dict, q: dict, noise: float, perturb=None):
    return claim("reflow_straightens", (round(straight["reflow"], 3), round(straight["flow"], 3),
                                        round(q["reflow"][1], 2), round(q["flow"][1], 2), round(noise, 2)),
                 _reflow_test,
                 "one reflow round straightens the paths, and one step lands at less than half the flow's "
                 "1-step distance and half the starting noise's", perturb=perturb)


def same_ode_claim(gap: float, perturb=None):
    return claim("ddim_is_euler_on_the_flow", float(f"{gap:.2g}"), lambda v: v < 1e-9,
                 "DDIM with the exact eps* and Euler on the flow at matching SNR land on the same points",
                 perturb=perturb)


def link_claim(gap: float, perturb=None):
    return claim("link_is_exact", float(f"{gap:.2g}"), lambda v: v < 1e-9,
                 "the affine map turns the diffusion's exact eps* into the flow's exact u_t", perturb=perturb)


def equal_noise_level(ab):
    """A plausible slip: match the noise levels (s = sqrt(1 - alpha_bar)) instead of the SNR."""
    return np.sqrt(1 - np.asarray(ab, dtype=np.float64))


def _or(ks) -> str:
    ks = [str(k) for k in ks]
    return ks[0] if len(ks) == 1 else ", ".join(ks[:-1]) + " or " + ks[-1]


def claims():
    m = measure()
    s, q, mm = m["straight"], m["q"], m["m"]
    tm, fm, rf = toy2d_model(), toy2d_fm_model(), toy2d_reflow_model()
    worse_of = lambda rows: [k for k in sorted(rows) if rows[k] > m["noise"]]
    worse = worse_of(q["diffusion"])
    said = (f"with {_or(worse)} calls the diffusion lands further from the data than that" if worse
            else "every diffusion row lands closer to the data than that")
    noise_words = [(lambda ks: list(ks) == worse, said),
                   (lambda ks: True, "another set of budgets lands further from the data than that")]
    return [
        field_claim(m["field_rel"], perturb={"untrained network": lambda: float(np.mean(
            velocity_fields(_untrained(fm), fm.config.mixture, fm.schedule)["rel"]))}),
        few_step_claim(q, m["noise"], perturb={"untrained flow network": lambda: (
            _sw_ratio_of(fm, _untrained(fm), FEW_NFE, mm["toy2d-fm"]), q["diffusion"][FEW_NFE], m["noise"])}),
        reflow_claim(s, q, m["noise"], perturb={"untrained reflow network": lambda: (
            _straightness_of(rf, _untrained(rf), mm["toy2d-reflow"]), s["flow"],
            _sw_ratio_of(rf, _untrained(rf), 1, mm["toy2d-reflow"]), q["flow"][1], m["noise"])}),
        same_ode_claim(m["d"]["same_ode"]["max_abs_diff"], perturb={"equal noise levels instead of equal SNR": lambda:
            same_ode_check(tm, time_map=equal_noise_level)["max_abs_diff"]}),
        link_claim(m["d"]["link_gap"], perturb={"equal noise levels instead of equal SNR": lambda:
            link_gap(fm.config.mixture, time_map=equal_noise_level)}),
        worded("diffusion_vs_noise", worse, noise_words,
               perturb={"the flow's rows read as the diffusion's": lambda: worse_of(q["flow"])}),
        worded("flow_vs_diffusion_straightness", (round(s["flow"], 3), round(s["diffusion"], 3)), [
            (lambda v: v[0] < v[1], "the flow's paths bend more than the diffusion's here"),
            (lambda v: True, "the flow's paths are the straighter ones")],
            perturb={"the reflowed model read as the flow": lambda: (round(s["reflow"], 3), round(s["diffusion"], 3))}),
    ]

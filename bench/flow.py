"""Flow matching against the diffusion ODE on the same data, network size and training budget. Writes
bench/reports/flow.md (and bench/results/flow.json).

    python -m bench.flow                  # $DIFFUSION_PRESET (default: default), cache $DIFFUSION_CACHE
    python -m bench.flow --skip-digits    # the 2D part only (about a minute once the models are trained)

2D spiral (toy2d: eps-prediction on the linear beta schedule; toy2d-fm: velocity on x_t = (1 - t) x_0 + t eps;
toy2d-reflow: toy2d-fm rectified once on its own (noise, sample) pairs; the same MLP, the same 4000 x_T):
- straightness of the particles' paths, mean over 1000 particles of |x_end - x_start| / path length, each
  path drawn with 200 network calls of the family's first-order sampler (DDIM eta = 0 / Euler over t);
- few-step quality at NFE 1, 2, 5, 10, 20: sliced W1 to 4000 exact data draws, and its ratio to the floor
  (two exact sets); every diffusion and flow row also with the exact field (eps* / u_t) through the same
  sampler, which isolates the discretisation error; Heun (2 calls per interval) beside the first-order rows.
Digits (digits and digits-fm, the same U-Net and budget): the digits bench's Fréchet ratio (samples /
real-data floor, classifier features), mean and min-max over its 8 x_T seeds of 1000 samples, at the same NFEs.
"""
from __future__ import annotations

import argparse

from bench.report import Report, save_json
from diffusion.core.presets import active_preset
from diffusion.studies.flow_compare import NFES, PATH_STEPS, digits_measure, get_toy2d_measure, same_ode_check

MODELS_2D = (("diffusion ODE", "toy2d"), ("flow", "toy2d-fm"), ("flow, reflowed once", "toy2d-reflow"))


def _rows(m: dict) -> dict:
    return {(r["sampler"], r["nfe"], r["model"]): r for r in m["rows"]}


def toy2d_section(rep: Report, preset) -> dict:
    from diffusion.models import get_model

    tms = {name: get_model(name, preset, progress=True) for _, name in MODELS_2D}
    ms = {name: get_toy2d_measure(tm) for name, tm in tms.items()}
    floor = ms["toy2d"]["floor"]["sw1"]
    n = ms["toy2d"]["n"]
    rep.text(f"2D spiral, N = {n} samples from the same x_T for every row; SW1 floor (exact vs exact) {floor:.4f}. "
             + "; ".join(f"{name} {tm.key}: {len(tm.history['loss'])} training steps in {tm.history['seconds'][-1]:.0f} s"
                         for name, tm in tms.items()) + ".")
    rep.table(["family", "model", "network", "exact field"],
              [[label, name, f"{ms[name]['straightness']['network']:.3f}",
                f"{ms[name]['straightness']['exact']:.3f}" if "exact" in ms[name]["straightness"] else "-"]
               for label, name in MODELS_2D],
              caption=f"Straightness of the sampling paths (1 = a straight line), mean over 1000 particles, "
                      f"{PATH_STEPS} calls of DDIM eta 0 / Euler over t")
    first = {"toy2d": "ddim", "toy2d-fm": "euler", "toy2d-reflow": "euler"}
    r = {name: _rows(m) for name, m in ms.items()}

    def cell(name, sampler, nfe, model="network"):
        row = r[name].get((sampler, nfe, model))
        return "-" if row is None else f"{row['sw1']:.3f} ({row['sw1'] / floor:.1f}x)"

    rep.table(["NFE", "diffusion DDIM", "flow Euler", "reflow Euler", "diffusion DDIM, eps*", "flow Euler, u_t",
               "diffusion Heun", "flow Heun"],
              [[nfe, cell("toy2d", "ddim", nfe), cell("toy2d-fm", "euler", nfe), cell("toy2d-reflow", "euler", nfe),
                cell("toy2d", "ddim", nfe, "exact"), cell("toy2d-fm", "euler", nfe, "exact"),
                cell("toy2d", "heun", nfe), cell("toy2d-fm", "heun", nfe)] for nfe in NFES],
              caption="Few-step quality: SW1 to exact data draws (its multiple of the floor); networks unless "
                      "the column names the exact field")
    s = {name: ms[name]["straightness"]["network"] for name in ms}
    one = {name: r[name][(first[name], 1, "network")]["sw1"] for name in ms}
    rep.check("reflow straightens the flow's paths (network)", f"{s['toy2d-reflow']:.3f} vs {s['toy2d-fm']:.3f}", ">",
              s["toy2d-reflow"] > s["toy2d-fm"])
    rep.check("reflow's 1-step SW1 below the flow's", f"{one['toy2d-reflow']:.3f} vs {one['toy2d-fm']:.3f}", "<",
              one["toy2d-reflow"] < one["toy2d-fm"])
    same = same_ode_check(tms["toy2d"])
    rep.text(f"One ODE, two clocks: Euler over t with the exact u_t, stepping at the flow times whose SNR matches "
             f"DDIM's {same['nfe']} steps, lands on DDIM's samples with the exact eps* (largest difference "
             f"{same['max_abs_diff']:.1e} on coordinates up to {same['scale']:.1f}); so with exact fields the two "
             "columns differ only in where the steps sit. DDIM's grid is the library's evenly spaced steps "
             "(NFE 2: steps 1000 and 1, so its second call is nearly wasted); the flow's is evenly spaced in t.")
    rep.check("DDIM (eps*) = flow Euler (u_t) at matching SNR times, max abs difference", f"{same['max_abs_diff']:.1e}",
              "< 1e-6", same["max_abs_diff"] < 1e-6)
    for nfe in NFES:
        d, f = r["toy2d"][("ddim", nfe, "network")]["sw1"], r["toy2d-fm"][("euler", nfe, "network")]["sw1"]
        rep.check(f"NFE {nfe}: flow Euler SW1 / diffusion DDIM SW1", round(f / d, 2), "(figure)", None)
    return dict(measures=ms, keys={name: tm.key for name, tm in tms.items()}, same_ode=same)


def digits_section(rep: Report, preset) -> dict:
    from diffusion.models import get_model

    out = {}
    for name in ("digits", "digits-fm"):
        tm = get_model(name, preset, progress=True)
        out[name] = dict(key=tm.key, train_seconds=tm.history["seconds"][-1], rows=digits_measure(tm))
    seeds = len(out["digits"]["rows"][0]["seeds"])

    def cell(name, i):
        row = out[name]["rows"][i]
        return f"{row['ratio_mean']:.2f} [{row['ratio_min']:.2f}-{row['ratio_max']:.2f}]"

    rep.table(["NFE", "digits, DDIM", "digits-fm, Euler"], [[nfe, cell("digits", i), cell("digits-fm", i)]
                                                            for i, nfe in enumerate(NFES)],
              caption=f"Digits: Fréchet ratio samples / real floor, mean [min-max] over {seeds} x_T seeds of 1000 "
                      f"(models {out['digits']['key']} and {out['digits-fm']['key']}, the same U-Net and "
                      "training steps)")
    for i, nfe in enumerate(NFES):
        d, f = out["digits"]["rows"][i], out["digits-fm"]["rows"][i]
        apart = f["ratio_max"] < d["ratio_min"] or d["ratio_max"] < f["ratio_min"]
        rep.check(f"digits NFE {nfe}: flow mean ratio / diffusion mean ratio"
                  f"{'' if apart else ' (seed ranges overlap)'}", round(f["ratio_mean"] / d["ratio_mean"], 2),
                  "(figure)", None)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-digits", action="store_true", help="the 2D part only")
    args = p.parse_args(argv)
    preset = active_preset()
    rep = Report("flow", "Flow matching and the diffusion ODE on the same data", argv=argv)
    res = dict(toy2d=toy2d_section(rep, preset))
    if not args.skip_digits:
        res["digits"] = digits_section(rep, preset)
    save_json("flow", res)
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())

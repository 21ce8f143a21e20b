"""The default-sampler decision (diffusion.studies.sampler_choice; bench.solvers reports it) at 50 network
calls: which run is best on the digits network, whether it beats DDIM beyond the seed spread, whether it
reaches DDPM over all 1000 steps, and the paired comparison on DDPM-1000's own seeds (read from the rows,
never from the order they came in)."""
import pytest

from diffusion.studies.sampler_choice import RUNS, decide

SEEDS = [1, 2, 3, 4]


def row(sampler, spacing, nfe, per_seed, seeds=SEEDS, model="network"):
    return dict(model=model, sampler=sampler, spacing=spacing, nfe=nfe, seeds=list(seeds), per_seed=list(per_seed),
                ratio_mean=sum(per_seed) / len(per_seed), ratio_min=min(per_seed), ratio_max=max(per_seed))


def digits(sde_50):
    rows = [row("ddpm", "uniform", 1000, [1.3, 1.7], seeds=SEEDS[:2])]
    rows += [row(s, sp, 50, [2.0, 2.2, 2.4, 2.6]) for s, sp in RUNS if (s, sp) != ("dpm++2m-sde", "uniform")]
    rows += [row("dpm++2m-sde", "uniform", 50, sde_50)]
    rows += [row("dpm++2m-sde", "uniform", 50, [0.1] * 4, model="memoriser")]      # not the network: ignored
    return dict(T=1000, seeds=SEEDS, rows=rows)


def test_the_sde_solver_and_ddpm_respaced_are_rows_of_the_bench():
    assert ("dpm++2m-sde", "uniform") in RUNS and ("dpm++2m-sde", "karras") in RUNS and ("ddpm", "uniform") in RUNS


def test_decide_picks_the_best_run_and_reads_ddpm_by_its_1000_steps():
    dec = decide(digits([1.4, 1.5, 1.6, 2.1]))
    assert (dec["best"], dec["spacing"]) == ("dpm++2m-sde", "uniform")
    assert dec["best_mean"] == pytest.approx(1.65) and dec["ddpm_max"] == pytest.approx(1.7)
    assert dec["within_ddpm_spread_or_better"] and not dec["beats_ddim_beyond_spread"]   # worst 2.1 > DDIM's best 2.0
    assert dec["best_on_ddpm_seeds"] == pytest.approx(1.45) and dec["ddpm_seeds"] == [1, 2]


def test_decide_sees_a_missed_bound_and_a_win_beyond_the_spread():
    dec = decide(digits([1.6, 1.7, 1.8, 1.95]))
    assert not dec["within_ddpm_spread_or_better"] and dec["beats_ddim_beyond_spread"]
    dec = decide(digits([2.2, 2.3, 2.4, 2.7]))                      # worse than the others' 2.3 mean
    assert dec["best"] != "dpm++2m-sde" and not dec["beats_ddim_beyond_spread"]

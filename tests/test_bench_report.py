"""The bench's one report writer and one exit policy: every script writes bench/reports/NAME.md through
bench.report (the command and the machine in words under each table, no machine path) and exits 1 on a
missed bound."""
import ast
from pathlib import Path

import pytest

from bench.report import Report, command, machine

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if p.name not in ("__init__.py", "report.py"))


def test_a_report_carries_its_command_and_machine_and_a_missed_bound_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DIFFUSION_PRESET", raising=False)
    rep = Report("demo", "A demo", argv=["--n", "3", "--out", str(tmp_path / "x.json")], module="bench.demo",
                 out_dir=tmp_path)
    rep.table(["a", "b"], [[1, 0.123456], ["x|y", True]])
    rep.check("a figure", 0.5, "<= 1", met=True)
    rep.check("unbounded", 2.0, "-", met=None)
    assert rep.finish() == 0
    text = (tmp_path / "demo.md").read_text()
    assert text.startswith("# A demo\n")
    assert "`python -m bench.demo --n 3 --out PATH`" in text and str(tmp_path) not in text
    assert machine() in text and "core" in machine() and ("GPU" in machine())
    assert "| 1 | 0.1235 |" in text and "x\\|y" in text and "every bound met" in text
    assert not list(tmp_path.glob(".*tmp"))                       # written through a temporary file, renamed

    rep = Report("demo", "A demo", argv=[], module="bench.demo", out_dir=tmp_path)
    rep.check("a figure", 1.5, "<= 1", met=False)
    assert rep.finish() == 1
    assert "MISSED: a figure" in (tmp_path / "demo.md").read_text() and "MISSED" in capsys.readouterr().out


def test_a_sweep_keeps_the_sections_of_other_commands(tmp_path):
    for argv, value in ((["--a"], 1), (["--b"], 2), (["--a"], 3)):
        rep = Report("sweep", "Sweep", argv=argv, module="bench.sweep", out_dir=tmp_path, keep_other_commands=True,
                     echo=False)
        rep.table(["v"], [[value]])
        assert rep.finish() == 0
    text = (tmp_path / "sweep.md").read_text()
    assert text.count("<!-- command:") == 2 and "| 3 |" in text and "| 2 |" in text and "| 1 |" not in text


def test_bad_tables_and_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="report name"):
        Report("../x", "X", out_dir=tmp_path)
    with pytest.raises(ValueError, match="every row needs 2 cells"):
        Report("x", "X", out_dir=tmp_path, echo=False).table(["a", "b"], [[1]])


def test_the_command_shows_the_preset_and_hides_paths_outside_the_repository(monkeypatch):
    monkeypatch.setenv("DIFFUSION_PRESET", "quick")
    assert command(["--load", "/somewhere/w.pt", f"--out={BENCH}/results/x.json"], "bench.digits") == \
        "DIFFUSION_PRESET=quick python -m bench.digits --load PATH --out=bench/results/x.json"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_bench_script_reports_through_the_writer_and_exits_with_its_status(script):
    """Read as text, never imported: no sys.path edits, no private function of the command line, a Report
    whose finish() is main's status, and `raise SystemExit(main())`."""
    source = script.read_text()
    tree = ast.parse(source)
    assert "sys.path" not in source
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n.module for n in imports if n.module and n.module.endswith("__main__")]
    assert not [a.name for n in imports for a in n.names if a.name.startswith("_") and a.name != "__future__"]
    assert any(n.module == "bench.report" for n in imports)
    assert "return rep.finish()" in source and source.rstrip().endswith("raise SystemExit(main())")


def test_make_bench_runs_every_script():
    """The Makefile's BENCH list names every bench script, so `make bench` rewrites every report."""
    import re

    text = (BENCH.parent / "Makefile").read_text()
    listed = re.search(r"^BENCH \?=((?:.*\\\n)*.*)$", text, re.M).group(1)
    names = {word.split(":")[0] for word in listed.replace("\\\n", " ").split()}
    assert names == {p.stem for p in SCRIPTS}


def test_no_test_imports_a_bench_script():
    """Tests check library code; a bench script only measures and reports (its writer, bench.report, is
    the one bench module a test may import)."""
    from test_imports import imported

    scripts = {f"bench.{p.stem}": p for p in SCRIPTS}
    offenders = {test.name: imported(test.stem, test, scripts)
                 for test in sorted(Path(__file__).resolve().parent.glob("*.py"))}
    assert not {name: found for name, found in offenders.items() if found}

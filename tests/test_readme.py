"""The README's tables follow the code: the series table names every registered scene in series order,
and the reports table names every bench script once."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table under `## heading`, header and rule left out."""
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[c.strip() for c in r.strip("|").split("|")] for r in rows[2:]]


def test_the_series_table_is_every_scene_in_series_order():
    from scenes.kit.registry import chapters

    in_order = [name for _, names in chapters() for name in names]
    assert [row[0] for row in table_after("The series")] == in_order


def test_the_reports_table_names_every_bench_script_once():
    scripts = {p.stem for p in (ROOT / "bench").glob("*.py") if p.stem not in ("__init__", "report")}
    named = [m for row in table_after("Measured reports") for m in re.findall(r"`bench\.(\w+)`", row[0])]
    assert sorted(named) == sorted(scripts)

"""The one report writer of the bench, and its one exit policy.

Every bench script builds a Report, adds tables, text and checks, and ends with `return rep.finish()`:

    from bench.report import Report

    def main(argv=None) -> int:
        rep = Report("toy1d", "The 1D mixture model against its exact truth")
        rep.text("5000 samples of each sampler from the same x_T.")
        rep.table(["sampler", "W1", "pass"], [["ddpm 1000", 0.031, "yes"]])
        rep.check("W1, DDPM 1000 steps", 0.031, "<= 0.06", met=0.031 <= 0.06)
        return rep.finish()

    if __name__ == "__main__":
        raise SystemExit(main())

finish() writes bench/reports/<name>.md atomically (temporary file, then rename) and returns the exit
status: 1 when any check with a bound was missed, else 0. Every table in the file carries the command
that made it (as `python -m bench.NAME ARGS`, with DIFFUSION_PRESET when set) and the machine in words
(CPU model, cores, GPU or none, torch threads); no path of the machine is written. With
`keep_other_commands=True` (sweeps, screens) the sections other commands wrote into the same report stay
and only this command's section is replaced.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import shlex
import sys
from pathlib import Path

REPORTS = Path(__file__).resolve().parent / "reports"
ROOT = REPORTS.parent.parent
_SECTION = re.compile(r"^<!-- command: (.*) -->$", re.M)


def machine() -> str:
    """This machine in words: '2-core x86_64 CPU (AMD EPYC), no GPU; torch 2.5.1, 1 thread'."""
    model = platform.processor() or "unknown model"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    words = f"{os.cpu_count()}-core {platform.machine()} CPU ({model})"
    try:
        import torch
    except ImportError:
        return words + ", no GPU"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    threads = torch.get_num_threads()
    return f"{words}, {gpu}; torch {torch.__version__.split('+')[0]}, {threads} thread{'s' * (threads != 1)}"


def _word(arg: str) -> str:
    """An argument as a report shows it: a path inside the repository relative to it, any other absolute
    path as PATH (the machine's directories are no part of the command)."""
    if arg.startswith("/") or re.match(r"^--[\w-]+=/", arg):
        flag, _, path = arg.rpartition("=") if arg.startswith("--") else ("", "", arg)
        try:
            shown = str(Path(path).resolve().relative_to(ROOT))
        except ValueError:
            shown = "PATH"
        return f"{flag}={shown}" if flag else shown
    return arg


def command(argv: list[str] | None = None, module: str | None = None) -> str:
    """The command that is running, as a newcomer would type it from the repository root."""
    if module is None:
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        if spec is not None and spec.name:
            module = spec.name
        else:
            try:
                rel = Path(sys.argv[0]).resolve().relative_to(ROOT).with_suffix("")
                module = ".".join(rel.parts)
            except ValueError:
                module = Path(sys.argv[0]).stem
    args = sys.argv[1:] if argv is None else list(argv)
    env = f"DIFFUSION_PRESET={os.environ['DIFFUSION_PRESET']} " if os.environ.get("DIFFUSION_PRESET") else ""
    return f"{env}python -m {module} {shlex.join(_word(a) for a in args)}".rstrip()


def _cell(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def _compact(v) -> str:
    """A list or dict in one short cell."""
    if isinstance(v, dict):
        return ", ".join(f"{k}={_compact(x) if isinstance(x, (list, dict, tuple)) else _cell(x)}" for k, x in v.items())
    return "[" + ", ".join(_cell(x) for x in v) + "]"


class Report:
    """A report in the making: tables, paragraphs and checks, written by finish()."""

    def __init__(self, name: str, title: str, *, argv: list[str] | None = None, module: str | None = None,
                 out_dir: Path | None = None, keep_other_commands: bool = False, echo: bool = True):
        if not re.fullmatch(r"[\w.-]+", name):
            raise ValueError(f"report name {name!r}: letters, digits, '.', '_' and '-' only")
        self.name, self.title = name, title
        self.path = Path(out_dir or REPORTS) / f"{name}.md"
        self.command = command(argv, module)
        self.machine = machine()
        self.keep_other_commands, self.echo = keep_other_commands, echo
        self.blocks: list[str] = []
        self.checks: list[dict] = []

    def _add(self, block: str) -> None:
        self.blocks.append(block)
        if self.echo:
            print(block + "\n", flush=True)

    def made_by(self) -> str:
        return f"_Made by `{self.command}` on a {self.machine}, {_dt.date.today().isoformat()}._"

    def text(self, paragraph: str) -> None:
        self._add(paragraph.strip())

    def table(self, headers: list[str], rows: list[list], caption: str | None = None) -> None:
        """A markdown table; cells are formatted (floats to 4 significant digits) unless already strings."""
        if any(len(r) != len(headers) for r in rows):
            raise ValueError(f"table {caption or headers}: every row needs {len(headers)} cells")
        lines = ([f"**{caption}**", ""] if caption else []) + [
            "| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
        self._add("\n".join(lines + ["", self.made_by()]))

    def records(self, records: list[dict], columns: list[str] | None = None, caption: str | None = None) -> None:
        """A table of dicts (one row each): the given columns, or every key in order of first appearance."""
        if columns is None:
            columns = list(dict.fromkeys(k for r in records for k in r))
        self.table(columns, [[_cell(r.get(c, "-")) if not isinstance(r.get(c), (list, dict, tuple)) else
                              _compact(r[c]) for c in columns] for r in records], caption)

    def check(self, name: str, value, bound: str, met: bool | None) -> bool | None:
        """A figure against its bound; met=None reports a figure without a bound (never fails the run)."""
        self.checks.append(dict(name=name, value=value, bound=bound, met=None if met is None else bool(met)))
        return met

    def missed(self) -> list[str]:
        return [c["name"] for c in self.checks if c["met"] is False]

    def _checks_block(self) -> str:
        rows = [[c["name"], c["value"], c["bound"], {True: "met", False: "MISSED", None: "-"}[c["met"]]]
                for c in self.checks]
        verdict = "every bound met" if not self.missed() else "MISSED: " + "; ".join(self.missed())
        return "\n".join(["| check | value | bound | verdict |", "|---|---|---|---|"]
                         + ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
                         + ["", f"Bounds: {verdict}.", "", self.made_by()])

    def render(self) -> str:
        body = self.blocks + ([self._checks_block()] if self.checks else [])
        return f"<!-- command: {self.command} -->\n" + "\n\n".join(body) + "\n"

    def finish(self) -> int:
        """Write the report (atomically) and return the exit status: 1 if a bound was missed, else 0."""
        from diffusion.core.cache import atomic_write_bytes

        sections = {}
        if self.keep_other_commands and self.path.exists():
            old = self.path.read_text()
            marks = list(_SECTION.finditer(old))
            for m, nxt in zip(marks, marks[1:] + [None]):
                sections[m.group(1)] = old[m.start():nxt.start() if nxt else len(old)].rstrip() + "\n"
        sections[self.command] = self.render()
        text = f"# {self.title}\n\n" + "\n".join(sections.values())
        atomic_write_bytes(self.path, text.encode())
        if self.checks and self.echo:
            print(self._checks_block() + "\n")
        status = 1 if self.missed() else 0
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path.name
        verdict = ("MISSED: " + "; ".join(self.missed()) if status else
                   "every bound met" if any(c["met"] is not None for c in self.checks) else "no bounds")
        print(f"wrote {shown}; {verdict}", flush=True)
        return status


def save_json(name: str, data, out_dir: Path | None = None) -> Path:
    """The raw figures beside the report, for scripts that read them: bench/results/NAME.json (atomically;
    bench/results/ is not tracked)."""
    import json

    from diffusion.core.cache import atomic_write_bytes

    path = Path(out_dir or REPORTS.parent / "results") / f"{name}.json"
    atomic_write_bytes(path, json.dumps(data, indent=2, default=_plain).encode())
    return path


def _plain(v):
    """numpy scalars and arrays, tuples as JSON takes them."""
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)

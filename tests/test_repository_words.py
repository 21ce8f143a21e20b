"""The repository speaks of the project only: no tracked file tells how it was built (work sessions,
issue numbers, commit hashes in prose) or names paths of the machine it was built on (above the
repository)."""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# built from parts so that this file does not match its own patterns
WORK_WORDS = [
    r"\b(first|second|third|fourth|fifth|this|last|next|previous|earlier|later) " + "sess" + r"ion\b",
    r"\bwork period",
    r"\(" + "iss" + r"ue #?\d+\)",
    r"\b" + "iss" + r"ues?[- ]#?\d+",
    r"\b" + "test_iss" + r"ue\d",
    r"\b(at|in|from|since) commit [0-9a-f]{7,40}\b",
]


def outside_paths() -> list[str]:
    """The directories above the repository, as a path written in a file would start with them."""
    parents = [p for p in ROOT.parents if str(p) not in ("/", "/tmp", "/home", "/root", "/usr")]
    return [str(p) + "/" for p in parents]


def pattern() -> re.Pattern:
    words = WORK_WORDS + [re.escape(p) for p in outside_paths()]
    return re.compile("|".join(f"(?:{w})" for w in words), re.IGNORECASE)


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no tracked files to read")
    return [ROOT / name for name in out.decode().split("\0") if name]


def offending_lines(files, rx) -> list[str]:
    hits = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue                                    # binary files and deleted-but-tracked files
        for n, line in enumerate(text.splitlines(), 1):
            if rx.search(line):
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                hits.append(f"{shown}:{n}: {line.strip()[:120]}")
    return hits


def test_no_tracked_file_speaks_of_how_it_was_built():
    hits = offending_lines(tracked_files(), pattern())
    assert not hits, "reword these to speak of the project:\n" + "\n".join(hits[:20])


@pytest.mark.parametrize("line", [
    "Measured in the third " + "sess" + "ion, on 2026-12-01",
    "Publishing (" + "iss" + "ue 8): every scene",
    "def test_" + "iss" + "ue6_scenes_render():",
    "renders of the " + "iss" + "ue-7 scenes",
    "all 13 scenes, at com" + "mit 9d6883c, a one-thread run",
])
def test_the_scan_finds_each_kind_of_word(line, tmp_path):
    """The scan is not vacuous: each kind of phrase it looks for is found in a file."""
    f = tmp_path / "notes.md"
    f.write_text("an ordinary line\n" + line + "\n")
    assert len(offending_lines([f], pattern())) == 1


def test_the_scan_finds_a_path_above_the_repository(tmp_path):
    if not outside_paths():
        pytest.skip("the repository sits directly under /")
    f = tmp_path / "notes.md"
    f.write_text(f"DIFFUSION_CACHE={outside_paths()[0]}cache python -m bench.toy1d\n")
    assert offending_lines([f], pattern())

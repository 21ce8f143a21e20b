"""Detect missing system pieces before manim does, with the exact line that installs them."""
from __future__ import annotations

import shutil
import subprocess
import sys

APT_LINE = ("apt-get install -y --no-install-recommends libcairo2-dev libpango1.0-dev pkg-config "
            "texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended dvisvgm")


def missing_pieces() -> list[str]:
    missing = []
    for tool in ("latex", "dvisvgm", "kpsewhich"):
        if shutil.which(tool) is None:
            missing.append(tool)
    if shutil.which("kpsewhich"):
        r = subprocess.run(["kpsewhich", "standalone.cls"], capture_output=True, text=True)
        if not r.stdout.strip():
            missing.append("standalone.cls (texlive-latex-extra)")
    try:
        import cairo  # noqa: F401
        import manimpango  # noqa: F401
    except ImportError as e:
        missing.append(f"cairo/pango python bindings ({e.name}): run `make setup`")
    return missing


def check_system() -> None:
    missing = missing_pieces()
    if missing:
        print(f"error: missing system pieces: {', '.join(missing)}\n  install them with: {APT_LINE}",
              file=sys.stderr)
        raise SystemExit(3)

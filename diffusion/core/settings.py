"""NAME=VALUE settings as the command lines take them (python -m diffusion train --set, the bench's --set)."""
from __future__ import annotations

import argparse
import ast


def parse_setting(s: str) -> tuple:
    """name=value with value a Python literal (9000, 1e-3, (1, 2)) or else a string; the name may be
    dotted for one field of a nested config (unet.base_channels=32). For argparse's type=: a bad one
    raises ArgumentTypeError, which argparse prints as a one-line error."""
    name, eq, value = s.partition("=")
    if not eq or not all(part.isidentifier() for part in name.split(".")):
        raise argparse.ArgumentTypeError(f"expected name=value, got {s!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value

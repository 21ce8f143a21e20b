"""One palette and type scale for every scene. THEME=light gives a variant for white blog themes."""
from __future__ import annotations

import os

THEME = os.environ.get("THEME", "dark")
if THEME not in ("dark", "light"):
    raise SystemExit(f"unknown THEME {THEME!r}; choose dark or light")

_DARK = dict(BG="#14161c", TEXT="#ECEFF4", MUTED="#8A93A6", GRID="#3B4252")
_LIGHT = dict(BG="#FFFFFF", TEXT="#1F2430", MUTED="#5E6675", GRID="#C9CED8")
_P = _DARK if THEME == "dark" else _LIGHT

BG = _P["BG"]
BG_LEVEL = 20 if THEME == "dark" else 255   # grey level of gaps between tiles (matches BG)
TEXT = _P["TEXT"]
MUTED = _P["MUTED"]
GRID = _P["GRID"]

# meaning-bearing colours, the same in every scene
SIGNAL = "#4FB3BF"      # x_0, the clean data, sqrt(alpha_bar)
NOISE = "#F4A261"       # eps, noise, sqrt(1 - alpha_bar)
PREDICTION = "#B48EAD"  # network outputs: eps_hat, x0_hat
STATE = "#81A1C1"       # x_t, the current state
HIGHLIGHT = "#EBCB8B"   # trackers, emphasis
FIXED = "#E06C75"       # conditioning: a fixed subgraph / known region
GENERATED = "#61AFEF"   # generated part

# type scale (manim font sizes), chosen to stay legible at 480p
TITLE_SIZE = 40
LABEL_SIZE = 28
SMALL_SIZE = 22

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

# meaning-bearing colours: the same meaning in every scene; the light theme uses darker shades of
# the same hues so that thin lines and small labels keep their contrast on white
_ACCENTS_DARK = dict(SIGNAL="#4FB3BF", NOISE="#F4A261", PREDICTION="#B48EAD", STATE="#81A1C1",
                     HIGHLIGHT="#EBCB8B", FIXED="#E06C75", GENERATED="#61AFEF")
_ACCENTS_LIGHT = dict(SIGNAL="#1F7F8A", NOISE="#C8651B", PREDICTION="#7D4F79", STATE="#3E6394",
                      HIGHLIGHT="#A67C00", FIXED="#C0392B", GENERATED="#1F6FB2")
_A = _ACCENTS_DARK if THEME == "dark" else _ACCENTS_LIGHT
SIGNAL = _A["SIGNAL"]          # x_0, the clean data, sqrt(alpha_bar)
NOISE = _A["NOISE"]            # eps, noise, sqrt(1 - alpha_bar)
PREDICTION = _A["PREDICTION"]  # network outputs: eps_hat, x0_hat
STATE = _A["STATE"]            # x_t, the current state
HIGHLIGHT = _A["HIGHLIGHT"]    # trackers, emphasis
FIXED = _A["FIXED"]            # conditioning: a fixed subgraph / known region
GENERATED = _A["GENERATED"]    # generated part

# type scale (manim font sizes), chosen to stay legible at 480p
TITLE_SIZE = 40
LABEL_SIZE = 28
SMALL_SIZE = 22
TICK_SIZE = 26       # TeX numbers (axis ticks): TeX glyphs are smaller than Text's at one font size

# pacing: a beat stays on screen at least as long as its narration takes to read at this speed
# (150 words a minute: relaxed subtitle reading while also watching the picture)
READING_WPS = 2.5

"""SubRip (.srt, what manim writes from subcaptions) <-> WebVTT (.vtt, what browsers read)."""
from __future__ import annotations

import re
from dataclasses import dataclass

_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})")


@dataclass(frozen=True)
class Cue:
    start: float   # seconds
    end: float
    text: str


def _seconds(stamp: str) -> float:
    m = _TIME.fullmatch(stamp.strip())
    if not m:
        raise ValueError(f"bad timestamp {stamp!r}")
    h, mi, s, ms = map(int, m.groups())
    return h * 3600 + mi * 60 + s + ms / 1000


def _stamp(t: float, sep: str) -> str:
    ms = int(round(t * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _parse(text: str, vtt: bool) -> list[Cue]:
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    if vtt:
        if not blocks or not blocks[0].startswith("WEBVTT"):
            raise ValueError("not a WebVTT file (no WEBVTT header)")
        blocks = blocks[1:]
    cues = []
    for b in blocks:
        lines = b.split("\n")
        i = next((k for k, l in enumerate(lines) if "-->" in l), None)
        if i is None or i > 1:
            raise ValueError(f"cue without a timing line: {b!r}")
        start, end = lines[i].split("-->")
        end = end.strip().split()[0]          # drop WebVTT cue settings
        cue = Cue(_seconds(start), _seconds(end), "\n".join(lines[i + 1:]).strip())
        if cue.end < cue.start:
            raise ValueError(f"cue ends before it starts: {b!r}")
        cues.append(cue)
    return cues


def parse_srt(text: str) -> list[Cue]:
    return _parse(text, vtt=False)


def parse_vtt(text: str) -> list[Cue]:
    return _parse(text, vtt=True)


def to_vtt(cues: list[Cue]) -> str:
    out = ["WEBVTT", ""]
    for c in cues:
        out += [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}", c.text, ""]
    return "\n".join(out)


def to_srt(cues: list[Cue]) -> str:
    out = []
    for i, c in enumerate(cues, 1):
        out += [str(i), f"{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}", c.text, ""]
    return "\n".join(out)


def without_overlaps(cues: list[Cue]) -> list[Cue]:
    """Each cue ends no later than the next one starts (a beat's narration may be given a longer
    duration than the beat lasts; players would then show two captions at once)."""
    out = []
    for c, nxt in zip(cues, cues[1:] + [None]):
        end = min(c.end, nxt.start) if nxt is not None and nxt.start > c.start else c.end
        out.append(Cue(c.start, end, c.text))
    return out

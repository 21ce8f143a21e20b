"""Is a scene's rendered video (and its slides) up to date? A stamp beside the video says what made it.

After a render, a stamp (media/videos/.stamps/<Scene>.<quality>.json) records the inputs of that render: a hash of the
code that draws and computes (every .py under scenes/ and diffusion/, and manim.cfg), the settings read
from the environment (theme, model preset, a user's IMAGE and CROP), and the size and mtime of the video
and slide files it wrote. `python -m scenes render NAME --if-stale` (what `make all`, `make blog`,
`make film` and `make lecture` run) renders only when one of these differs, so a second run with
nothing changed costs a stat per scene instead of a render (checked before any scene is imported). The code hash is deliberately coarse
(any edit re-renders every scene): a missed dependency would publish a stale video.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .registry import MEDIA, QUALITIES, ROOT, video_path

CODE_DIRS = ("scenes", "diffusion")
ENV_KEYS = ("THEME", "DIFFUSION_PRESET", "IMAGE", "CROP")


def code_hash(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    files = sorted(p for d in CODE_DIRS for p in (root / d).rglob("*.py") if "__pycache__" not in p.parts)
    for p in [*files, root / "manim.cfg"]:
        if p.exists():
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _stat(path: Path) -> list | None:
    try:
        s = path.stat()
    except FileNotFoundError:
        return None
    return [s.st_size, s.st_mtime_ns]


def inputs(quality: str) -> dict:
    env = {k: os.environ.get(k, "") for k in ENV_KEYS}
    if env["IMAGE"]:                          # a user's photo: its content counts, not only its name
        env["IMAGE_STAT"] = _stat(Path(env["IMAGE"]))
    return dict(code=code_hash(), env=env, quality=quality)


def slides_folder(module: str, name: str, quality: str) -> Path:
    """Where a render saves the scene's manim-slides clips and <Scene>.json (beside its video)."""
    return video_path(module, name, quality).parent / "slides"


def outputs(module: str, name: str, quality: str) -> dict:
    video = video_path(module, name, quality)
    return {"video": _stat(video), "srt": _stat(video.with_suffix(".srt")),
            "slides": _stat(slides_folder(module, name, quality) / f"{name}.json")}


def stamp_path(name: str, quality: str) -> Path:
    """One stamp per scene and quality (and theme: MEDIA), found without importing any scene."""
    return MEDIA / "videos" / ".stamps" / f"{name}.{QUALITIES[quality]}.json"


def fresh_video(name: str, quality: str, made_from: dict | None = None) -> Path | None:
    """The scene's video if its render is up to date (same inputs, outputs untouched), else None."""
    try:
        stamp = json.loads(stamp_path(name, quality).read_text())
    except (FileNotFoundError, ValueError):
        return None
    module = stamp.get("module", "")
    now = outputs(module, name, quality)
    if now["video"] is None or now["slides"] is None:
        return None
    if stamp != dict(module=module, inputs=made_from or inputs(quality), outputs=now):
        return None
    return video_path(module, name, quality)


def write_stamp(module: str, name: str, quality: str, made_from: dict) -> None:
    path = stamp_path(name, quality)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.part")
    tmp.write_text(json.dumps(dict(module=module, inputs=made_from, outputs=outputs(module, name, quality))))
    os.replace(tmp, path)

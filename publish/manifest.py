"""What each export was made from, so a second run redoes only what is out of date.

A manifest (one JSON file in the output folder, written atomically after every item) maps an item
(e.g. a scene's blog export) to the content hashes of its sources, the settings and exporter code
that made it, the outputs it wrote (with their sizes) and what the export reported. An item is up to
date when all of these match and every output is still there at its recorded size. A source's hash
is computed once per change: the manifest keeps each hash with the file's size and mtime, and
re-reads the bytes only when those differ.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .files import write_text


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def code_version(*modules) -> str:
    """A short hash of the given modules' source files: exporter code changes redo the exports."""
    h = hashlib.sha256()
    for m in modules:
        h.update(Path(m.__file__).read_bytes())
    return h.hexdigest()[:16]


class Manifest:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            data = {}
        self.items: dict = data.get("items", {})
        self.hashes: dict = data.get("hashes", {})      # path -> [size, mtime_ns, sha256]

    def content_hash(self, path: Path) -> str:
        path = Path(path)
        s = path.stat()
        known = self.hashes.get(str(path))
        if known and known[:2] == [s.st_size, s.st_mtime_ns]:
            return known[2]
        digest = _digest(path)
        self.hashes[str(path)] = [s.st_size, s.st_mtime_ns, digest]
        return digest

    def _key(self, sources: dict, settings: dict) -> dict:
        return dict(sources={k: self.content_hash(p) for k, p in sorted(sources.items()) if Path(p).exists()},
                    settings=settings)

    def lookup(self, item: str, sources: dict, settings: dict, out: Path) -> dict | None:
        """What the item's last export reported, if it is up to date; else None."""
        entry = self.items.get(item)
        if not entry or entry["key"] != self._key(sources, settings):
            return None
        for name, size in entry["outputs"].items():
            p = out / name
            if not p.exists() or p.stat().st_size != size:
                return None
        return entry["result"]

    def record(self, item: str, sources: dict, settings: dict, out: Path, outputs: list[str], result: dict) -> None:
        self.items[item] = dict(key=self._key(sources, settings),
                                outputs={n: (out / n).stat().st_size for n in outputs}, result=result)
        self.save()

    def save(self) -> None:
        write_text(self.path, json.dumps(dict(items=self.items, hashes=self.hashes), indent=1, sort_keys=True))

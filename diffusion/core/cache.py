"""A directory of artifacts keyed by a hash of the config that made them.

Writes are atomic (temp file in the same directory + os.replace), every file has a sha256 sidecar
checked on load, and a per-artifact file lock makes a second process wait for the first to finish
building instead of building it twice.

Every artifact is reached the same way: `cached(folder, kind, spec, build, codec)` stores what `build()`
returns at cache/<folder>/<kind>-<key of spec><codec's ending>, encoded by the codec (TORCH, NPY, NPZ,
JSON, or codec_of(a class with to_bytes/from_bytes)). The key rule is the one of `config_key`: a hash
of the spec dict and the library version, so a spec must leave out settings at their defaults to keep
old keys.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .. import __version__

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_UMASK = os.umask(0)
os.umask(_UMASK)


def cache_dir() -> Path:
    return Path(os.environ.get("DIFFUSION_CACHE", PROJECT_ROOT / "cache"))


def config_key(config: dict) -> str:
    """Hash of the config and the library version: a changed config or library retrains."""
    blob = json.dumps({"config": config, "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)      # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_artifact(path: Path, data: bytes) -> None:
    """Atomically write `data` and its checksum sidecar (the sidecar last: it marks completion)."""
    atomic_write_bytes(path, data)
    atomic_write_bytes(Path(str(path) + ".sha256"), hashlib.sha256(data).hexdigest().encode())


def read_artifact(path: Path) -> bytes | None:
    """The bytes of a complete, intact artifact, or None (with a warning if it was damaged)."""
    path, side = Path(path), Path(str(path) + ".sha256")
    if not path.exists() or not side.exists():
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != side.read_text().strip():
        warnings.warn(f"cache file {path} is corrupted (checksum mismatch); rebuilding it", RuntimeWarning)
        return None
    return data


@contextlib.contextmanager
def file_lock(path: Path):
    """Exclusive lock on path + '.lock' held for the duration of the block (released if killed)."""
    lock_path = Path(str(path) + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


_WATCHERS: list[set] = []


@contextlib.contextmanager
def record_access():
    """The artifacts loaded or built inside the block, as paths relative to the cache directory: what a
    piece of code reads from the cache (a scene's construct() against what its needs prepared)."""
    seen: set = set()
    _WATCHERS.append(seen)
    try:
        yield seen
    finally:
        _WATCHERS.remove(seen)


def note_access(path: Path) -> None:
    """Tell record_access() blocks that the artifact at `path` is being used (also when a copy in memory
    serves it)."""
    if _WATCHERS:
        path = Path(path)
        shown = str(path.relative_to(cache_dir())) if path.is_relative_to(cache_dir()) else str(path)
        for seen in _WATCHERS:
            seen.add(shown)


def get_or_build(path: Path, build, serialize, deserialize):
    """Load the artifact at `path`, or build it once (other processes wait on the lock)."""
    note_access(path)
    data = read_artifact(path)
    if data is None:
        with file_lock(path):
            data = read_artifact(path)          # someone else may have built it while we waited
            if data is None:
                obj = build()
                data = serialize(obj)
                write_artifact(path, data)
                return obj
    return deserialize(data)


@dataclass(frozen=True)
class Codec:
    """How an artifact becomes bytes and back, and the file ending that says which."""
    ext: str
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


def artifact_path(folder: str, kind: str, spec: dict, codec: Codec) -> Path:
    """cache/<folder>/<kind>-<key of spec><ext> (<key><ext> when kind is empty)."""
    key = config_key(spec)
    return cache_dir() / folder / f"{f'{kind}-' if kind else ''}{key}{codec.ext}"


def cached(folder: str, kind: str, spec: dict, build, codec: Codec):
    """The artifact `build()` makes for `spec`: loaded from the cache, or built once and stored."""
    return get_or_build(artifact_path(folder, kind, spec, codec), build, codec.encode, codec.decode)


def model_file(kind: str, config) -> Path:
    """Where a trained model of this kind and config lives: cache/models/<kind>-<config key>.pt"""
    return artifact_path("models", kind, config.to_dict(), TORCH)


def cached_training(kind: str, config, train):
    """The result of `train()` for this config: loaded from the cache, or trained once and cached
    (a second process waits on the lock and loads it). Training announces itself on stderr."""
    path = model_file(kind, config)

    def build():
        print(f"training {kind} model {path.stem} (first use; cached in {path.parent})", file=sys.stderr, flush=True)
        return train()

    return get_or_build(path, build, TORCH.encode, TORCH.decode)


def torch_bytes(obj) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def torch_from_bytes(data: bytes):
    import torch

    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)


def npy_bytes(a) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.asarray(a))
    return buf.getvalue()


def npy_from_bytes(data: bytes):
    import numpy as np

    return np.load(io.BytesIO(data))


def npz_bytes(d: dict) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **d)
    return buf.getvalue()


def npz_from_bytes(data: bytes) -> dict:
    import numpy as np

    with np.load(io.BytesIO(data)) as z:
        return {k: z[k] for k in z.files}


def codec_of(cls, ext: str = ".npz") -> Codec:
    """The codec of a class that writes itself (to_bytes, from_bytes classmethod)."""
    return Codec(ext, cls.to_bytes, cls.from_bytes)


TORCH = Codec(".pt", torch_bytes, torch_from_bytes)          # anything torch.save takes
NPY = Codec(".npy", npy_bytes, npy_from_bytes)                # one array
NPZ = Codec(".npz", npz_bytes, npz_from_bytes)                # a dict of arrays with str keys
JSON = Codec(".json", lambda d: json.dumps(d).encode(), json.loads)

"""A trained eps-network prepared for sampling on a CPU: the same function, evaluated faster.

Sampling calls the network tens to thousands of times on one big batch. On this project's small
U-Net (8x8 images, 24-48 channels) a call on 1000 images works on activations of tens of MB, far
more than a core's cache; cutting the batch into chunks keeps each chunk's activations in cache.
Every layer works per image (GroupNorm included), so the chunks give the same numbers bit for bit.
The chunks are shared among `workers` threads, each running its chunks on one core: on layers this
small one core per chunk wastes less than every core splitting each layer (torch's intra-op threads
meet at a barrier after every operation), and a chunk's numbers do not depend on which thread ran it.
The network (called without keyword inputs) is traced once (torch.jit.trace): the same ATen operations
without Python between them, so the workers do not wait for each other's interpreter; the first chunk
is checked bit for bit against the network itself (and on the negated chunk, to catch a branch on the
data that a trace would freeze), and any difference keeps the network as it is.
Every layer's output is a fresh tensor of a few MB; glibc's malloc hands blocks that large out as new
mappings and gives them back on free, so each one costs page faults anew. `keep_freed_memory` (done
once when a FastEps is made) raises both thresholds so freed blocks are reused: the same numbers, the
process keeps up to TRIM_THRESHOLD of freed memory.
Channels-last tensors (optional) let oneDNN's convolutions skip layout reorders, at the price of
float rounding. bench/solvers.py measures each against the plain network in the same run.
"""
from __future__ import annotations

import copy
import ctypes
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn as nn

CHUNK = 128                 # images per network call inside one sampler call (bench/solvers.py)
MMAP_THRESHOLD = 32 << 20   # bytes: glibc's largest (64-bit); smaller blocks come from the heap
TRIM_THRESHOLD = 256 << 20  # bytes of freed heap kept rather than returned to the system
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3     # mallopt's parameter numbers (malloc.h)
_MALLOC = {"set": None}
_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def keep_freed_memory() -> bool:
    """glibc's mallopt: M_MMAP_THRESHOLD and M_TRIM_THRESHOLD raised (process-wide, once). False where
    there is no glibc (the allocator is left as it is)."""
    if _MALLOC["set"] is None:
        try:
            libc = ctypes.CDLL("libc.so.6")
            _MALLOC["set"] = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                                  and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
        except (OSError, AttributeError):
            _MALLOC["set"] = False
    return _MALLOC["set"]


def _pool(workers: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="fast-eps")
        return _POOLS[workers]


class FastEps(nn.Module):
    """Called like the network it wraps: (x, t, **kw) -> eps_hat, on chunks of `chunk` rows shared among
    `workers` threads of one core each (1: the chunks in turn on the caller's thread), with the weights
    (and inputs) in channels-last layout for 4D images when asked. Per-row keyword inputs (labels) are
    cut into the same chunks."""

    def __init__(self, net: nn.Module, chunk: int = CHUNK, channels_last: bool = False, workers: int = 1,
                 trace: bool = False):
        super().__init__()
        if chunk < 1 or workers < 1:
            raise ValueError(f"chunk and workers must be >= 1, got {chunk}, {workers}")
        self.net = copy.deepcopy(net).eval().requires_grad_(False)
        self.channels_last, self.chunk, self.workers, self.trace = channels_last, chunk, workers, trace
        keep_freed_memory()
        self._traced = {}           # (x.ndim, t.ndim, dtype) -> the traced network, or None: not the same
        if channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)

    @torch.inference_mode()
    def _run(self, x, t, kw):
        f = None if kw else self._traced.get((x.ndim, t.ndim, x.dtype))
        return f(x, t) if f is not None else self.net(x, t, **kw)

    @torch.inference_mode()
    def _trace(self, x, t) -> None:
        key = (x.ndim, t.ndim, x.dtype)
        if key in self._traced:
            return
        net = self.net
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")          # TracerWarning: shapes read as Python numbers
                f = torch.jit.trace(lambda x, t: net(x, t), (x, t), check_trace=False)
            # a trace freezes Python control flow and sizes read as numbers: check it on other data, on
            # step 0 (a switch on t, as SwitchAt's, takes its other branch there) and on one row (the
            # last chunk of a batch is smaller)
            one = t[:1] if t.ndim else t
            same = all(torch.equal(f(y, u), net(y, u)) for y, u in ((x, t), (-x, t.flip(0)), (x[:1], one),
                                                                     (x[:1], torch.zeros_like(one))))
        except Exception:                               # anything torch.jit cannot trace stays eager
            f, same = None, False
        self._traced[key] = f if same else None

    def forward(self, x: torch.Tensor, t: torch.Tensor, **kw) -> torch.Tensor:
        n = x.shape[0]
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        cut = lambda v, i: v[i:i + self.chunk] if torch.is_tensor(v) and v.ndim and len(v) == n else v
        parts = [(x[i:i + self.chunk], cut(t, i), {k: cut(v, i) for k, v in kw.items()})
                 for i in range(0, n, self.chunk)]
        if self.trace and not kw and torch.is_tensor(t):
            self._trace(*parts[0][:2])
        if self.workers == 1 or len(parts) == 1:
            out = [self._run(*p) for p in parts]
        else:
            # one core per worker: torch's thread count is process-wide while the workers run (a worker
            # thread takes it, once, at its first operation); the caller's is restored after
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                out = list(_pool(self.workers).map(lambda p: self._run(*p), parts))
            finally:
                torch.set_num_threads(threads)
        return torch.cat(out).contiguous()


def fast_eps_model(net: nn.Module, sample_shape=None, chunk: int = CHUNK, workers: int | None = None,
                   trace: bool = True) -> nn.Module:
    """`net` wrapped for fast CPU sampling (FastEps) when its samples are images (C, H, W) and it is on
    the CPU; otherwise `net` itself (points and graphs are small; a GPU has its own memory system).
    workers: default torch's thread count (the cores torch would use; 1 under OMP_NUM_THREADS=1)."""
    p = next(net.parameters(), None) if isinstance(net, nn.Module) else None    # any callable may be an eps-model
    if p is None or p.device.type != "cpu" or (sample_shape is not None and len(sample_shape) != 3):
        return net
    return FastEps(net, chunk, workers=workers or torch.get_num_threads(), trace=trace)

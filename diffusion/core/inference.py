"""A trained eps-network prepared for sampling on a CPU: the same function, evaluated faster.

Sampling calls the network tens to thousands of times on one big batch. On this project's small
U-Net (8x8 images, 24-48 channels) a call on 1000 images works on activations of tens of MB, far
more than a core's cache; cutting the batch into chunks keeps each chunk's activations in cache.
Every layer works per image (GroupNorm included), so the chunks give the same numbers bit for bit.
The chunks are shared among `workers` threads, each running its chunks on one core: on layers this
small one core per chunk wastes less than every core splitting each layer (torch's intra-op threads
meet at a barrier after every operation), and a chunk's numbers do not depend on which thread ran it.
Channels-last tensors (optional) let oneDNN's convolutions skip layout reorders, at the price of
float rounding. bench/solvers.py measures each against the plain network in the same run.
"""
from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn as nn

CHUNK = 128                 # images per network call inside one sampler call (bench/solvers.py)
_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


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

    def __init__(self, net: nn.Module, chunk: int = CHUNK, channels_last: bool = False, workers: int = 1):
        super().__init__()
        if chunk < 1 or workers < 1:
            raise ValueError(f"chunk and workers must be >= 1, got {chunk}, {workers}")
        self.net = copy.deepcopy(net).eval().requires_grad_(False)
        self.channels_last, self.chunk, self.workers = channels_last, chunk, workers
        if channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)

    @torch.inference_mode()
    def _run(self, x, t, kw):
        return self.net(x, t, **kw)

    def forward(self, x: torch.Tensor, t: torch.Tensor, **kw) -> torch.Tensor:
        n = x.shape[0]
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        cut = lambda v, i: v[i:i + self.chunk] if torch.is_tensor(v) and v.ndim and len(v) == n else v
        parts = [(x[i:i + self.chunk], cut(t, i), {k: cut(v, i) for k, v in kw.items()})
                 for i in range(0, n, self.chunk)]
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


def fast_eps_model(net: nn.Module, sample_shape=None, chunk: int = CHUNK, workers: int | None = None) -> nn.Module:
    """`net` wrapped for fast CPU sampling (FastEps) when its samples are images (C, H, W) and it is on
    the CPU; otherwise `net` itself (points and graphs are small; a GPU has its own memory system).
    workers: default torch's thread count (the cores torch would use; 1 under OMP_NUM_THREADS=1)."""
    p = next(net.parameters(), None) if isinstance(net, nn.Module) else None    # any callable may be an eps-model
    if p is None or p.device.type != "cpu" or (sample_shape is not None and len(sample_shape) != 3):
        return net
    return FastEps(net, chunk, workers=workers or torch.get_num_threads())

"""Tests use the quick preset and a private cache, so they train in seconds and never touch ./cache.

Each process (each pytest-xdist worker too) gets its own temporary cache and media folder. Tests that
render, publish or train in subprocesses are marked `slow` (`make test-fast` skips them): the render and
publish modules as a whole (by file name, below), others with @pytest.mark.slow.
"""
import os
import tempfile

import pytest

_CACHE = tempfile.mkdtemp(prefix="diffusion-test-cache-")
os.environ["DIFFUSION_PRESET"] = "quick"
os.environ["DIFFUSION_CACHE"] = _CACHE
os.environ["SCENES_MEDIA_DIR"] = tempfile.mkdtemp(prefix="diffusion-test-media-")
# `make test` runs two xdist workers on two cores: one torch thread each (and in the subprocesses they
# start), or the workers' thread pools spin against each other and every step slows down many times
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def quick_model():
    from diffusion.models import get_model

    return get_model("digits", "quick", progress=False)


SLOW_MODULES = ("test_render", "test_publish")      # every test in these modules renders video


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)

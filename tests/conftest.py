"""Tests use the quick preset and a private cache, so they train in seconds and never touch ./cache."""
import os
import tempfile

import pytest

_CACHE = tempfile.mkdtemp(prefix="diffusion-test-cache-")
os.environ["DIFFUSION_PRESET"] = "quick"
os.environ["DIFFUSION_CACHE"] = _CACHE
os.environ["SCENES_MEDIA_DIR"] = tempfile.mkdtemp(prefix="diffusion-test-media-")


@pytest.fixture(scope="session")
def quick_model():
    from diffusion.core.loader import get_model

    return get_model("quick", progress=False)

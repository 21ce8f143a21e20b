"""A user's own image: loading, cropping, conversion, and clean failures from the render command."""
import numpy as np
import pytest
from PIL import Image

from diffusion.studies.images import DEFAULT_CROP, ImageError, image_from_env, load_image, parse_crop


@pytest.fixture
def photo(tmp_path):
    """A 120x80 RGB PNG: left half black, right half white."""
    a = np.zeros((80, 120, 3), np.uint8)
    a[:, 60:] = 255
    p = tmp_path / "photo.png"
    Image.fromarray(a).save(p)
    return p


def test_default_image_is_the_sklearn_photo():
    x = load_image(size=32)
    assert x.shape == (32, 32) and x.dtype == np.float64
    assert -1 <= x.min() < -0.5 and 0.5 < x.max() <= 1          # real contrast, in [-1, 1]
    from sklearn.datasets import load_sample_image

    assert load_sample_image("china.jpg").shape[:2] == (427, 640)
    x0, y0, w, h = DEFAULT_CROP
    assert x0 + w <= 640 and y0 + h <= 427


def test_user_image_crop_and_resize(photo):
    x = load_image(photo, (60, 0, 60, 80), size=16)             # the white half (centre square of it)
    assert x.shape == (16, 16) and np.allclose(x, 1.0)
    x = load_image(photo, (0, 0, 60, 80), size=16)              # the black half
    assert np.allclose(x, -1.0)
    x = load_image(photo, None, size=16)                         # centre square: half black, half white
    assert x[:, :4].max() == -1.0 and x[:, -4:].min() == 1.0


def test_image_from_env(photo):
    x = image_from_env(8, {"IMAGE": str(photo), "CROP": "60,0,60,60"})
    assert x.shape == (8, 8) and np.allclose(x, 1.0)
    np.testing.assert_array_equal(image_from_env(8, {}), load_image(size=8))


@pytest.mark.parametrize("crop", ["1,2,3", "a,b,c,d", "0,0,0,5", "-1,0,5,5"])
def test_bad_crop_strings(crop):
    with pytest.raises(ImageError, match="CROP"):
        parse_crop(crop)


def test_errors_are_one_line(tmp_path, photo):
    cases = [(tmp_path / "nope.jpg", None, "not found"),
             (tmp_path / "text.jpg", None, "not a readable image"),
             (photo, (100, 0, 40, 40), "outside the 120x80 image"),
             (photo, (0, 70, 20, 20), "outside")]
    (tmp_path / "text.jpg").write_text("this is not a picture\n")
    for path, crop, msg in cases:
        with pytest.raises(ImageError, match=msg) as e:
            load_image(path, crop, 32)
        assert "\n" not in str(e.value)


def _render_with(env_extra, tmp_path, monkeypatch, run_main):
    """`python -m scenes render MarkovChain` in this process, with its own media folder and cache."""
    from scenes.kit import registry, rendering
    from scenes.kit.cli import main

    media = tmp_path / "media"
    cache = tmp_path / "cache"
    for k in ("IMAGE", "CROP"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env_extra.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DIFFUSION_CACHE", str(cache))
    monkeypatch.setattr(registry, "MEDIA", media)          # read when the module loads: set it as the env would
    monkeypatch.setattr(rendering, "MEDIA", media)
    return run_main(main, "render", "MarkovChain", "--quality", "l"), media, cache


@pytest.mark.parametrize("kind", ["missing", "not_image", "bad_crop", "bad_crop_syntax"])
def test_render_stops_cleanly_on_bad_image(kind, tmp_path, photo, monkeypatch, run_main):
    if kind == "missing":
        extra, msg = {"IMAGE": str(tmp_path / "missing.jpg")}, "image file not found"
    elif kind == "not_image":
        bad = tmp_path / "notes.png"
        bad.write_bytes(b"\x00\x01 definitely not a png")
        extra, msg = {"IMAGE": str(bad)}, "not a readable image"
    elif kind == "bad_crop":
        extra, msg = {"IMAGE": str(photo), "CROP": "50,50,100,100"}, "lies outside the 120x80 image"
    else:
        extra, msg = {"IMAGE": str(photo), "CROP": "10,10,20"}, "CROP must be four integers"
    r, media, cache = _render_with(extra, tmp_path, monkeypatch, run_main)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and msg in lines[0], r.stderr
    assert not media.exists() and not cache.exists()             # nothing written

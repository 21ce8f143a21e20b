"""Interactive figures: the exported data equals the cached trajectories the videos use, and in a real
headless Chromium (network blocked) each figure loads, its labelled slider moves with the keyboard,
and the step, the pictures and the numbers it shows change to the trajectory's values at that step."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from publish import figures as F

SHOTS = os.environ.get("FIGURE_SHOTS")        # set it to keep the screenshots (to look at them)


def fmt(v, digits):
    return "—" if v is None else f"{v:.{digits}f}"


# --- the data, without a browser --------------------------------------------------------------

@pytest.fixture(scope="module")
def reverse(quick_model):
    from scenes.kit.data.reverse_process import reverse_trajectory

    return F.FIGURES["reverse_process"](), reverse_trajectory(), quick_model


def test_frame_steps_run_from_T_to_0():
    ts = F.frame_ts(1000)
    assert ts[0] == 1000 and ts[-1] == 0 and ts == sorted(set(ts), reverse=True)
    assert {990, 110, 100, 98, 2, 1} <= set(ts) and 995 not in ts and 99 not in ts
    assert F.on_trajectory([1000, 980, 960, 0], [1000, 990, 985, 10, 0]) == [1000, 980, 0]


def test_reverse_figure_data_is_the_video_trajectory(reverse, tmp_path):
    fig, traj, tm = reverse
    entry = F.export(fig, tmp_path, "ReverseProcess")
    data = F.read_figure_data(tmp_path / entry["html"])
    ts, S = data["slider"]["values"], len(traj.timesteps)
    assert ts[0] == tm.schedule.T and ts[-1] == 0 and len(ts) == entry["frames"]
    steps = data["numbers"][0]["values"]
    n = F.REVERSE_SHOWN
    for f in (0, 37, len(ts) - 2, len(ts) - 1):
        k, t = steps[f], ts[f]
        # state k of the trajectory is x_t at the paper's t = timesteps[k] + 1 (the last state: t = 0)
        assert t == (int(traj.timesteps[k]) + 1 if k < S else 0)
        ab = 1.0 if t == 0 else float(tm.schedule.alpha_bar[t - 1])
        assert data["numbers"][1]["values"][f] == pytest.approx(ab ** 0.5, abs=1e-12)
        assert data["numbers"][2]["values"][f] == pytest.approx((1 - ab) ** 0.5, abs=1e-12)
        cells = np.array(data["table"]["cells"][f], dtype=float)          # (n, 6); NaN where nothing predicted
        x = traj.x[k, :n, 0].astype(np.float64).reshape(n, -1)
        np.testing.assert_allclose(cells[:, 0], x.mean(1), atol=1e-12)
        np.testing.assert_allclose(cells[:, 1], x.std(1), atol=1e-12)
        if k < S:
            e = traj.eps_hat[k, :n, 0].astype(np.float64).reshape(n, -1)
            z = traj.x0_hat[k, :n, 0].astype(np.float64).reshape(n, -1)
            np.testing.assert_allclose(cells[:, 2:], np.stack([e.mean(1), e.std(1), z.mean(1), z.std(1)], 1), atol=1e-12)
        else:
            assert np.isnan(cells[:, 2:]).all()
    # the sprite sheets hold the trajectory's images, row = frame, column = sample
    from PIL import Image
    for panel, arr, lo in zip(data["panels"], (traj.x, traj.eps_hat, traj.x0_hat), (-1, -F.EPS_RANGE, -1)):
        H, W = panel["tile"]
        with Image.open(tmp_path / panel["src"]) as im:
            sheet = np.asarray(im)
        f = 20
        row, k = panel["rows"][f], steps[f]
        tile = sheet[row * H:(row + 1) * H, W:2 * W]                              # sample 2
        np.testing.assert_array_equal(tile, F.gray_uint8(arr[k, 1, 0], lo, -lo))
    assert data["panels"][1]["rows"][-1] == -1                                    # no ε̂ at t = 0
    assert entry["bytes"] < F.FIGURE_MAX_BYTES


def test_forward_figure_mixes_the_videos_image_and_eps(tmp_path):
    import scenes.kit.data.forward_equation as fe
    from diffusion.studies.forward import closed_form
    from diffusion.core.schedule import NoiseSchedule

    data = F.read_figure_data(tmp_path / F.export(F.FIGURES["forward_process"](), tmp_path, "ForwardEquation")["html"])
    x0, eps = fe.image_and_eps()
    sched = NoiseSchedule("linear", fe.T)
    assert data["slider"]["values"] == list(range(sched.T + 1))
    panel = data["panels"][0]
    base = [F.decode_f32(b).reshape(panel["shape"]) for b in panel["base"]]
    np.testing.assert_allclose(base[0], x0, atol=1e-6)
    np.testing.assert_allclose(base[1], eps, atol=1e-6)
    for t in (0, 1, 260, 999, 1000):
        a, b = panel["coefs"][0][t], panel["coefs"][1][t]
        np.testing.assert_allclose(a * x0 + b * eps, closed_form(sched, x0, t, eps), atol=1e-12)


def test_particles_figure_shows_the_cached_1d_trajectory(tmp_path):
    from diffusion.models.toy1d.mixture import marginal_pdf, wasserstein1
    from scenes.kit.data.trajectories_1d import toy1d_model, trajectories

    data = F.read_figure_data(tmp_path / F.export(F.FIGURES["particles_1d"](), tmp_path, "Trajectories1D")["html"])
    tm = toy1d_model()
    traj = trajectories()["ddpm"]
    p = data["panels"][0]
    ts, steps = data["slider"]["values"], data["numbers"][0]["values"]
    pts = F.decode_f32(p["points"]).reshape(len(ts), p["n"])
    dens = F.decode_f32(p["curves"][1]["ys"]).reshape(len(ts), -1)
    for f in (0, 50, len(ts) - 1):
        k, t = steps[f], ts[f]
        assert np.array_equal(pts[f], traj.x[k, :p["n"], 0])                    # bitwise: the cached float32
        np.testing.assert_allclose(dens[f], marginal_pdf(tm.config.mixture, tm.schedule, t - 1, p["curves"][1]["xs"]),
                                   rtol=1e-6, atol=1e-7)
        assert sum(p["hist"]["counts"][f]) == np.histogram(traj.x[k, :, 0], p["hist"]["edges"])[0].sum()
        assert data["numbers"][3]["values"][f] == pytest.approx(wasserstein1(traj.x[k, :, 0], tm.config.mixture,
                                                                              tm.schedule, t - 1))


# --- in headless Chromium ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def exported(quick_model, tmp_path_factory):
    """`python -m publish figures --out DIR`, run in this process through the command line's main()."""
    import contextlib
    import io

    from publish.__main__ import main

    out = tmp_path_factory.mktemp("figures")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["figures", "--out", str(out)]) in (0, None)
    return out


@pytest.fixture(scope="module")
def browser():
    from browser import Browser
    with Browser(820, 900) as b:
        yield b


def open_figure(browser, srv_url: str, name: str) -> None:
    browser.goto(f"{srv_url}/{name}.html", "window.figure && [...document.images].every(i => i.complete)"
                                           " && window.figure.panels.every(p => !p.image || p.image.naturalWidth > 0)")
    browser.eval("window.figure.show(window.figure.frame)")        # draw once more now that sprites are in


def shown(browser) -> dict:
    return browser.eval("""({frame: window.figure.frame, step: document.getElementById('step').textContent,
        valuetext: document.getElementById('slider').getAttribute('aria-valuetext'),
        slider: +document.getElementById('slider').value,
        numbers: [...document.querySelectorAll('#numbers dd')].map(d => d.textContent),
        cells: [...document.querySelectorAll('#table tr')].slice(1).map(r => [...r.querySelectorAll('td')].map(c => c.textContent)),
        formula: document.getElementById('formula').textContent,
        resources: performance.getEntriesByType('resource').map(r => r.name)})""")


def canvas_gray(browser, panel: int) -> np.ndarray:
    """The red channel of a panel's canvas as drawn (RGBA -> R), shape (height, width)."""
    w, h, flat = browser.eval(f"""(() => {{ const c = window.figure.panels[{panel}].canvas;
        return [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)]; }})()""")
    return np.array(flat, dtype=np.uint8).reshape(h, w, 4)[..., 0]


def focus_slider_with_tab(browser) -> None:
    browser.eval("document.activeElement && document.activeElement.blur()")
    browser.press("Tab")
    assert browser.eval("document.activeElement.id") == "slider"
    assert browser.eval("document.getElementById('slider').labels[0].textContent").startswith("Noise level t")


def keep_shot(a: np.ndarray, name: str) -> None:
    if SHOTS:
        from PIL import Image
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        Image.fromarray(a).save(Path(SHOTS) / f"{name}.png")


def changed_share(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.abs(a.astype(int) - b.astype(int)).sum(-1) > 30).mean())


@pytest.mark.slow
def test_reverse_figure_in_chromium(exported, browser):
    from scenes.kit.data.reverse_process import reverse_trajectory
    from browser import StaticServer

    data = F.read_figure_data(exported / "reverse_process.html")
    traj = reverse_trajectory()
    ts, steps = data["slider"]["values"], data["numbers"][0]["values"]
    with StaticServer(exported) as srv:
        open_figure(browser, srv.url, "reverse_process")
        focus_slider_with_tab(browser)
        a, shot_a = shown(browser), browser.screenshot()
        assert a["frame"] == 0 and a["step"] == f"t = {ts[0]}" == a["valuetext"]
        assert all(r.startswith(srv.url) for r in a["resources"]), a["resources"]   # nothing from elsewhere
        x_a = canvas_gray(browser, 0)
        browser.press("End")
        browser.press("ArrowLeft", 3)                     # three steps before the end (t = 4)
        b, shot_b = shown(browser), browser.screenshot()
        f = len(ts) - 4
        assert b["frame"] == b["slider"] == f and b["step"] == f"t = {ts[f]}" != a["step"]
        keep_shot(shot_a, "reverse_process-a"); keep_shot(shot_b, "reverse_process-b")
        assert changed_share(shot_a, shot_b) > 0.01
        x_b = canvas_gray(browser, 0)
        assert (x_a != x_b).mean() > 0.2
        # the pixels drawn are the trajectory's x_t at that step (tile of sample 1, one block per pixel)
        k, p = steps[f], data["panels"][0]
        H, W = p["tile"]
        s = p["scale"]
        drawn = x_b[s // 2:H * s:s, s // 2:W * s:s]
        assert np.abs(drawn.astype(int) - F.gray_uint8(traj.x[k, 0, 0])).max() <= 1
        # and the numbers are the trajectory's: step, the schedule and per-sample statistics
        assert b["numbers"][0] == f"{k} of {len(traj.timesteps)}"
        x = traj.x[k, :F.REVERSE_SHOWN, 0].astype(np.float64).reshape(F.REVERSE_SHOWN, -1)
        e = traj.eps_hat[k, :F.REVERSE_SHOWN, 0].astype(np.float64).reshape(F.REVERSE_SHOWN, -1)
        assert [r[1] for r in b["cells"]] == [fmt(v, 3) for v in x.std(1)]
        assert [r[3] for r in b["cells"]] == [fmt(v, 3) for v in e.std(1)]


@pytest.mark.slow
def test_forward_figure_in_chromium(exported, browser):
    import scenes.kit.data.forward_equation as fe
    from diffusion.studies.forward import closed_form
    from diffusion.core.schedule import NoiseSchedule
    from browser import StaticServer

    x0, eps = fe.image_and_eps()
    sched = NoiseSchedule("linear", fe.T)
    with StaticServer(exported) as srv:
        open_figure(browser, srv.url, "forward_process")
        focus_slider_with_tab(browser)
        a, shot_a, x_a = shown(browser), browser.screenshot(), canvas_gray(browser, 0)
        assert a["step"] == "t = 0"
        browser.press("ArrowRight", 260)                  # one key press per step of the schedule
        b, shot_b, x_b = shown(browser), browser.screenshot(), canvas_gray(browser, 0)
        keep_shot(shot_a, "forward_process-a"); keep_shot(shot_b, "forward_process-b")
        assert b["step"] == "t = 260" and b["frame"] == 260
        assert changed_share(shot_a, shot_b) > 0.01 and (x_a != x_b).mean() > 0.2
        # the browser's x_t is the library's closed form at t = 260, to float32 precision
        values = np.array(browser.eval("Array.from(window.figure.panels[0].values)")).reshape(x0.shape)
        want = closed_form(sched, x0, 260, eps)
        np.testing.assert_allclose(values, want, atol=1e-5)
        s = round(2 * F.TILE_PX / x0.shape[0])
        assert np.abs(x_b[s // 2::s, s // 2::s].astype(int) - F.gray_uint8(want)).max() <= 1
        ab = float(sched.alpha_bar[259])
        assert b["numbers"][1:3] == [fmt(ab ** 0.5, 4), fmt((1 - ab) ** 0.5, 4)]
        assert fmt(ab ** 0.5, 4) in b["formula"] and fmt((1 - ab) ** 0.5, 4) in b["formula"]


@pytest.mark.slow
def test_particles_figure_in_chromium(exported, browser):
    from scenes.kit.data.trajectories_1d import trajectories
    from browser import StaticServer

    traj = trajectories()["ddpm"]
    data = F.read_figure_data(exported / "particles_1d.html")
    ts, steps = data["slider"]["values"], data["numbers"][0]["values"]
    with StaticServer(exported) as srv:
        open_figure(browser, srv.url, "particles_1d")
        focus_slider_with_tab(browser)
        a, shot_a, c_a = shown(browser), browser.screenshot(), canvas_gray(browser, 0)
        browser.press("PageUp", 2)                        # big steps (range inputs move by about a tenth)
        browser.press("ArrowRight", 5)
        b, shot_b, c_b = shown(browser), browser.screenshot(), canvas_gray(browser, 0)
        keep_shot(shot_a, "particles_1d-a"); keep_shot(shot_b, "particles_1d-b")
        f = b["frame"]
        assert f > 5 and b["step"] == f"t = {ts[f]}" != a["step"]
        assert changed_share(shot_a, shot_b) > 0.005 and (c_a != c_b).mean() > 0.01
        n = data["panels"][0]["n"]
        points = np.array(browser.eval(f"Array.from(window.figure.panels[0].points.slice({f * n}, {(f + 1) * n}))"))
        assert np.array_equal(points.astype(np.float32), traj.x[steps[f], :n, 0])
        p = traj.x[steps[f], :, 0].astype(np.float64)
        assert [r[0] for r in b["cells"]] == [fmt(p.mean(), 3), fmt(p.std(), 3)]


@pytest.mark.slow
def test_figure_works_from_file_url(exported, browser):
    # no server at all: the data is in the page and the sprites load from the disk
    browser.goto((exported / "reverse_process.html").as_uri(),
                 "window.figure && window.figure.panels.every(p => p.image.complete && p.image.naturalWidth > 0)")
    focus_slider_with_tab(browser)
    browser.press("ArrowRight", 2)
    assert browser.eval("document.getElementById('step').textContent") == \
        f"t = {F.read_figure_data(exported / 'reverse_process.html')['slider']['values'][2]}"
    shot = browser.screenshot()
    assert shot.std() > 10


def test_figures_index_and_sizes(exported):
    import json
    meta = json.loads((exported / "figures.json").read_text())
    from scenes.kit.registry import ORDER
    names = [f["name"] for f in meta["figures"]]
    assert sorted(names) == sorted(F.FIGURES)
    assert [ORDER.index(F.FIGURE_SCENES[n]) for n in names] == sorted(ORDER.index(F.FIGURE_SCENES[n]) for n in names)
    index = (exported / "index.html").read_text()
    for f in meta["figures"]:
        assert f["bytes"] == sum((exported / n).stat().st_size for n in f["files"]) < F.FIGURE_MAX_BYTES
        assert f'&lt;iframe src=&quot;{f["html"]}&quot;' in index and f'<iframe src="{f["html"]}"' in index
        page = (exported / f["html"]).read_text()
        assert "http://" not in page and "https://" not in page and '<script src="figures.js">' in page
    assert (exported / "figures.js").read_text() == F.JS.read_text()
    assert not list(exported.glob(".*.part"))


def test_gallery_shows_each_figure_under_its_video(exported):
    import json

    from publish.blog import gallery
    entries = json.loads((exported / "figures.json").read_text())["figures"]
    video = dict(name="ReverseProcess", description="d", width=854, height=480, fps=15, seconds=1.0)
    page = gallery([video], "l", entries)
    block = page[page.index('<figure id="ReverseProcess">'):page.index("</figure>")]
    assert '<iframe src="figures/reverse_process.html"' in block                     # live, under its video
    assert "&lt;iframe src=&quot;figures/reverse_process.html&quot;" in block        # and the snippet
    assert "forward_process.html" not in page                                        # its scene is not in this gallery

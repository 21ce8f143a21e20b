"""Real low-quality renders through the same command users run, checked on the decoded pixels.

(manim's frames_comparison skips itself on Debian 12's cairo 1.16, so frames are checked here.)
"""
import subprocess
import sys
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def render(scene: str, quality: str = "l") -> Path:
    r = subprocess.run([sys.executable, "-m", "scenes", "render", scene, "--quality", quality],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    line = [l for l in r.stdout.splitlines() if l.startswith(f"rendered {scene}")][-1]
    return Path(line.split("-> ")[1])


def frames(path: Path, every: float = 0.5):
    """Decoded RGB frames, one per `every` seconds, with their times."""
    out = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        next_t = 0.0
        for f in c.decode(stream):
            if f.time >= next_t:
                out.append((f.time, f.to_ndarray(format="rgb24")))
                next_t += every
    return out


def video_info(path: Path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return dict(width=s.codec_context.width, height=s.codec_context.height,
                    fps=float(s.average_rate), seconds=float(c.duration / av.time_base))


def test_reverse_process_renders(reverse_process_render):
    path = reverse_process_render                 # rendered once for the run (conftest.py), as `make render` does
    info = video_info(path)
    assert (info["width"], info["height"]) == (854, 480) and info["fps"] == 15
    assert 30 < info["seconds"] < 240      # paced by its narration (reading time), so bounded loosely
    fr = frames(path)
    bg = np.array([0x14, 0x16, 0x1C])
    content = [(np.abs(f.astype(int) - bg).sum(-1) > 30).mean() for _, f in fr]
    # something is on screen most of the time, and the picture changes (the grid denoises)
    assert np.mean(np.array(content) > 0.01) > 0.8
    diffs = [np.abs(a.astype(int) - b.astype(int)).mean() for (_, a), (_, b) in zip(fr, fr[1:])]
    assert sum(d > 1 for d in diffs) > 10


def test_unknown_scene_and_quality_fail_clearly(run_main):
    from scenes.kit.cli import main

    r = run_main(main, "render", "NoSuchScene")
    assert r.returncode == 2 and "unknown scene" in r.stderr and "ReverseProcess" in r.stderr
    r = run_main(main, "render", "ReverseProcess", "--quality", "x")
    assert r.returncode == 2 and "unknown quality" in r.stderr and "480p15" in r.stderr


BROKEN_SCENE = '''from manim import Scene

class Broken(Scene):
    def construct(self):
        raise RuntimeError("a broken scene")
'''


def test_manim_run_in_process_reports_failures(tmp_path, capsys):
    from scenes.kit.rendering import run_manim
    scene = tmp_path / "broken.py"
    scene.write_text(BROKEN_SCENE)
    media = ["--media_dir", str(tmp_path / "media"), "--progress_bar", "none"]
    assert run_manim(["render", "-ql", *media, str(scene), "Broken"]) != 0
    assert "a broken scene" in capsys.readouterr().err
    assert run_manim(["render", "-qz", *media, str(scene), "Broken"]) != 0      # no such quality

"""render_many: the scenes in order, at most `jobs` at once, each in its own forked process; after a
failure no new render starts and the exit is a one-line error naming the failed scene."""
import os
import time

import pytest

from scenes.kit import rendering
from scenes.kit.registry import discover


@pytest.fixture
def fake_render(tmp_path, monkeypatch):
    """Each render appends 'start NAME PID' and 'end NAME' to a log; FAIL names exit 2 as fail() does."""
    log = tmp_path / "log"

    def render(name, quality, extra=(), if_stale=False):
        with open(log, "a") as f:
            f.write(f"start {name} {os.getpid()}\n")
        time.sleep(0.3)
        with open(log, "a") as f:
            f.write(f"end {name}\n")
        if name in os.environ.get("FAIL", "").split(","):
            raise SystemExit(2)

    monkeypatch.setattr(rendering, "render", render)
    return log


def events(log):
    return [line.split() for line in log.read_text().splitlines()]


def test_renders_in_order_at_most_jobs_at_once_each_in_its_own_process(fake_render):
    names = list(discover())[:5]
    rendering.render_many(names, "l", jobs=2)
    ev = events(fake_render)
    starts = [e[1] for e in ev if e[0] == "start"]
    assert sorted(starts) == sorted(names)
    for k, name in enumerate(names[2:], 2):      # the k-th scene waits for k - 1 renders to end
        at = ev.index(["start", name] + [e[2] for e in ev if e[:2] == ["start", name]])
        assert sum(e[0] == "end" for e in ev[:at]) >= k - 1
    running, most = 0, 0
    for e in ev:
        running += 1 if e[0] == "start" else -1
        most = max(most, running)
    assert most == 2
    pids = {e[2] for e in ev if e[0] == "start"}
    assert len(pids) == 5 and str(os.getpid()) not in pids


def test_after_a_failure_no_new_render_starts(fake_render, monkeypatch, capsys):
    names = list(discover())[:5]
    monkeypatch.setenv("FAIL", names[0])
    with pytest.raises(SystemExit) as e:
        rendering.render_many(names, "l", jobs=1)
    assert e.value.code == 2
    assert [x[1] for x in events(fake_render) if x[0] == "start"] == names[:1]
    assert f"rendering failed: {names[0]}" in capsys.readouterr().err


def test_bad_names_and_jobs_are_one_line_errors(fake_render, capsys):
    with pytest.raises(SystemExit):
        rendering.render_many(["NoSuchScene"], "l", jobs=2)
    assert "unknown scene 'NoSuchScene'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        rendering.render_many(list(discover())[:1], "l", jobs=0)
    assert "--jobs must be at least 1" in capsys.readouterr().err
    assert not fake_render.exists()


CHILD_TORCH = """
import sys, torch
from scenes.kit import rendering

def render(name, quality, extra=(), if_stale=False):
    a = torch.randn(600, 600)
    float((a @ a).sum())                      # a parallel torch call in the child: it must not hang
    print(f"{name} threads {torch.get_num_threads()}", flush=True)

rendering.render = render
rendering.render_many(sys.argv[2:], "l", jobs=int(sys.argv[1]))
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_children_run_torch_on_their_share_of_the_threads(jobs):
    import subprocess
    import sys

    names = list(discover())[:2]
    r = subprocess.run([sys.executable, "-c", CHILD_TORCH, str(jobs), *names], cwd=rendering.ROOT,
                       capture_output=True, text=True, timeout=120,
                       env={"PYTHONPATH": str(rendering.ROOT), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "2"})
    assert r.returncode == 0, r.stderr[-2000:]
    want = max(1, 2 // jobs)
    assert sorted(r.stdout.split("\n")[:2]) == sorted(f"{n} threads {want}" for n in names)

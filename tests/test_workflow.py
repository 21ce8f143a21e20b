"""The GitHub Actions workflow that renders every scene is valid against GitHub's workflow schema
(check-jsonschema's bundled copy: works offline) and runs the same make targets as the README."""
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "render.yml"


def check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True)


def test_workflow_matches_githubs_schema():
    r = check(WORKFLOW)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"          # a job without runs-on, and a step key GitHub does not know
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest", 1))
    assert check(broken).returncode != 0


def test_matrix_is_the_scene_list_and_jobs_use_the_make_targets():
    wf = yaml.safe_load(WORKFLOW.read_text())
    jobs = wf["jobs"]
    inputs = wf[True]["workflow_dispatch"]["inputs"]      # YAML 1.1 reads the key `on` as True
    assert inputs["quality"]["options"] == ["l", "m", "h", "k"]
    runs = {name: " ".join(s.get("run", "") for s in job["steps"]) for name, job in jobs.items()}
    assert "make models" in runs["models"] and "-m scenes list --json" in runs["models"]
    assert jobs["render"]["strategy"]["matrix"]["scene"] == "${{ fromJSON(needs.models.outputs.scenes) }}"
    assert re.search(r"make render SCENE=\$\{\{ matrix.scene \}\} QUALITY=", runs["render"])
    assert "make blog-export" in runs["blog"]
    uploads = [s["with"]["name"] for job in jobs.values() for s in job["steps"]
               if s.get("uses", "").startswith("actions/upload-artifact")]
    assert "video-${{ matrix.scene }}" in uploads and any(u.startswith("blog-") for u in uploads)
    caches = [s["with"]["path"] for job in jobs.values() for s in job["steps"]
              if s.get("uses", "").startswith("actions/cache")]
    assert caches.count("cache") == 3                     # saved by `models`, restored by every other job


def test_make_targets_the_workflow_calls_exist():
    for target in ("models", "render", "blog-export"):
        r = subprocess.run(["make", "-n", target, "SCENE=ReverseProcess"], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

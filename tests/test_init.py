"""``pytest-ecom init``: a new project's files, and they work as written."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from pytest_ecom.cli import main
from pytest_ecom.scaffold import FILES, SCHEMA_FILE, TEMPLATES

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = sorted([*FILES.values(), SCHEMA_FILE])


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_init_writes_tasks_for_every_built_in_store_an_agent_a_workflow_and_the_schema(tmp_path: Path, capsys):
    assert main(["init", str(tmp_path / "proj")]) == 0
    project = tmp_path / "proj"
    assert files_under(project) == EXPECTED
    stores = {yaml.safe_load(p.read_text())["store"] for p in project.glob("tasks/*/*.task.yaml")}
    assert stores == {"home_appliances", "ecom_bench", "seller_support"}
    for task in project.glob("tasks/*/*.task.yaml"):
        first = task.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        schema = (task.parent / first.split("$schema=", 1)[1]).resolve()  # relative to the task file
        assert schema == (project / SCHEMA_FILE).resolve()
    assert json.loads((project / SCHEMA_FILE).read_text())["type"] == "object"
    assert "wrote" in capsys.readouterr().out


def test_init_never_overwrites_and_writes_nothing_when_a_file_exists(tmp_path: Path, capsys):
    (tmp_path / "conftest.py").write_text("# mine\n")
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "already exist" in err and "conftest.py" in err
    assert files_under(tmp_path) == ["conftest.py"]
    assert (tmp_path / "conftest.py").read_text() == "# mine\n"


def test_the_checkouts_conftest_is_the_one_init_writes():
    """One agent story: README, checkout and a new project show the same ``my_agent``."""
    assert (ROOT / "conftest.py").read_text() == (TEMPLATES / "conftest.py.tmpl").read_text()


def test_the_example_tasks_pass_and_the_workflow_shards_merge_and_gate(tmp_path: Path):
    """The workflow's commands as CI runs them (the oracle standing in for the model's agent):
    four shards, then the merge gating on pass^3."""
    assert main(["init", str(tmp_path)]) == 0
    workflow = yaml.safe_load((tmp_path / ".github/workflows/agent-benchmark.yml").read_text())
    shard_job, gate_job = workflow["jobs"]["shard"], workflow["jobs"]["gate"]
    shards = shard_job["strategy"]["matrix"]["shard"]
    [pytest_line] = [s["run"] for s in shard_job["steps"] if s.get("run", "").startswith("pytest ")]
    [merge_line] = [s["run"] for s in gate_job["steps"] if s.get("run", "").startswith("pytest-ecom merge")]
    assert "-n auto" in pytest_line and '--gate "pass^3>=' in merge_line
    for shard in shards:
        line = pytest_line.replace("${{ matrix.shard }}", str(shard)).replace(" || true", "")
        argv = [a for a in shlex.split(line) if not a.startswith(("--agent", "-n", "auto"))] + ["--agent=oracle"]
        proc = run(argv, tmp_path)
        assert proc.returncode in (0, 5), proc.stdout + proc.stderr  # 5: a shard may hold no task
    reports = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.glob("out/shard-*.json"))
    assert reports, "no shard wrote a report"
    argv = shlex.split(merge_line)
    argv = ["pytest_ecom.cli", *argv[1:argv.index("out/shard-*.json")], *reports,
            *argv[argv.index("out/shard-*.json") + 1:]]
    proc = run(argv, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((tmp_path / "out/all.json").read_text())["gates"], "the merged run was not gated"

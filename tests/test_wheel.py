"""A user without the repo: the wheel carries the built-in stores, personas and suites.

Everything here runs the wheel built from this checkout, installed in a fresh venv, in empty
folders (tests/installed.py), as someone who ran ``pip install pytest-ecom`` in their own project.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

import pytest
from installed import ROOT, Installed, installed  # noqa: F401  (installed: the fixture)


def summary(output: str) -> tuple[int, int, int, int]:
    found = re.search(r"agent \S+: \d+ (?:tasks|samples), (\d+) trials: (\d+) passed, (\d+) failed, (\d+) errors",
                      output)
    assert found, output
    trials, passed, failed, errors = map(int, found.groups())
    return trials, passed, failed, errors


def repo_files(folder: str) -> set[str]:
    base = ROOT / folder
    return {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_the_wheel_carries_every_store_persona_and_suite_file(installed: Installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())

    def under(prefix: str) -> set[str]:
        return {n.removeprefix(prefix) for n in names if n.startswith(prefix)}

    assert under("pytest_ecom/_shipped/fixtures/") == repo_files("fixtures")
    assert under("pytest_ecom/_shipped/personas/") == repo_files("personas")
    for suite in sorted(p.name for p in (ROOT / "tasks").iterdir() if p.is_dir()):
        package = f"pytest_ecom/suites/{suite.replace('-', '_')}/"
        extra = {"__init__.py"} | ({"LICENSE"} if suite == "ecom-bench" else set())
        assert under(package) == repo_files(f"tasks/{suite}") | extra, suite
    assert "pytest_ecom/suites/__init__.py" in names
    assert len([n for n in names if n.startswith("pytest_ecom/suites/ecom_bench/") and n.endswith(".task.yaml")]) == 53
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # the plugin and the console script are declared
    entry_points = zipfile.ZipFile(installed.wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "ecom = pytest_ecom.pytest_plugin.plugin" in entry_points
    assert "pytest-ecom = pytest_ecom.cli:main" in entry_points


def test_a_shipped_suite_runs_by_its_package_name(installed: Installed, tmp_path: Path):
    proc = installed.run(["pytest", "--pyargs", "pytest_ecom.suites.ecom_bench", "--agent=oracle"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary(proc.stdout) == (53, 53, 0, 0)


def test_every_shipped_suite_passes_with_the_oracle(installed: Installed, tmp_path: Path):
    in_checkout = len([p for p in (ROOT / "tasks").rglob("*.yaml")])
    proc = installed.run(["pytest", "--pyargs", "pytest_ecom.suites", "--agent=oracle", "-q"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{in_checkout} passed" in proc.stdout


USER_TASK = """\
schema_version: 1
id: my_first_task
scenario: order_cancellation
language: en
description: A user's own task on a built-in store, with a built-in persona.
store: home_appliances
customer:
  persona: calm_patient_clear
  goal: You ordered a blender (order 100236) and want to cancel it because you changed your mind.
  script:
    - "Please cancel order 100236, I changed my mind."
    - "Yes, go ahead."
agent:
  user_id: u_1003
expect:
  actions:
    - cancel_order: {order_id: "100236", reason: changed_mind}
  outputs:
    - "cancelled"
"""


def test_a_users_task_finds_the_built_in_store_and_persona_by_name(installed: Installed, tmp_path: Path):
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "mine.task.yaml").write_text(USER_TASK, encoding="utf-8")
    proc = installed.run(["pytest", "tasks/", "--agent=oracle", "--repeat=2"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary(proc.stdout) == (2, 2, 0, 0)
    proc = installed.run(["pytest-ecom", "validate", "tasks/"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = installed.run(["pytest-ecom", "tools", "home_appliances"], cwd=tmp_path)
    assert proc.returncode == 0 and "cancel_order(" in proc.stdout, proc.stdout + proc.stderr


def test_a_store_of_the_users_own_beats_the_built_in_copy(installed: Installed, tmp_path: Path):
    """A project's fixtures/<store>/ is found first: here one without order 100236, so the golden
    cancel fails when replayed and collection says so."""
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "mine.task.yaml").write_text(USER_TASK, encoding="utf-8")
    own = tmp_path / "fixtures" / "home_appliances"
    own.mkdir(parents=True)
    (own / "store.json").write_text('{"users": {}, "orders": {}}', encoding="utf-8")
    proc = installed.run(["pytest", "tasks/", "--agent=oracle"], cwd=tmp_path)
    assert proc.returncode != 0
    assert "cancel_order fails when replayed" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


def test_init_then_the_example_tasks_pass_with_the_wheel(installed: Installed, tmp_path: Path):
    proc = installed.run(["pytest-ecom", "init"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = installed.run(["pytest", "tasks/", "--agent=oracle", "--repeat=2"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary(proc.stdout) == (6, 6, 0, 0)


@pytest.mark.parametrize("store", ["home_appliances", "ecom_bench", "seller_support"])
def test_the_wheel_finds_each_built_in_store(installed: Installed, tmp_path: Path, store: str):
    proc = installed.run(["pytest-ecom", "tools", store, "--json"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_wheels_task_sample_and_persona_files_point_their_editor_at_the_wheels_schemas(installed: Installed):
    """The build rewrites each modeline for where the file sits in the wheel (hatch_build.py)."""
    wheel = zipfile.ZipFile(installed.wheel)
    names = set(wheel.namelist())
    shipped = [n for n in names if n.endswith(".yaml") and n.startswith(("pytest_ecom/suites/", "pytest_ecom/_shipped/personas/"))]
    assert len(shipped) > 150
    for name in shipped:
        first = wheel.read(name).decode("utf-8").split("\n", 1)[0]
        assert first.startswith("# yaml-language-server: $schema="), name
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), first.split("$schema=", 1)[1]))
        kind = "task" if name.endswith(".task.yaml") else "sample" if name.endswith(".sample.yaml") else "persona"
        assert target == f"pytest_ecom/spec/{kind}.schema.json" and target in names, name

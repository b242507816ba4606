"""The shipped benchmark itself: every task under ``tasks/`` is solvable, none is
passed by an agent that does nothing, and together they cover what the
benchmark promises (every write tool of every store, the kinds of task).

Unlike the rest of the suite (which runs on ``tests/mini``), these tests read
the real ``tasks/`` folder. They know no store by name except the shipped
``home_appliances``: a new store's tasks are covered as soon as they exist.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_ecom.domains import load_domain

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "tasks"
SUMMARY = re.compile(r"agent (\S+): (\d+) tasks, (\d+) trials: (\d+) passed, (\d+) failed, (\d+) errors")
# Tags of the kinds of task the benchmark must have (ECom-Bench's mix).
REQUIRED_TAGS = ("multi_intent", "conditional", "read_only", "policy_refusal")
MIN_HOME_APPLIANCES_TASKS = 20
# What the do-nothing agent says to every message: polite, and none of the tasks' phrases.
IDLE_REPLY = "Hello, thank you for your message! Let me see what I can do for you."
IDLE_AGENT = f"""
def polite(messages, tools, context):
    return {IDLE_REPLY!r}
"""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def task_files() -> list[Path]:
    return sorted(TASKS.rglob("*.task.yaml"))


def item_files() -> list[Path]:
    """Everything ``pytest tasks/`` runs: end-to-end tasks and stage-wise samples."""
    return task_files() + sorted(TASKS.rglob("*.sample.yaml"))


def load_tasks() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)) for path in task_files()]


def action_names(task: dict[str, Any]) -> list[str]:
    return [next(iter(call)) for call in (task.get("expect") or {}).get("actions") or []]


def run_benchmark(
    tmp_path: Path, *args: str, pythonpath: Path | None = None
) -> tuple[str, int, tuple[int, ...], dict[str, list[str]]]:
    """Run ``pytest tasks/`` from the repository root as a user would.

    Returns the output, the exit code, the numbers of pytest-ecom's summary line (tasks, trials,
    passed, failed, errors) and, from the JSON report, each task's trial outcomes (for messages).
    """
    # A clean pytest: none of this run's PYTEST_* settings (xdist worker ids, addopts, plugin autoload).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "tasks/", "-p", "no:cacheprovider", "-q",
                           f"--ecom-report={report}", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = proc.stdout + proc.stderr
    found = SUMMARY.search(output)
    assert found, f"no pytest-ecom summary line (exit code {proc.returncode}):\n{output[-4000:]}"
    outcomes: dict[str, list[str]] = {}
    if report.is_file():
        for trial in json.loads(report.read_text(encoding="utf-8"))["trials"]:
            outcomes.setdefault(trial["task"], []).append(trial["outcome"])
    return output, proc.returncode, tuple(map(int, found.groups()[1:])), outcomes


@pytest.fixture(scope="module")
def tasks() -> list[tuple[Path, dict[str, Any]]]:
    loaded = load_tasks()
    assert loaded, f"no *.task.yaml under {TASKS}"
    return loaded


def test_oracle_passes_every_trial_of_every_task(tmp_path):
    expected_tasks = len(task_files())
    output, code, (n_tasks, trials, passed, failed, errors), outcomes = run_benchmark(
        tmp_path, "--agent=oracle", "--repeat=3")
    assert (n_tasks, trials) == (expected_tasks, 3 * expected_tasks), output[-4000:]
    assert len(outcomes) == len(item_files())  # the report holds tasks and samples
    not_passing = {task: o for task, o in outcomes.items() if set(o) != {"pass"}}
    assert not not_passing and (passed, failed, errors) == (trials, 0, 0), f"{not_passing}\n{output[-4000:]}"
    samples = len(item_files()) - expected_tasks
    assert f"{samples} samples, {3 * samples} passed, 0 failed, 0 errors" in output, output[-4000:]
    assert code == 0, output[-4000:]
    # and it followed the procedure: every consequential write was listed, answered, then made
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    tasks = [t for t in report["trials"] if t["kind"] == "task"]
    assert all(t["dimensions"]["procedure"]["passed"] for t in tasks)
    confirmed = {t["task"] for t in tasks for w in t["dimensions"]["procedure"]["detail"]["writes"]
                 if w["confirm"] == "confirmed"}
    consequential = {data["id"] for path, data in load_tasks()
                     if set(action_names(data)) & load_domain(data["store"], path.parent).consequential}
    assert confirmed == consequential
    assert all(t["tool_calls"] <= t["golden"]["max_tool_calls"] for t in tasks)


def test_an_agent_doing_nothing_fails_every_trial(tasks, tmp_path):
    phrases = {p for _, t in tasks for p in (t.get("expect") or {}).get("outputs") or []}
    said = sorted(p for p in phrases if " ".join(p.split()).casefold() in IDLE_REPLY.casefold())
    assert not said, f"pick another IDLE_REPLY: it contains the required phrase(s) {said}"
    agent_dir = tmp_path / "agent"
    agent_dir.mkdir()
    (agent_dir / "ecom_idle_agent.py").write_text(IDLE_AGENT, encoding="utf-8")

    output, code, (n_tasks, trials, passed, failed, errors), outcomes = run_benchmark(
        tmp_path, "--agent=ecom_idle_agent:polite", "--repeat=2", pythonpath=agent_dir)
    assert (n_tasks, trials) == (len(tasks), 2 * len(tasks)), output[-4000:]
    assert len(outcomes) == len(item_files())  # the report holds tasks and samples
    not_failing = {task: o for task, o in outcomes.items() if set(o) != {"fail"}}
    assert not not_failing and (passed, failed, errors) == (0, trials, 0), (
        f"not failed by doing nothing: {not_failing}\n{output[-4000:]}")
    assert code == 1, output[-4000:]


def test_every_write_tool_of_every_store_is_a_golden_action(tasks):
    by_store: dict[str, Counter[str]] = {}
    for _, task in tasks:
        by_store.setdefault(task["store"], Counter()).update(action_names(task))
    missing = {}
    for store, used in sorted(by_store.items()):
        domain = load_domain(store, TASKS)
        writes = sorted(t.name for t in domain.tools if t.writes)
        assert writes, f"store {store!r} has no write tools"
        unused = [name for name in writes if not used[name]]
        if unused:
            missing[store] = unused
    assert not missing, f"write tools no task uses as a golden action, by store: {missing}"


def test_home_appliances_has_enough_tasks(tasks):
    count = sum(1 for _, t in tasks if t["store"] == "home_appliances")
    assert count >= MIN_HOME_APPLIANCES_TASKS, f"{count} home_appliances tasks, want {MIN_HOME_APPLIANCES_TASKS}+"


@pytest.mark.parametrize("tag", REQUIRED_TAGS)
def test_each_kind_of_task_is_present(tasks, tag):
    tagged = [t["id"] for _, t in tasks if tag in (t.get("tags") or [])]
    assert tagged, f"no task tagged {tag}"


def test_read_only_tasks_write_nothing_and_require_a_search(tasks):
    wrong = [f"{path.relative_to(ROOT)}: actions {action_names(t)}, searches {len(t['expect'].get('searches') or [])}"
             for path, t in tasks if "read_only" in (t.get("tags") or [])
             and (action_names(t) or not t["expect"].get("searches"))]
    assert not wrong, "tasks tagged read_only must list searches and no actions:\n" + "\n".join(wrong)

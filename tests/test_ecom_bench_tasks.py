"""The committed ECom-Bench tasks (``tasks/ecom-bench``): they are what the importer makes of the
reference's files kept in the repo, they hold the reference's published counts, and the oracle
solves every one of them, every time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ecom_bench_reference import COMMITTED, FIXTURE, rebuild_reference, stale_files
from pytest_ecom.importers.ecom_bench import import_ecom_bench

ROOT = Path(__file__).resolve().parents[1]
# ../shared/ecom-bench/README.md: golden actions per tool, tasks with images, tasks with outputs.
REFERENCE_ACTIONS = {"manage_ecard_tool": 30, "manage_order_tool": 27, "schedule_service_tool": 17,
                     "manage_urgent_tool": 12, "manage_return_tool": 10, "register_cashback_by_review_tool": 7,
                     "manage_exchange_tool": 6, "manage_invoice_tool": 6}
REFERENCE_TASKS, REFERENCE_IMAGE_TASKS, REFERENCE_OUTPUT_TASKS = 53, 18, 5


def committed() -> dict[str, dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return {p.name: yaml.load(p.read_text(encoding="utf-8"), Loader=loader) for p in COMMITTED.glob("*.task.yaml")}


@pytest.fixture(scope="module")
def reference_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rebuild_reference(tmp_path_factory.mktemp("ecom-bench"))


def test_the_committed_tasks_are_what_the_importer_makes(reference_folder, tmp_path):
    result = import_ecom_bench(reference_folder, tmp_path / "out")
    assert result.written == REFERENCE_TASKS
    stale = stale_files(tmp_path / "out")
    assert not stale, ("tasks/ecom-bench is stale; regenerate it with "
                       "`pytest-ecom import ecom-bench <folder> --out tasks/ecom-bench`: " + ", ".join(stale))


def test_the_reference_counts_hold():
    tasks = committed()
    assert len(tasks) == REFERENCE_TASKS
    actions = Counter(next(iter(call)) for t in tasks.values() for call in t["expect"].get("actions", []))
    assert dict(actions) == REFERENCE_ACTIONS
    assert sum("has_image" in t["tags"] for t in tasks.values()) == REFERENCE_IMAGE_TASKS
    assert sum(bool(t["expect"].get("outputs")) for t in tasks.values()) == REFERENCE_OUTPUT_TASKS
    assert {t["store"] for t in tasks.values()} == {"ecom_bench"}
    assert {t["language"] for t in tasks.values()} == {"zh"}


def test_the_license_travels_with_the_data():
    assert "Apache License" in (FIXTURE / "LICENSE").read_text(encoding="utf-8")
    notice = (COMMITTED / "NOTICE").read_text(encoding="utf-8")
    assert "Apache License 2.0" in notice and "fixtures/ecom_bench/LICENSE" in notice
    # each file's header (after the editor's schema modeline) names the source and its licence
    headers = [p.read_text(encoding="utf-8").splitlines()[1] for p in COMMITTED.glob("*.task.yaml")]
    assert len(headers) == 53
    assert all(h.startswith("# Imported from ECom-Bench tasks.json, index ") and "(Apache-2.0)" in h for h in headers)


def test_the_oracle_solves_every_task_every_time(tmp_path):
    """The issue's command, as a user on a fresh clone types it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "tasks/ecom-bench", "--agent=oracle", "--repeat=3",
                           "-p", "no:cacheprovider", f"--ecom-report={report}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    outcomes = Counter(t["outcome"] for t in data["trials"])
    assert outcomes == {"pass": 3 * REFERENCE_TASKS}
    assert {t["task"] for t in data["trials"]} == {t["id"] for t in committed().values()}
    assert "agent oracle: 53 tasks, 159 trials: 159 passed, 0 failed, 0 errors" in proc.stdout


def test_the_oracle_solves_every_task_under_the_reference_rule_too(tmp_path):
    """Its golden calls send strings for string fields and no extra keys, so the reference's server
    would run every one; its replies hold every required phrase, joined as the reference joins them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "tasks/ecom-bench", "--agent=oracle", "--repeat=1",
                           "--ecom-scoring=reference", "-p", "no:cacheprovider", f"--ecom-report={report}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert Counter(t["outcome"] for t in data["trials"]) == {"pass": REFERENCE_TASKS}
    assert all(t["verdicts"]["reference"] and t["verdicts"]["default"] for t in data["trials"])

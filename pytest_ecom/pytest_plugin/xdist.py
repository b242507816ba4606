"""pytest-xdist integration (its hooks are registered only when xdist is installed).

- A scheduler that keeps all trials of a task on one worker (ids unchanged) and
  hands each worker whole tasks in chunks of about ``--ecom-concurrency`` trials:
  the worker's pool then has enough queued to keep that many in flight across
  tasks, and a task's trials never race each other across processes.
- Workers tell the controller which tasks they deselected, through
  ``workeroutput`` (the controller never collects), so the summary can say
  that pass^k covers a subset.
- ``--ecom-resume``: the controller reads the log once and hands every worker the
  logged trials through ``workerinput``; each worker deselects the same items (xdist
  needs identical collections) and reports back which it took from the log.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom.pytest_plugin.state import STATE
from pytest_ecom.spec import TASK_SUFFIX
from pytest_ecom.spec.samples import SAMPLE_SUFFIX

DESELECTED = "ecom_deselected"
LIMITS_FOLDER = "ecom_limits_folder"  # controller → workers: where --ecom-rate-limit's caps are shared
BUDGET_LEDGER = "ecom_budget_ledger"  # controller → workers: the shared spending ledger of --ecom-max-cost
RESUME_DONE = "ecom_resume_done"  # controller → workers: [(task, trial, digest)] already logged
RESUMED = "ecom_resumed"  # workers → controller: [(task, trial)] taken from the log
STALE = "ecom_stale"  # workers → controller: tasks changed since logged


def task_scope(nodeid: str) -> str | None:
    """``path/x.task.yaml::x[2-3]`` → ``path/x.task.yaml::x`` (samples alike); None for other items."""
    path, sep, name = nodeid.partition("::")
    if not sep or not path.endswith((TASK_SUFFIX, SAMPLE_SUFFIX)):
        return None
    return f"{path}::{name.partition('[')[0]}"


@functools.cache
def task_group_scheduling() -> type:
    from xdist.scheduler import LoadScopeScheduling  # xdist is optional: imported when it runs

    class TaskGroupScheduling(LoadScopeScheduling):
        """xdist's load scheduling, except that the trials of a task form one unit of work and a
        worker is kept supplied with about ``--ecom-concurrency`` trials more than it runs (xdist's
        own rule tops a worker up only when two items are left: one task at a time, no overlap)."""

        def _split_scope(self, nodeid: str) -> str:
            return task_scope(nodeid) or nodeid  # other tests: each its own unit, as with --dist=load

        def _reschedule(self, node: Any) -> None:
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            # a fair share of what is left, so the first worker served does not take it all
            left = sum(len(unit) for unit in self.workqueue.values()) + sum(
                self._pending_of(work) for work in self.assigned_work.values())
            want = min(_concurrency(self.config) + 2, max(3, -(-left // max(1, len(self.nodes)))))
            while self.workqueue and self._pending_of(self.assigned_work[node]) < want:
                self._assign_work_unit(node)

    return TaskGroupScheduling


def _concurrency(config: pytest.Config) -> int:
    try:
        return int(config.getoption("--ecom-concurrency"))
    except (ValueError, TypeError):
        return 1


class XdistHooks:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(trylast=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "load":
            return None  # the user chose a distribution mode; respect it
        return task_group_scheduling()(config, log)

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[RESUME_DONE] = [list(done) for done in self.config.stash[STATE].resume_done]
        budget = self.config.stash[STATE].budget
        node.workerinput[BUDGET_LEDGER] = str(budget.ledger) if budget is not None else None
        folder = self.config.stash[STATE].settings.calls.limits_folder
        node.workerinput[LIMITS_FOLDER] = str(folder) if folder is not None else None

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        progress = self.config.stash[STATE].progress
        if progress is not None and progress.total is None:  # every worker collects the same
            progress.total = sum(task_scope(nodeid) is not None for nodeid in ids)

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        deselected = getattr(node, "workeroutput", {}).get(DESELECTED, [])
        state = self.config.stash[STATE]
        state.deselected.update(deselected)
        output = getattr(node, "workeroutput", {})
        state.resumed.update((task, trial) for task, trial in output.get(RESUMED, []))
        state.stale.update(output.get(STALE, []))


def send_deselected(config: pytest.Config, tasks: set[str]) -> None:
    config.workeroutput[DESELECTED] = sorted(tasks)  # type: ignore[attr-defined]


def budget_ledger_from_controller(config: pytest.Config) -> Path | None:
    """On a worker: the ledger file the controller created for ``--ecom-max-cost``."""
    path = getattr(config, "workerinput", {}).get(BUDGET_LEDGER)
    return Path(path) if path else None


def limits_folder_from_controller(config: pytest.Config) -> Path | None:
    """On a worker: the folder where the controller shares ``--ecom-rate-limit``'s caps."""
    path = getattr(config, "workerinput", {}).get(LIMITS_FOLDER)
    return Path(path) if path else None


def resume_done_from_controller(config: pytest.Config) -> list[tuple[str, int, str]]:
    """On a worker: the logged trials the controller read from ``--ecom-resume``."""
    done = getattr(config, "workerinput", {}).get(RESUME_DONE, [])
    return [(str(task), int(trial), str(digest)) for task, trial, digest in done]


def send_resumed(config: pytest.Config, resumed: set[tuple[str, int]], stale: set[str]) -> None:
    config.workeroutput[RESUMED] = [list(key) for key in sorted(resumed)]  # type: ignore[attr-defined]
    config.workeroutput[STALE] = sorted(stale)  # type: ignore[attr-defined]

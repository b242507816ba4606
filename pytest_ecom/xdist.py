"""pytest-xdist integration (its hooks are registered only when xdist is installed).

- A scheduler that keeps all trials of a task on one worker (ids unchanged):
  the worker can then run them concurrently, and a task's trials never race
  each other across processes.
- Workers tell the controller which tasks they deselected, through
  ``workeroutput`` (the controller never collects), so the summary can say
  that pass^k covers a subset.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from pytest_ecom.session import STATE
from pytest_ecom.spec import TASK_SUFFIX
from pytest_ecom.spec.samples import SAMPLE_SUFFIX

GROUPED = "ecom_grouped"
DESELECTED = "ecom_deselected"


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
        """xdist's load scheduling, except that the trials of a task form one unit of work."""

        def _split_scope(self, nodeid: str) -> str:
            return task_scope(nodeid) or nodeid  # other tests: each its own unit, as with --dist=load

    return TaskGroupScheduling


class XdistHooks:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(trylast=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "load":
            return None  # the user chose a distribution mode; respect it
        return task_group_scheduling()(config, log)

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[GROUPED] = self.config.getvalue("dist") in ("load", "loadfile", "loadscope")

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        deselected = getattr(node, "workeroutput", {}).get(DESELECTED, [])
        self.config.stash[STATE].deselected.update(deselected)


def worker_runs_whole_tasks(config: pytest.Config) -> bool:
    """True on a worker that is handed all trials of a task at once (see the scheduler)."""
    return bool(getattr(config, "workerinput", {}).get(GROUPED))


def send_deselected(config: pytest.Config, tasks: set[str]) -> None:
    config.workeroutput[DESELECTED] = sorted(tasks)  # type: ignore[attr-defined]

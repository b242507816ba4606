"""Which trials come next in this process, and when to start no more (for the trial pool).

Without xdist the process runs the session's items in collection order; on an xdist worker it runs
the items the controller handed it, in the order of its queue (peeked at, never changed). The pool
starts trials from that order ahead of the item pytest is running, so report lines keep their order
while up to ``--ecom-concurrency`` trials wait on models.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_ecom.runner.pool import Start, TrialKey, TrialPool


def _worker_queue(config: pytest.Config) -> Any:
    """xdist's WorkerInteractor on a worker (it registers itself without a name), else None."""
    for plugin in config.pluginmanager.get_plugins():
        if hasattr(plugin, "torun") and hasattr(plugin, "nextitem_index") and hasattr(plugin, "session"):
            return plugin
    return None


class Lookahead:
    def __init__(self, config: pytest.Config, is_trial: Callable[[pytest.Item], bool],
                 entry: Callable[[Any], tuple[TrialKey, Start]]) -> None:
        self.config = config
        self.is_trial = is_trial
        self.entry = entry  # a trial item -> (its key, what starts it)
        self._position: dict[int, int] = {}  # id(item) -> its index in session.items
        self._worker: Any = None

    def collected(self, items: list[pytest.Item]) -> None:
        self._position = {id(item): i for i, item in enumerate(items)}
        if hasattr(self.config, "workerinput"):
            self._worker = _worker_queue(self.config)

    def _indexes_after(self, item: pytest.Item, limit: int) -> Iterator[int]:
        items = item.session.items
        worker = self._worker
        if worker is not None:  # the worker's own queue: the next item, then what waits behind it
            nxt = worker.nextitem_index
            if not isinstance(nxt, int):
                return
            yield nxt
            with worker.torun.lock() as queue:
                waiting = [i for i in itertools.islice(queue, limit) if isinstance(i, int)]
            yield from waiting
            return
        here = self._position.get(id(item))
        if here is None:
            return
        yield from range(here + 1, min(len(items), here + 1 + limit))

    def upcoming(self, item: pytest.Item, pool: TrialPool) -> Callable[[], Iterator[tuple[TrialKey, Start]]]:
        """The trials after ``item`` in this process's order (at most the pool's window of items)."""
        def after() -> Iterator[tuple[TrialKey, Start]]:
            items = item.session.items
            for index in self._indexes_after(item, pool.window + pool.concurrency):
                if 0 <= index < len(items) and self.is_trial(items[index]):
                    yield self.entry(items[index])
        return after

    def stop(self, session: pytest.Session, pool: TrialPool) -> Callable[[], bool]:
        """True once pytest will stop: ``-x``/``--maxfail`` counting the failures already reported
        and those of finished trials not reported yet, or a session told to stop."""
        maxfail = int(self.config.getoption("maxfail", 0) or 0)

        def stopping() -> bool:
            if session.shouldstop or session.shouldfail:
                return True
            return bool(maxfail) and session.testsfailed + pool.failures_ahead >= maxfail
        return stopping

"""One event loop per process, and trials in flight across tasks.

litellm's async clients are bound to the loop that created them, so the whole session shares one
loop. When a trial is wanted (its item's setup), the pool also starts the trials that come after
it in the session's order — whatever their task — until ``concurrency`` trials are in flight or
``window`` trials are started and not yet collected. Each trial that finishes makes room for the
next one in order, so the process keeps waiting on models for up to ``concurrency`` trials at
once while its items are still reported one by one, in their order. A process's CPU-bound work
stays serial on the loop.

The caller says what comes next (``upcoming``) and when to start nothing new (``stop``: ``-x``,
``--maxfail``, an interrupted session). :attr:`TrialPool.failures_ahead` counts the finished trials
not yet collected that will fail, so ``--maxfail`` can stop starting trials as soon as the failures
it will see are known.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from pytest_ecom.results.record import TrialRecord
from pytest_ecom.runner.run import NOT_RUN

TrialKey = tuple[str, int]  # (task id, trial index)
Start = Callable[[], Coroutine[Any, Any, TrialRecord]]
Upcoming = Callable[[], Iterable[tuple[TrialKey, Start]]]
DEFAULT_CONCURRENCY = 16  # real providers take this many requests at once from one client without fuss


def _never() -> bool:
    return False


def _nothing() -> Iterable[tuple[TrialKey, Start]]:
    return ()


def will_fail(record: Any) -> bool:
    """A record its item reports as failed or errored (pytest counts both towards ``--maxfail``)."""
    if not isinstance(record, dict) or record.get("outcome") == "pass":
        return False
    error = record.get("error")
    return not (isinstance(error, dict) and error.get("source") == NOT_RUN)  # a budget skip is no failure


class TrialPool:
    def __init__(self, concurrency: int = DEFAULT_CONCURRENCY, window: int | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.concurrency = max(1, concurrency)
        # trials started and not collected yet: how far ahead of the reported item the pool may run
        self.window = max(self.concurrency, window if window is not None else 2 * self.concurrency)
        self.running = 0
        self.failures_ahead = 0
        self._started: set[TrialKey] = set()
        self._results: dict[TrialKey, asyncio.Future[TrialRecord]] = {}
        self._wanted: tuple[TrialKey, Start] | None = None  # asked for now: it starts before any look-ahead
        self._upcoming: Upcoming = _nothing
        self._stop: Callable[[], bool] = _never

    def get(self, key: TrialKey, start: Start, upcoming: Upcoming = _nothing,
            stop: Callable[[], bool] = _never) -> TrialRecord:
        """The record of trial ``key``: started now with ``start`` unless it already was; meanwhile the
        trials ``upcoming()`` yields (in order, after ``key``) start as room allows and ``stop()`` is false."""
        self._upcoming, self._stop = upcoming, stop
        if key not in self._started:
            self._wanted = (key, start)
        self._fill()
        record = self.loop.run_until_complete(self._future(key))
        del self._results[key]
        if will_fail(record):
            self.failures_ahead -= 1
        return record

    def _future(self, key: TrialKey) -> asyncio.Future[TrialRecord]:
        if key not in self._results:
            self._results[key] = self.loop.create_future()
        return self._results[key]

    def _fill(self) -> None:
        """Start the wanted trial, then the upcoming ones in order, while there is room."""
        if self._wanted is not None:
            if self.running >= self.concurrency:
                return  # the wanted trial takes the next free place, before any look-ahead
            self._launch(*self._wanted)
            self._wanted = None
        for key, start in self._upcoming():
            if self.running >= self.concurrency or len(self._results) >= self.window or self._stop():
                return
            if key not in self._started:
                self._launch(key, start)

    def _launch(self, key: TrialKey, start: Start) -> None:
        self._started.add(key)
        self.running += 1
        future = self._future(key)
        task = self.loop.create_task(start())

        def finished(task: asyncio.Task[TrialRecord]) -> None:
            self.running -= 1
            if not future.done():
                if task.cancelled():
                    future.cancel()
                elif task.exception() is not None:
                    future.set_exception(task.exception())  # type: ignore[arg-type]
                else:
                    record = task.result()
                    if will_fail(record):
                        self.failures_ahead += 1
                    future.set_result(record)
            if not self.loop.is_closed():
                self._fill()

        task.add_done_callback(finished)

    def close(self) -> None:
        """Cancel what still runs on the loop — trials nobody asked for (e.g. after ``-x``) and
        background tasks of client libraries (litellm's logging worker) — then close it."""
        self._upcoming, self._stop, self._wanted = _nothing, (lambda: True), None
        if "pytest_ecom.serving.mcp_host" in sys.modules:  # trials served tools over MCP: stop that server
            from pytest_ecom.serving.mcp_host import close_host

            self.loop.run_until_complete(close_host())
        pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        for future in self._results.values():
            if future.done() and not future.cancelled():
                future.exception()  # retrieved: no "exception was never retrieved" at exit
        self._results.clear()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

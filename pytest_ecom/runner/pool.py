"""One event loop per process, and concurrent trials of a task.

litellm's async clients are bound to the loop that created them, so the whole
session shares one loop. When the first trial of a task is wanted, every
selected trial of that task starts (bounded by ``concurrency``); later items
of the task then find their result ready. Time spent waiting on models
overlaps; a process's CPU-bound work stays serial.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from pytest_ecom.results.record import TrialRecord

TrialKey = tuple[str, int]  # (task id, trial index)
Starter = Callable[[int], Coroutine[Any, Any, TrialRecord]]


class TrialPool:
    def __init__(self, concurrency: int = 4) -> None:
        self.loop = asyncio.new_event_loop()
        self._semaphore: asyncio.Semaphore | None = None
        self._concurrency = max(1, concurrency)
        self._futures: dict[TrialKey, asyncio.Task[TrialRecord]] = {}
        self._started: set[TrialKey] = set()

    async def _bounded(self, key: TrialKey, start: Starter) -> TrialRecord:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._concurrency)
        async with self._semaphore:
            return await start(key[1])

    def get(self, task_id: str, trial: int, start: Starter, siblings: Iterable[int] = ()) -> TrialRecord:
        """The record of ``trial``; starts it (and not yet started ``siblings``) if needed, then waits."""
        for index in (trial, *siblings):
            key = (task_id, index)
            if key not in self._started:
                self._started.add(key)
                self._futures[key] = self.loop.create_task(self._bounded(key, start))
        future = self._futures.pop((task_id, trial))
        return self.loop.run_until_complete(future)

    def close(self) -> None:
        """Cancel what still runs on the loop — trials nobody asked for (e.g. after ``-x``) and
        background tasks of client libraries (litellm's logging worker) — then close it."""
        self._futures.clear()
        if "pytest_ecom.serving.mcp_host" in sys.modules:  # trials served tools over MCP: stop that server
            from pytest_ecom.serving.mcp_host import close_host

            self.loop.run_until_complete(close_host())
        pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

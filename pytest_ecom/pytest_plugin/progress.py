"""A progress line on long runs: trials done out of the total, and the cost so far.

Printed at most every ``interval`` seconds (``--ecom-progress``), never for the last
trial (the summary follows) and never with ``-q``: a short run prints none.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest

from pytest_ecom.results.record import TrialRecord


class Progress:
    def __init__(self, interval: float, write: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.write = write
        self.clock = clock
        self.total: int | None = None  # trials this session runs, once collected
        self.outcomes: Counter[str] = Counter()
        self.cost: float | None = None  # None until a record carries a cost
        self.next_at = clock() + interval

    def add(self, record: TrialRecord) -> None:
        self.outcomes[record["outcome"]] += 1
        if isinstance(record.get("cost_usd"), (int, float)):
            self.cost = (self.cost or 0.0) + record["cost_usd"]
        done = sum(self.outcomes.values())
        if self.interval > 0 and self.total and done < self.total and self.clock() >= self.next_at:
            self.write(self.line())
            self.next_at = self.clock() + self.interval

    def line(self) -> str:
        done = sum(self.outcomes.values())
        o = self.outcomes
        cost = f", ${self.cost:.4f} so far" if self.cost is not None else ""
        return (f"pytest-ecom: {done}/{self.total} trials done ({o['pass']} passed, {o['fail']} failed, "
                f"{o['error']} errors){cost}")


class ProgressHooks:
    """Feeds the progress line; last, so that pytest has printed the trial's own letter first."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "ecom_record", None)
        if record is not None:
            self.progress.add(record)

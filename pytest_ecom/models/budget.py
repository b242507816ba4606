"""``--ecom-max-cost``: a trial starts only while its expected cost still fits in the budget.

The spending is a ledger file every process of the run appends to; the xdist controller creates
it and tells the workers where it is, so the budget holds across workers. Each line is one short
write in append mode (lines of several processes never interleave):

- ``<usd>`` or ``unknown``: what a trial that finished before this run cost (a resumed run's);
- ``hold <id> <usd>``: a trial is starting, holding its expected cost: the mean cost of the trials
  finished so far in any process (0 before the first);
- ``done <id> <added> <total>``: that trial ended: ``added`` is what it spent and was not billed
  yet (or ``unknown``), ``total`` its whole cost; its hold is released in the same line;
- ``bill <added>``: spending of a meter that held nothing (billed outside ``run_trial``).

A running trial counts as holding the larger of what it held and the current mean (a trial that
started before anything was known holds 0 at first). :meth:`Budget.reserve` refuses a trial when
spent + held + its own expected cost would pass the limit, deciding and holding under an
exclusive lock of the ledger so two processes never both take the last room. Every cost billed
after the last trial started comes from the trials then in flight, so

    spent <= limit + in_flight * max_trial_cost

where ``in_flight`` is the number of trials running once the last one started (at most xdist
workers times ``--ecom-concurrency``) and ``max_trial_cost`` the most one trial cost. Tighter: a
trial in flight was counted at no less than the mean of the finished trials, so once one trial has
finished the overshoot is at most ``in_flight * (max_trial_cost - min_trial_cost)`` (none when all
trials cost the same); before that only the first ``in_flight`` trials can have started:

    spent <= max(in_flight * max_trial_cost, limit + in_flight * (max_trial_cost - min_trial_cost))

Trials not started are reported as not run (skipped, no record), which leaves their tasks
incomplete rather than failed. A trial whose cost is unknown cannot be counted; the summary says
how many.
"""

from __future__ import annotations

import contextlib
import math
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pytest_ecom.models.metering import TrialMeter

try:  # POSIX: reservations of several processes are decided one at a time
    import fcntl
except ImportError:  # pragma: no cover - elsewhere two processes may both take the last room
    fcntl = None  # type: ignore[assignment]

UNKNOWN = "unknown"
_SLACK = 1e-9  # float sums of the ledger: a trial that fits exactly is not refused by rounding


@dataclass(frozen=True)
class Spent:
    usd: float
    unknown: int  # trials whose cost is unknown (not in usd)


@dataclass(frozen=True)
class LedgerState:
    """What the ledger says now."""

    spent_usd: float
    unknown: int  # trials of unknown cost
    held_usd: float  # held by the trials running now (each at least the current mean)
    running: int  # trials holding an estimate now
    finished: int  # trials finished at a known cost
    finished_usd: float  # what they cost

    @property
    def estimate_usd(self) -> float:
        """The expected cost of the next trial: the mean of the finished ones (0 before any)."""
        return self.finished_usd / self.finished if self.finished else 0.0


def _number(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def read_ledger(text: str) -> LedgerState:
    spent = finished_usd = 0.0
    unknown = finished = 0
    holds: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        try:
            if len(parts) == 1:  # a trial finished before this run
                if parts[0] == UNKNOWN:
                    unknown += 1
                elif (usd := _number(parts[0])) is not None:
                    spent += usd
                    finished += 1
                    finished_usd += usd
            elif parts[0] == "hold" and len(parts) == 3:
                holds[parts[1]] = float(parts[2])
            elif parts[0] == "done" and len(parts) == 4:
                holds.pop(parts[1], None)
                if parts[2] == UNKNOWN:
                    unknown += 1
                else:
                    spent += float(parts[2])
                if parts[3] != UNKNOWN:
                    finished += 1
                    finished_usd += float(parts[3])
            elif parts[0] == "bill" and len(parts) == 2:
                if parts[1] == UNKNOWN:
                    unknown += 1
                else:
                    spent += float(parts[1])
        except ValueError:  # not a line of ours: ignored rather than stopping the run
            continue
    mean = finished_usd / finished if finished else 0.0
    return LedgerState(spent, unknown, sum(max(held, mean) for held in holds.values()), len(holds), finished,
                       finished_usd)


def _usd(value: float | None) -> str:
    return UNKNOWN if value is None else repr(float(value))


class Budget:
    def __init__(self, limit_usd: float, ledger: Path) -> None:
        self.limit_usd = limit_usd
        self.ledger = ledger
        self._holds: dict[tuple[str, int], str] = {}  # this process's running trials -> their hold id
        self._refused: LedgerState | None = None  # the ledger as the last refused trial saw it

    def _append(self, line: str) -> None:
        # one short write in append mode: lines from several processes do not interleave
        fd = os.open(self.ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Only one process decides about a reservation at a time (the appends need no lock)."""
        fd = os.open(self.ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def state(self) -> LedgerState:
        try:
            text = self.ledger.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        return read_ledger(text)

    def spend(self, usd: float | None) -> None:
        """Count a trial that finished before this run (a resumed run's) at its cost."""
        self._append(_usd(usd) + "\n")

    def spent(self) -> Spent:
        state = self.state()
        return Spent(state.spent_usd, state.unknown)

    def _fits(self, state: LedgerState) -> bool:
        committed = state.spent_usd + state.held_usd
        return committed < self.limit_usd and committed + state.estimate_usd <= self.limit_usd + _SLACK

    def reserve(self, key: tuple[str, int]) -> bool:
        """Before trial ``key`` (task id, trial number) starts: hold its estimated cost and return
        True, or return False (it must not start) when spent + held + the estimate would pass the
        limit. :meth:`bill` of the trial's meter (same key) releases the hold."""
        with self._locked():
            state = self.state()
            if not self._fits(state):
                self._refused = state
                return False
            hold = uuid.uuid4().hex[:12]
            self._append(f"hold {hold} {state.estimate_usd!r}\n")
        self._holds[key] = hold
        self._refused = None
        return True

    def bill(self, meter: TrialMeter | None) -> None:
        """Add what ``meter`` spent and was not billed yet; a trial that held an estimate
        (:meth:`reserve`) has ended, and its real cost replaces the estimate in one line."""
        hold = self._holds.pop(meter.key, None) if meter is not None else None
        added: float | None = 0.0
        if meter is not None and meter.roles:
            cost = meter.cost_usd
            if cost is None:
                if meter.billed_unknown:
                    added = 0.0
                else:
                    meter.billed_unknown = True
                    added = None
            else:
                added = max(0.0, cost - meter.billed_usd)
                meter.billed_usd = max(cost, meter.billed_usd)
        if hold is not None:
            total = meter.cost_usd if meter is not None and meter.roles else 0.0
            self._append(f"done {hold} {_usd(added)} {_usd(total)}\n")
        elif added is None or added > 0:
            self._append(f"bill {_usd(added)}\n")

    def exhausted(self) -> bool:
        """True when no trial could start now."""
        return not self._fits(self.state())

    def reason(self) -> str:
        state = self._refused or self.state()
        return (f"not run (budget): ${state.spent_usd:.4f} spent of --ecom-max-cost ${self.limit_usd:g}, "
                f"${state.held_usd:.4f} held by {state.running} trial(s) running, "
                f"${state.estimate_usd:.4f} expected of the next")

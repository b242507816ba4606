"""``--ecom-max-cost``: once the run has spent its budget, no new trial starts.

The spending is a ledger file every process of the run appends to (what a trial's model calls
cost, or ``unknown``, as its run ends: episode and, for samples, the scoring model); the xdist controller creates it and tells the
workers where it is, so the budget holds across workers. A trial is checked when it is about to
start: one already running finishes, so a run may end a little over its budget. Trials not
started are reported as not run (skipped, no record), which leaves their tasks incomplete rather
than failed. A trial whose cost is unknown cannot be counted; the summary says how many.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pytest_ecom.models.metering import TrialMeter

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Spent:
    usd: float
    unknown: int  # trials whose cost is unknown (not in usd)


class Budget:
    def __init__(self, limit_usd: float, ledger: Path) -> None:
        self.limit_usd = limit_usd
        self.ledger = ledger

    def spend(self, usd: float | None) -> None:
        line = (UNKNOWN if usd is None else repr(float(usd))) + "\n"
        # one short write in append mode: lines from several processes do not interleave
        fd = os.open(self.ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def spent(self) -> Spent:
        try:
            lines = self.ledger.read_text(encoding="utf-8").split()
        except FileNotFoundError:
            lines = []
        known = [float(x) for x in lines if x != UNKNOWN]
        return Spent(sum(known), len(lines) - len(known))

    def bill(self, meter: TrialMeter | None) -> None:
        """Add what ``meter`` spent and was not billed yet (a trial is billed as its run ends, so
        the trials that start next see it)."""
        if meter is None or not meter.roles:
            return
        cost = meter.cost_usd
        if cost is None:
            if not meter.billed_unknown:
                meter.billed_unknown = True
                self.spend(None)
            return
        if cost > meter.billed_usd:
            self.spend(cost - meter.billed_usd)
            meter.billed_usd = cost

    def exhausted(self) -> bool:
        return self.spent().usd >= self.limit_usd

    def reason(self) -> str:
        return f"not run (budget): ${self.spent().usd:.4f} spent of --ecom-max-cost ${self.limit_usd:g}"

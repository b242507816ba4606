"""Nothing vanishes: every trial that ran leaves exactly one record, in the report and in the log.

Counted on the controller as test reports arrive (also from xdist workers): a trial item whose
setup ran (was not skipped) must bring one record. At session end any trial without its record,
with more than one, or missing from the JSON report or the log is reported loudly and fails the run.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pytest_ecom.pytest_plugin.xdist import task_scope


class Accounting:
    def __init__(self) -> None:
        self.ran: set[str] = set()  # node ids of trials whose setup ran
        self.records: Counter[str] = Counter()  # node id -> records received
        self.keys: Counter[tuple[str, int]] = Counter()  # (task, trial) -> records received
        self.logged = 0  # records written to --ecom-log

    def saw(self, report: Any) -> None:
        if report.when == "setup" and not report.skipped and task_scope(report.nodeid) is not None:
            self.ran.add(report.nodeid)
        record = getattr(report, "ecom_record", None)
        if record is not None:
            self.records[report.nodeid] += 1
            self.keys[(record["task"], record["trial"])] += 1

    def problems(self, in_report: int | None, resumed: int, logging: bool) -> list[str]:
        """What does not add up; ``in_report``: the JSON report's trials (None: no report written);
        ``resumed``: records taken from a resumed log (in the report, not received now)."""
        out = []
        lost = sorted(self.ran - set(self.records))
        if lost:
            out.append(f"{len(lost)} trial(s) ran but left no record: {_shown(lost)}")
        twice = sorted(n for n, c in self.records.items() if c > 1)
        twice += sorted(f"{task}[{trial}]" for (task, trial), c in self.keys.items() if c > 1)
        if twice:
            out.append(f"{len(twice)} trial(s) have more than one record: {_shown(twice)}")
        received = sum(self.keys.values())
        if in_report is not None and in_report != len(self.keys) + resumed:
            out.append(f"the JSON report holds {in_report} trial(s), but {len(self.keys) + resumed} finished")
        if logging and self.logged != received:
            out.append(f"the log got {self.logged} record(s) of the {received} received")
        return out


def _shown(names: list[str], most: int = 5) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")

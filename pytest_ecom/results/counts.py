"""The reductions every view of a run shares: one record per trial, the headline's records, and
per-task counts of scored and passed trials (what pass^k is estimated from)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from pytest_ecom.results.record import OUTCOMES, TrialRecord, is_task


def dedupe(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    """One record per (task, trial), the last one seen; sorted by task then trial."""
    by_key = {(r["task"], r["trial"]): r for r in records}
    return [by_key[k] for k in sorted(by_key)]


def headline(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    """The records the headline pass^k is read from: the end-to-end tasks' (a run of samples only:
    the samples'), one per trial. Adding stage-wise samples to a run never moves the headline."""
    everything = dedupe(records)
    return [r for r in everything if is_task(r)] or everything


def passed(record: TrialRecord) -> bool:
    return record["outcome"] == "pass"


def task_counts(records: Iterable[TrialRecord], verdict: Callable[[TrialRecord], bool] = passed
                ) -> dict[str, tuple[int, int]]:
    """Per task: (scored trials, passed trials by ``verdict``); errored trials are not scored, so a
    task whose every trial errored counts (0, 0): incomplete for every k."""
    counts: dict[str, list[int]] = {}
    for r in records:
        n_c = counts.setdefault(r["task"], [0, 0])
        if r["outcome"] != "error":
            n_c[0] += 1
            n_c[1] += bool(verdict(r))
    return {task: (n, c) for task, (n, c) in counts.items()}


def task_table(records: list[TrialRecord]) -> dict[str, dict[str, Any]]:
    """Per task: trial counts by outcome and how often each dimension failed."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        row = out.setdefault(r["task"], {**dict.fromkeys(OUTCOMES, 0), "repeat": r["repeat"],
                                         "failing": Counter(), "tags": r["tags"], "scenario": r["scenario"]})
        row[r["outcome"]] += 1
        row["repeat"] = max(row["repeat"], r["repeat"])
        for name, d in r["dimensions"].items():
            if d.get("passed") is False:
                row["failing"][name] += 1
    for row in out.values():
        row["failing"] = dict(sorted(row["failing"].items()))
        row["scored"] = row["pass"] + row["fail"]
    return dict(sorted(out.items()))

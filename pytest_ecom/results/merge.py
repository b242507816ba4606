"""Merging the JSON reports of shard runs into the report a single run would give."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pytest_ecom.results.fingerprint import run_differences
from pytest_ecom.results.gates import Gate, Verdict, evaluate_all
from pytest_ecom.results.report import Report, ReportError, build_report, load_report


class MergeError(ReportError):
    """The reports cannot be merged: unreadable, of different runs, or overlapping."""


def merge_reports(paths: Sequence[Path], gates: Sequence[Gate] = (), max_errors: int | None = None
                  ) -> tuple[Report, list[Verdict]]:
    reports = [load_report(p) for p in paths]
    first = reports[0]["fingerprint"]
    for path, report in zip(paths[1:], reports[1:], strict=True):
        diffs = run_differences(first, report["fingerprint"], (f"in {paths[0]}", f"in {path}"))
        if diffs:  # each shard's task set is its own share: the rest must agree
            raise MergeError(f"{path} comes from a different run than {paths[0]} ({'; '.join(diffs)}); "
                             "refusing to mix them")
    records = [trial for report in reports for trial in report["trials"]]
    keys = [(r["task"], r["trial"]) for r in records]
    if len(keys) != len(set(keys)):
        raise MergeError("the same trial appears in two reports: shards must not overlap")
    deselected = {task for report in reports for task in report["summary"].get("not_run", [])}
    verdicts = evaluate_all(gates, records, max_errors) if gates else []
    merged = build_report(records, first["agent"], first["options"]["repeat"], first["options"], deselected, (),
                          verdicts)
    return merged, verdicts

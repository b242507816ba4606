"""Merging the JSON reports of shard runs into the report a single run would give."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_ecom.gates import Gate, Verdict, evaluate_all
from pytest_ecom.reporting.json_report import REPORT_FORMAT, REPORT_VERSION, build_report


class MergeError(ValueError):
    pass


def _load(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise MergeError(f"{path}: cannot read it as a JSON report ({exc})") from None
    if report.get("format") != REPORT_FORMAT or report.get("version") != REPORT_VERSION:
        raise MergeError(f"{path}: not a pytest-ecom report of version {REPORT_VERSION}")
    return report


def _same_run(fingerprint: dict[str, Any]) -> dict[str, Any]:
    """What must agree between shards (each shard's task set is its own share)."""
    return {k: v for k, v in fingerprint.items() if k != "task_set"}


def merge_reports(paths: Sequence[Path], gates: Sequence[Gate] = (), max_errors: int | None = None
                  ) -> tuple[dict[str, Any], list[Verdict]]:
    reports = [_load(p) for p in paths]
    first = _same_run(reports[0]["fingerprint"])
    for path, report in zip(paths[1:], reports[1:], strict=True):
        if _same_run(report["fingerprint"]) != first:
            raise MergeError(f"{path} comes from a different run than {paths[0]} (agent, options or version "
                             f"differ: {_same_run(report['fingerprint'])} vs {first}); refusing to mix them")
    records = [trial for report in reports for trial in report["trials"]]
    keys = [(r["task"], r["trial"]) for r in records]
    if len(keys) != len(set(keys)):
        raise MergeError("the same trial appears in two reports: shards must not overlap")
    deselected = {task for report in reports for task in report["summary"].get("not_run", [])}
    verdicts = evaluate_all(gates, records, max_errors) if gates else []
    fp = reports[0]["fingerprint"]
    merged = build_report(records, fp["agent"], fp["options"]["repeat"], fp["options"], deselected, (), verdicts)
    return merged, verdicts

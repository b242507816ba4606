"""The versioned JSON report: fingerprint, summary, per-task table and every trial record."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pytest_ecom import __version__
from pytest_ecom.gates import Verdict
from pytest_ecom.scoring.summary import dedupe, summarize, task_set_digest, task_table

REPORT_FORMAT = "pytest-ecom/report"
REPORT_VERSION = 1


def build_report(records: list[dict[str, Any]], agent: str | None, repeat: int,
                 options: dict[str, Any], deselected: Iterable[str] = (),
                 selection: Iterable[str] = (), verdicts: Iterable[Verdict] = (),
                 not_started: Iterable[str] = ()) -> dict[str, Any]:
    records = dedupe(records)
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "fingerprint": {
            "pytest_ecom": __version__,
            "agent": agent,
            "options": options,
            "task_set": task_set_digest(records),
        },
        "summary": summarize(records, repeat, deselected, selection, not_started),
        "gates": [v.as_dict() for v in verdicts],
        "tasks": task_table(records),
        "trials": records,
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a report

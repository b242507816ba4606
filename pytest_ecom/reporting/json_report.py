"""Writing the JSON report (built by :mod:`pytest_ecom.results.report`)."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_ecom.results.report import Report


def write_report(path: Path, report: Report) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # records are clean (results/clean.py); backslashreplace keeps even a stray surrogate from losing the report
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8", errors="backslashreplace")
    tmp.replace(path)  # a reader never sees half a report

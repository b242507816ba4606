"""The versioned JSON report: the run's fingerprint, summary, gates, per-task table and every trial
record. Built here (a run, a merge of shards); read back, checked, by :func:`load_report`
(``pytest-ecom compare``, ``merge``, ``--ecom-baseline``). Its JSON Schema:
``pytest-ecom schema --report``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from typing_extensions import NotRequired, TypedDict  # pydantic reads these on Python 3.11 (the report schema)

from pytest_ecom.results.counts import dedupe, task_table
from pytest_ecom.results.fingerprint import run_fingerprint, task_set_digest
from pytest_ecom.results.gates import Verdict
from pytest_ecom.results.record import OUTCOMES, TrialRecord
from pytest_ecom.results.summary import summarize

REPORT_FORMAT = "pytest-ecom/report"
REPORT_VERSION = 1


class Fingerprint(TypedDict):
    pytest_ecom: str
    agent: str | None
    options: dict[str, Any]  # repeat, timeout, scoring and the models: what changes the trials
    task_set: str  # digest of the (task, file version) pairs run


class Report(TypedDict):
    format: Literal["pytest-ecom/report"]
    version: int
    fingerprint: Fingerprint
    summary: dict[str, Any]  # pass^k, pass@k, intervals, counts, incomplete and worst tasks, breakdowns
    gates: list[dict[str, Any]]
    tasks: dict[str, dict[str, Any]]  # per task: trials by outcome, failing dimensions
    trials: list[TrialRecord]
    budget: NotRequired[dict[str, Any]]
    baseline: NotRequired[dict[str, Any]]


def build_report(records: list[TrialRecord], agent: str | None, repeat: int,
                 options: dict[str, Any], deselected: Iterable[str] = (),
                 selection: Iterable[str] = (), verdicts: Iterable[Verdict] = (),
                 not_started: Iterable[str] = ()) -> Report:
    records = dedupe(records)
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "fingerprint": {**run_fingerprint(agent, options), "task_set": task_set_digest(records)},  # type: ignore[typeddict-item]
        "summary": summarize(records, repeat, deselected, selection, not_started),
        "gates": [v.as_dict() for v in verdicts],
        "tasks": task_table(records),
        "trials": records,
    }


TRANSCRIPTS = ("failed", "all")  # --ecom-transcripts


def keep_transcripts(records: Iterable[TrialRecord], which: str = "failed") -> list[TrialRecord]:
    """The records as a report keeps them: with ``which="failed"``, a passing trial's transcript
    and every trial's trajectory are left out (the report stays the size it always was; the
    ``--ecom-log`` file keeps them all); with ``"all"``, every trial keeps both. Never edits the
    records it is given (the log and the resume read the same ones)."""
    if which == "all":
        return list(records)
    out = []
    for record in records:
        kept = {k: v for k, v in record.items() if k != "trajectory"}
        if record["outcome"] == "pass":
            kept["transcript"] = None
        out.append(kept)  # type: ignore[arg-type]
    return out


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of a report of this version (``pytest-ecom schema --report``)."""
    from pydantic import TypeAdapter  # only this command needs it

    schema = TypeAdapter(Report).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:pytest-ecom:schema:report:v{REPORT_VERSION}"  # as spec/schema.py names the others
    schema["title"] = f"pytest-ecom report ({REPORT_FORMAT}, version {REPORT_VERSION})"
    return schema


TRIAL_FIELDS = {"task": str, "trial": int, "repeat": int, "outcome": str, "task_digest": str, "dimensions": dict,
                "tags": list}


class ReportError(ValueError):
    """A report that cannot be read, or two runs that cannot be compared."""


def load_report(path: Path) -> Report:
    """A JSON report (``--ecom-report``), checked enough to compare it; errors name the file."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(report, dict) or report.get("format") != REPORT_FORMAT:
        raise ReportError(f"{path}: not a pytest-ecom report (written with --ecom-report)")
    if report.get("version") != REPORT_VERSION:
        raise ReportError(f"{path}: a report of version {report.get('version')!r}; this pytest-ecom reads "
                          f"version {REPORT_VERSION}")
    options = (report.get("fingerprint") or {}).get("options") if isinstance(report.get("fingerprint"), dict) else None
    if not isinstance(options, dict) or not isinstance(options.get("repeat"), int):
        raise ReportError(f"{path}: the report has no fingerprint with the run's options")
    trials = report.get("trials")
    if not isinstance(trials, list):
        raise ReportError(f"{path}: the report has no list of trials")
    for number, trial in enumerate(trials, 1):
        problem = _trial_problem(trial)
        if problem:
            raise ReportError(f"{path}: trial #{number} of the report {problem}")
    return report


def _trial_problem(trial: Any) -> str | None:
    if not isinstance(trial, dict):
        return "is not an object"
    for name, kind in TRIAL_FIELDS.items():
        if not isinstance(trial.get(name), kind):
            return f"lacks {name!r}"
    if "scenario" not in trial:
        return "lacks 'scenario'"
    if trial["outcome"] not in OUTCOMES:
        return f"has an unknown outcome {trial['outcome']!r}"
    return None

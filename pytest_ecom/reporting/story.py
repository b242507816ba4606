"""A failed or errored trial's story: what differed, the last turns, and how to rerun it alone."""

from __future__ import annotations

import json
from typing import Any

from pytest_ecom.reporting.transcript import speaker
from pytest_ecom.results.record import TrialRecord

LAST_TURNS = 8


def explain(record: TrialRecord, rerun: str) -> str:
    """The story of a trial that did not pass; ``rerun`` is the command that reruns it."""
    lines = []
    if record["outcome"] == "error":
        err = record["error"]
        assert err is not None
        lines.append(f"trial error ({err['source']}): {err['message']}")
        if err.get("traceback"):
            lines += ["  " + line for line in err["traceback"].splitlines()]
        lines.append("errors are not agent failures: they are reported apart and left out of pass^k")
    elif record.get("kind") == "sample":
        verdicts = record.get("verdicts") or {}
        reference = verdicts.get("reference")
        also = "" if reference is None else f"; the reference rule says {'pass' if reference else 'fail'}"
        lines.append(f"sample failed ({record['stage']} / {record['task_type']}, ended by {record['end_reason']}{also})")
    else:
        lines.append(f"trial failed (ended by {record['end_reason']}, {record['turns']} customer turns, "
                     f"{record['tool_calls']} tool calls)")
        if record["end_reason"] == "timeout":
            lines.append("  the trial ran out of time (the task's limits.timeout_s): give a slow model more with "
                         "--ecom-timeout=SECONDS")
    if record["outcome"] != "error":
        for name, dim in record["dimensions"].items():
            verdict = {True: "ok", False: "FAILED", None: "not checked"}[dim["passed"]]
            lines.append(f"  {name}: {verdict}")
            for problem in dim.get("problems", []):
                first, *rest = problem.splitlines() or [""]
                lines += [f"    - {first}"] + [f"      {line}" for line in rest]
    transcript = record.get("transcript") or []
    if transcript:
        lines.append(f"last turns ({min(len(transcript), LAST_TURNS)} of {len(transcript)}):")
        for entry in transcript[-LAST_TURNS:]:
            lines.append("  " + turn_line(entry))
    lines.append(f"rerun this trial: {rerun}")
    return "\n".join(lines)


def turn_line(entry: dict[str, Any]) -> str:
    """One transcript entry on one line."""
    if entry["role"] == "tool":
        mark = "" if entry.get("ok", True) else " (error)"
        return f"{speaker(entry)}{mark} → {_clip(entry['content'])}"
    if entry.get("tool_calls"):
        calls = ", ".join(f"{c['function']['name']}({_clip(c['function']['arguments'], 80)})" for c in entry["tool_calls"])
        return f"agent calls {calls}"
    who = speaker(entry)
    if entry.get("fault"):  # the simulated customer's faulty message (users/faults.py)
        who += f" ({entry['fault']})"
    return f"{who}: {_clip(entry.get('content') or '')}"


def _clip(text: Any, width: int = 160) -> str:
    text = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"

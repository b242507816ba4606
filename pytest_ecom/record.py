"""The trial record: one compact, versioned, JSON-safe dict per finished trial.

Records travel from xdist workers to the controller on the test report and
are the only input of every summary and report.
"""

from __future__ import annotations

from typing import Any

from pytest_ecom.runner.trial import TrialRun
from pytest_ecom.scoring.checks import Dimension
from pytest_ecom.scoring.trial import reward

RECORD_VERSION = 1
LAST_TURNS = 8


def make_record(run: TrialRun, repeat: int, dimensions: list[Dimension] | None,
                reference: bool | None = None, scoring: str = "default",
                reference_checks: dict[str, bool] | None = None) -> dict[str, Any]:
    """Build the record of a scored trial (``dimensions``) or of an errored one (``run.error``).

    ``reference`` is the reference benchmark's verdict (ECom-Bench's reward for end-to-end
    tasks, with its ``reference_checks``; EComStage's rule for label samples); with
    ``scoring="reference"`` it decides the outcome.
    """
    traj = run.trajectory
    verdicts = None
    if run.error is not None:
        outcome = "error"
    else:
        assert dimensions is not None
        ours = bool(reward(dimensions))
        verdicts = {"default": ours, "reference": reference}
        if reference_checks is not None:
            verdicts["reference_checks"] = reference_checks
        decisive = reference if scoring == "reference" and reference is not None else ours
        outcome = "pass" if decisive else "fail"
    record: dict[str, Any] = {
        "version": RECORD_VERSION,
        "task": run.task.id,
        "task_digest": run.task.digest,
        **run.task.record_fields(),
        "trial": run.trial,
        "repeat": repeat,
        "seed": run.seed,
        "outcome": outcome,
        "dimensions": {d.name: d.as_dict() for d in dimensions or []},
        "verdicts": verdicts,
        "error": None if run.error is None else {"source": run.error.source, "message": run.error.message,
                                                 "traceback": run.error.detail},
        "end_reason": traj.end_reason,
        "turns": traj.turns,
        "tool_calls": len(traj.calls),
        "timings": {k: round(v, 6) for k, v in traj.timings.items()},
        # model usage per role (agent, customer, judge, vision); cost None when unknown
        "tokens": run.meter.tokens() if run.meter is not None else None,
        "cost_usd": _rounded(run.meter.cost_usd) if run.meter is not None and run.meter.roles else None,
    }
    # Passing trials stay compact; a failure or error keeps its conversation to explain itself.
    record["transcript"] = None if outcome == "pass" else [{k: v for k, v in e.items() if v is not None} for e in traj.transcript]
    return record


def _rounded(cost: float | None) -> float | None:
    return None if cost is None else round(cost, 8)


def properties(record: dict[str, Any]) -> list[tuple[str, str]]:
    """The record's headline as (name, value) pairs: junit XML ``<property>`` elements."""
    out = [("ecom.outcome", record["outcome"]), ("ecom.seed", str(record["seed"])),
           ("ecom.trial", f"{record['trial']}/{record['repeat']}")]
    verdict = {True: "pass", False: "fail", None: "not checked"}
    out += [(f"ecom.{name}", verdict[d["passed"]]) for name, d in record["dimensions"].items()]
    if record["error"]:
        out.append(("ecom.error", f"{record['error']['source']}: {record['error']['message']}"))
    return out


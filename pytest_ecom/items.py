"""The trial item: a thin view over the core.

The episode runs in setup (a harness error shows as pytest ERROR), scoring in
runtest (a wrong answer shows as FAILED with what differed, the last turns and
a command that reruns exactly this trial).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from collections.abc import Coroutine
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import ReprEntryNative, ReprExceptionInfo, ReprFileLocation, ReprTraceback

from pytest_ecom import metering
from pytest_ecom.budget import Budget
from pytest_ecom.prepare import PreparedTask
from pytest_ecom.record import LAST_TURNS, make_record
from pytest_ecom.runner import EpisodeError, TrialRun, run_trial
from pytest_ecom.runner.episode import short_traceback
from pytest_ecom.trajectory import Trajectory
from pytest_ecom.samples import PreparedSample, run_sample, score_sample
from pytest_ecom.scoring.checks import Dimension
from pytest_ecom.scoring.trial import reference_trajectory_checks, score_trajectory
from pytest_ecom.session import STATE


class TrialError(Exception):
    """The trial could not be run to the end (harness, provider, customer or agent crash)."""


class TrialFailed(Exception):
    """The agent's trial was scored and failed."""


class TrialItem(pytest.Item):
    def __init__(self, *, prepared: PreparedTask | PreparedSample, trial: int, repeat: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prepared = prepared
        self.trial = trial
        self.repeat = repeat
        self.run: TrialRun | None = None
        self.record: dict[str, Any] | None = None
        self.not_run: str | None = None  # why the trial was not started ("budget")

    def setup(self) -> None:
        state = self.config.stash[STATE]
        siblings = state.siblings.get(self.prepared.id, ())
        settings = state.settings
        run = (partial(run_sample, models=settings.models) if isinstance(self.prepared, PreparedSample)
               else partial(run_trial, user=settings.customer_model))
        budget = state.budget

        def start(index: int) -> Coroutine[Any, Any, TrialRun]:
            if budget is None:
                return run(self.prepared, state.agent, index, state.agent_options, settings.timeout)
            if budget.exhausted():  # checked as each trial is about to start
                return _not_run(self.prepared, index, budget.reason())
            return _billed(run(self.prepared, state.agent, index, state.agent_options, settings.timeout), budget)

        self.run = state.pool.get(self.prepared.id, self.trial, start, siblings)
        if self.run.error is not None and self.run.error.source == NOT_RUN:
            self.not_run = "budget"
            pytest.skip(self.run.error.message)
        if self.run.error is not None:
            self.record = make_record(self.run, self.repeat, None)
            raise TrialError(self.run.error.message)

    def runtest(self) -> None:
        assert self.run is not None
        try:
            dimensions, reference, checks = self._score(self.run)
        except Exception as exc:  # a bug of ours must not make the trial vanish from the report
            error = EpisodeError("scoring", f"{type(exc).__name__}: {exc}", self.run.trajectory, short_traceback())
            self.run = replace(self.run, error=error)
            self.record = make_record(self.run, self.repeat, None)
            raise TrialError(error.message) from exc
        scoring = self.config.stash[STATE].settings.scoring
        self.record = make_record(self.run, self.repeat, dimensions, reference, scoring, checks)
        if self.record["outcome"] != "pass":
            raise TrialFailed()

    def _score(self, run: TrialRun) -> tuple[list[Dimension], bool | None, dict[str, bool] | None]:
        """Our dimensions, the reference benchmark's verdict and, for a task, its checks."""
        if isinstance(self.prepared, PreparedSample):
            models = self.config.stash[STATE].settings.models
            answer, reference = score_sample(self.prepared, run.trajectory, models)
            return [answer], reference, None
        checks = reference_trajectory_checks(self.prepared, run.trajectory)
        return score_trajectory(self.prepared, run.trajectory), all(checks.values()), checks

    def teardown(self) -> None:
        self.run = None  # the trajectory is not needed once the record exists

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, (TrialFailed, TrialError)) and self.record is not None:
            settings = self.config.stash[STATE].settings
            here = Path(os.path.relpath(self.path, self.config.invocation_params.dir)).as_posix()
            story = explain(self.record, settings.rerun_command(f"{here}::{self.name}"))
            return story_repr(story, here)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, 0, f"trial {self.name}"


NOT_RUN = "not_run"  # the error source of a trial the budget kept from starting


async def _not_run(prepared: PreparedTask | PreparedSample, trial: int, why: str) -> TrialRun:
    return TrialRun(prepared, trial, 0, Trajectory(end_reason="not_run"), EpisodeError(NOT_RUN, why, Trajectory()))


async def _billed(trial: Coroutine[Any, Any, TrialRun], budget: Budget) -> TrialRun:
    """Run the trial, then put what its episode cost on the run's ledger at once."""
    run = await trial
    budget.bill(metering.current())
    return run


def story_repr(story: str, path: str) -> ReprExceptionInfo:
    """The trial's story as pytest's own failure representation.

    A plain string would be repeated whole in the short test summary on CI machines
    (pytest does not trim it there); this shape keeps the summary to the story's first
    line, and xdist carries it from workers to the controller unchanged.
    """
    headline = story.split("\n", 1)[0]
    entry = ReprEntryNative([story if story.endswith("\n") else story + "\n"])
    return ReprExceptionInfo(ReprTraceback([entry], None, "native"), ReprFileLocation(path, 0, headline))


def explain(record: dict[str, Any], rerun: str) -> str:
    """What differed, the last turns, and how to rerun this trial alone."""
    lines = []
    if record["outcome"] == "error":
        err = record["error"]
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
            lines.append("  " + _turn_line(entry))
    lines.append(f"rerun this trial: {rerun}")
    return "\n".join(lines)


def _turn_line(entry: dict[str, Any]) -> str:
    role = entry["role"]
    if role == "tool":
        mark = "" if entry.get("ok", True) else " (error)"
        return f"tool {entry.get('name')}{mark} → {_clip(entry['content'])}"
    if entry.get("tool_calls"):
        calls = ", ".join(f"{c['function']['name']}({_clip(c['function']['arguments'], 80)})" for c in entry["tool_calls"])
        return f"agent calls {calls}"
    who = {"user": "customer", "assistant": "agent"}.get(role, role)
    if entry.get("fault"):  # the simulated customer's faulty message (users/faults.py)
        who += f" ({entry['fault']})"
    return f"{who}: {_clip(entry.get('content') or '')}"


def _clip(text: Any, width: int = 160) -> str:
    text = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"

"""The one function that runs a trial and scores it into its record.

The pytest item, the benchmarks and a user's own script all call :func:`run_trial`:
what a trial is (task or sample), what it costs against a budget, which rule decides its
outcome and what its record holds is decided here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_ecom.agents import AgentSpec, as_agent_spec, resolve_agent
from pytest_ecom.models.budget import Budget
from pytest_ecom.models.metering import metering
from pytest_ecom.prepare.sample import PreparedSample, load_prepared_sample
from pytest_ecom.prepare.task import PreparedTask, load_prepared
from pytest_ecom.results.clean import clean
from pytest_ecom.results.record import RECORD_VERSION, TrialRecord
from pytest_ecom.runner.episode import EpisodeError, describe, short_traceback
from pytest_ecom.runner.sample import run_sample
from pytest_ecom.runner.score import (PROCEDURE, reference_trajectory_checks, reward, reward_without_procedure,
                                     score_sample, score_trajectory)
from pytest_ecom.runner.trial import CUSTOMER_RETRIES, TrialRun, run_task, trial_seed
from pytest_ecom.scoring.checks import Dimension
from pytest_ecom.scoring.model_scorers import ScoringModels
from pytest_ecom.spec.samples import SAMPLE_SUFFIX
from pytest_ecom.trajectory import Trajectory, trajectory_record
from pytest_ecom.users.llm_customer import CustomerModel

Unit = PreparedTask | PreparedSample  # what a trial runs: an end-to-end task or a stage-wise sample
NOT_RUN = "not_run"  # the error source of a trial the budget kept from starting


@dataclass(frozen=True)
class TrialSettings:
    """What a trial depends on besides its unit, agent and index (the run-wide options)."""

    timeout_s: float | None = None  # overrides the task's limits.timeout_s
    scoring: str = "default"  # whose verdict decides the outcome: ours, or "reference"
    models: ScoringModels = ScoringModels()  # embedding and judge models of free-text samples
    customer: CustomerModel | None = None  # the model playing the customer; None: the task's script
    customer_retries: int = CUSTOMER_RETRIES  # reruns of a trial whose customer model was at fault
    agent_options: Mapping[str, Any] = field(default_factory=dict)  # the agent's context.options
    mcp: bool = False  # serve each trial's tools over MCP (--ecom-mcp); an MCP agent gets them so anyway


def load_unit(path: str | Path) -> Unit:
    """A ``*.task.yaml`` or ``*.sample.yaml`` file, checked and prepared."""
    path = Path(path)
    return load_prepared_sample(path) if path.name.endswith(SAMPLE_SUFFIX) else load_prepared(path)


async def run_trial(unit: Unit | str | os.PathLike[str], agent: AgentSpec | str | Callable[..., Any],
                    trial: int = 1, *, repeat: int = 1, settings: TrialSettings = TrialSettings(),
                    budget: Budget | None = None) -> TrialRecord:
    """Run trial ``trial`` of ``unit`` (a prepared unit or a task/sample file) with ``agent`` (an
    :class:`AgentSpec`, a registered name such as ``"oracle"``, or an agent callable) and return
    its scored record.

    Never raises for a failure of the agent, customer, provider or harness: the record's
    ``outcome`` is ``error`` with the reason. With a ``budget`` that is spent, the trial does not
    start: an error record with source ``not_run``.
    """
    if not isinstance(unit, (PreparedTask, PreparedSample)):
        unit = load_unit(unit)
    spec = resolve_agent(agent) if isinstance(agent, str) else as_agent_spec(getattr(agent, "__name__", "agent"), agent)
    if budget is not None and not budget.reserve((unit.id, trial)):  # holds its expected cost, or refuses
        return make_record(_not_run(unit, trial, budget.reason()), repeat, None)
    with metering(unit.id, trial) as meter:  # the trial's model calls count on its own meter
        try:
            if isinstance(unit, PreparedSample):
                run = await run_sample(unit, spec, trial, settings.agent_options, settings.timeout_s, settings.models)
            else:
                run = await run_task(unit, spec, trial, settings.agent_options, settings.timeout_s, settings.customer,
                                     settings.customer_retries, mcp=settings.mcp)
        except Exception as exc:  # a bug of ours (the episode sorts out whatever the agent does): kept, as an error
            failed = Trajectory(end_reason="error")
            run = TrialRun(unit, trial, trial_seed(unit.id, trial), failed,
                           EpisodeError("harness", describe(exc), failed, short_traceback()))
    run = replace(run, meter=meter)
    if budget is not None:
        budget.bill(meter)  # its real cost replaces what it held, at once, so the next trial to start sees it
    return score_run(run, repeat, settings)


def score_run(run: TrialRun, repeat: int = 1, settings: TrialSettings = TrialSettings()) -> TrialRecord:
    """A finished trial's record: its trajectory scored by today's rules (or its error kept).

    :func:`run_trial` calls it once the episode is over, and ``pytest-ecom rescore`` calls it on a
    logged trajectory: a logged trial is scored again exactly as a new one is. Scoring never calls
    an agent or a customer; a free-text sample's model-given figures are read from the trajectory.
    """
    if run.error is not None:
        return make_record(run, repeat, None)
    try:
        dimensions, reference, checks = _score(run.task, run.trajectory, settings.models)
    except Exception as exc:  # a bug of ours must not make the trial vanish from the report
        error = EpisodeError("scoring", describe(exc), run.trajectory, short_traceback())
        return make_record(replace(run, error=error), repeat, None)
    return make_record(run, repeat, dimensions, reference, settings.scoring, checks)


def _score(unit: Unit, traj: Trajectory, models: ScoringModels
           ) -> tuple[list[Dimension], bool | None, dict[str, bool] | None]:
    """Our dimensions, the reference benchmark's verdict and, for a task, its checks."""
    if isinstance(unit, PreparedSample):
        answer, reference = score_sample(unit, traj, models)
        return [answer], reference, None
    checks = reference_trajectory_checks(unit, traj)
    return score_trajectory(unit, traj), all(checks.values()), checks


def _not_run(unit: Unit, trial: int, why: str) -> TrialRun:
    return TrialRun(unit, trial, 0, Trajectory(end_reason=NOT_RUN), EpisodeError(NOT_RUN, why, Trajectory()))


def make_record(run: TrialRun, repeat: int, dimensions: list[Dimension] | None,
                reference: bool | None = None, scoring: str = "default",
                reference_checks: dict[str, bool] | None = None) -> TrialRecord:
    """The record of a scored trial (``dimensions``) or of an errored one (``run.error``).

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
        if any(d.name == PROCEDURE for d in dimensions):  # ECom-Bench's dimensions alone, for published numbers
            verdicts["without_procedure"] = bool(reward_without_procedure(dimensions))
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
        "failed_calls": sum(not c.ok for c in traj.calls),
        "timings": {k: round(v, 6) for k, v in traj.timings.items()},
        "tokens": run.meter.tokens() if run.meter is not None else None,
        "cost_usd": _rounded(run.meter.cost_usd) if run.meter is not None and run.meter.roles else None,
    }
    if isinstance(run.task, PreparedTask):  # the trial's path next to the golden one's
        record["golden"] = {"tool_calls": run.task.golden_calls, "turns": len(run.task.task.customer.script),
                            "max_tool_calls": run.task.max_tool_calls}
    if run.customer is not None:  # a model played the customer: its figures, and its faulty attempts
        record["customer"] = run.customer
        if run.customer_attempts:
            record["customer_attempts"] = list(run.customer_attempts)
    # Every trial keeps its conversation and its trajectory: the log holds them all, so any trial can
    # be audited and scored again (`pytest-ecom rescore`); the JSON report keeps only the failures'
    # unless --ecom-transcripts=all (results/report.py: ``keep_transcripts``).
    record["transcript"] = [{k: v for k, v in e.items() if v is not None} for e in traj.transcript]
    record["trajectory"] = trajectory_record(traj)
    return clean(record)  # whatever the agent, customer, tools or provider said: safe to write anywhere


def _rounded(cost: float | None) -> float | None:
    return None if cost is None else round(cost, 8)

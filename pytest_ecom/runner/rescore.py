"""Scoring logged trials again: ``pytest-ecom rescore run.jsonl [--tasks DIR]``.

Each trial of an ``--ecom-log`` file carries its trajectory (the conversation, the calls, the
replies, the store it left). After a task is fixed (a phrase reworded, a golden call corrected)
or the rules change, its logged trials are scored with today's task file and rules by
:func:`~pytest_ecom.runner.run.score_run`, the function a run scores a finished trial with, so a
rescored trial gets exactly the verdict a new run with the same conversation would. No agent,
customer or model is called; litellm is not imported.

Trials whose task file changed since they ran are scored (that is the point) and flagged: the
conversation was held against the old file, so a customer script or a goal that changed is not
what the agent heard. Errors (nothing to score) and records without a trajectory (an older log)
are kept as they were.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_ecom.prepare.persona_grid import PersonaVariant, variant_task
from pytest_ecom.prepare.task import PreparedTask
from pytest_ecom.results.log import LoggedRun
from pytest_ecom.results.record import TrialRecord
from pytest_ecom.runner.run import TrialSettings, Unit, load_unit, score_run
from pytest_ecom.runner.trial import TrialRun
from pytest_ecom.scoring.model_scorers import ScoringModels
from pytest_ecom.spec import SpecError
from pytest_ecom.spec.task_files import task_files_under, task_id_in
from pytest_ecom.trajectory import trajectory_from_record



@dataclass
class Rescored:
    """The records scored again, and what a reader must know about them."""

    records: list[TrialRecord] = field(default_factory=list)
    rescored: int = 0  # trials scored again
    changed: dict[str, int] = field(default_factory=dict)  # task id -> its trials whose task file changed since
    kept: Counter[str] = field(default_factory=Counter)  # why a trial kept its logged verdict -> trials
    flips: list[tuple[str, int, str, str]] = field(default_factory=list)  # (task, trial, outcome then, now)
    problems: list[str] = field(default_factory=list)  # task files that cannot be read


def task_files(folder: Path, problems: list[str] | None = None) -> dict[str, Path]:
    """Task and sample ids → their files under ``folder``, found as collection finds them (the
    ``id:`` line of each task file; folders pytest skips are skipped). An id held by two files is
    noted in ``problems`` and scored with neither: which one the run used is unknown."""
    held: dict[str, list[Path]] = {}
    for path in task_files_under(folder):
        task_id = task_id_in(path)
        if task_id is not None:
            held.setdefault(task_id, []).append(path)
    for task_id, paths in held.items():
        if len(paths) > 1 and problems is not None:
            problems.append(f"task id {task_id!r} is used by {len(paths)} files: {', '.join(map(str, paths))}")
    return {task_id: paths[0] for task_id, paths in held.items() if len(paths) == 1}


def settings_of(fingerprint: dict[str, Any]) -> TrialSettings:
    """What scoring took from the run's options: the deciding rule and the scoring models' names
    (a free-text sample's model-given figures are in its trajectory: no model is called)."""
    options = fingerprint.get("options") or {}
    models = ScoringModels(embedding_model=options.get("embedding_model"), judge_model=options.get("judge_model"))
    return TrialSettings(scoring=str(options.get("scoring") or "default"), models=models)


def rescore(run: LoggedRun, tasks: Path) -> Rescored:
    """Every record of ``run`` scored again with the task files under ``tasks``."""
    out = Rescored()
    files = task_files(tasks, out.problems)
    settings = settings_of(run.fingerprint)
    units: dict[str, Unit | None] = {}
    for record in run.records:
        base_id = record.get("base_task") or record["task"]
        if base_id not in units:
            units[base_id] = _load(files.get(base_id), out)
        unit = units[base_id]
        if record["outcome"] == "error":
            why = "errors (nothing to score)"
        elif not isinstance(record.get("trajectory"), dict):
            why = "no trajectory in the log (logged by an older pytest-ecom)"
        elif unit is None:
            why = f"no valid task file with their id under {tasks}"
        else:
            why = ""
        if why:
            out.kept[why] += 1
            out.records.append(record)
            continue
        assert unit is not None
        variant = record.get("persona_variant")
        if variant and isinstance(unit, PreparedTask):
            unit = variant_task(unit, PersonaVariant(tuple(variant.items())))
        new = rescore_record(record, unit, settings)
        out.rescored += 1
        if record["task_digest"] != unit.digest:
            out.changed[record["task"]] = out.changed.get(record["task"], 0) + 1
        if new["outcome"] != record["outcome"]:
            out.flips.append((record["task"], record["trial"], record["outcome"], new["outcome"]))
        out.records.append(new)
    return out


def _load(path: Path | None, out: Rescored) -> Unit | None:
    if path is None:
        return None
    try:
        return load_unit(path)
    except SpecError as exc:
        out.problems.append(exc.format(Path.cwd()))
        return None


def rescore_record(record: TrialRecord, unit: Unit, settings: TrialSettings = TrialSettings()) -> TrialRecord:
    """One logged trial scored again: its trajectory rebuilt (on a fresh store of ``unit``), then
    scored by :func:`score_run`. What scoring does not decide (tokens, cost, timings, the customer's
    figures) is the logged trial's."""
    store = unit.new_store() if isinstance(unit, PreparedTask) else None
    traj = trajectory_from_record(record["trajectory"], store, record.get("transcript"), record.get("timings"))
    run = TrialRun(unit, record["trial"], record["seed"], traj, customer=record.get("customer"),
                   customer_attempts=tuple(record.get("customer_attempts") or ()))
    new = score_run(run, record["repeat"], settings)
    new.update({"tokens": record.get("tokens"), "cost_usd": record.get("cost_usd"),  # type: ignore[typeddict-item]
                "timings": record.get("timings", new["timings"])})
    return new


def rescore_lines(result: Rescored, log: Path) -> list[str]:
    """What ``pytest-ecom rescore`` prints after the run's summary."""
    lines = [f"rescored {result.rescored} of {len(result.records)} logged trial(s) from {log}"]
    for why, count in sorted(result.kept.items()):
        lines.append(f"  kept as logged: {count} trial(s): {why}")
    if result.changed:
        lines.append(f"task file changed since the run: {len(result.changed)} task(s), scored with today's file "
                     "(the conversation was held with the old one):")
        lines += [f"  {task} ({n} trial(s))" for task, n in sorted(result.changed.items())]
    if result.flips:
        lines.append(f"{len(result.flips)} trial(s) changed outcome:")
        lines += [f"  {task} [{trial}]: {then} -> {now}" for task, trial, then, now in result.flips]
    else:
        lines.append("no trial changed outcome")
    lines += result.problems
    return lines

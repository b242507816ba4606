"""Aggregating trial records into the run's summary (controller side only)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from pytest_ecom.models.metering import RoleUsage
from pytest_ecom.results.ablation import ablation
from pytest_ecom.results.counts import dedupe, headline, task_counts, task_table
from pytest_ecom.results.passk import estimate, per_task
from pytest_ecom.results.record import OUTCOMES, TrialRecord, is_task
from pytest_ecom.results.stats import LEVEL, RESAMPLES, SEED, bootstrap_mean



STAGE_ORDER = {"end_to_end": 0, "perception": 1, "planning": 2, "action": 3}


def _group_key(r: TrialRecord) -> tuple[str, str, str]:
    return r.get("stage", "end_to_end"), r.get("orientation", "customer"), r.get("task_type", "conversation")


def breakdown(records: list[TrialRecord], k: int) -> list[dict[str, Any]]:
    """Accuracy (passed / scored trials, by whichever rule decided: ``--ecom-scoring``) and pass^k
    per stage × orientation × task type, next to our rule's accuracy and the reference benchmark's
    where it has a verdict, and for free-text samples EComStage's own figures: the mean embedding
    similarity and the mean judge score (0–2), and how many verdicts came from the offline
    approximation instead.
    """
    groups: dict[tuple[str, str, str], list[TrialRecord]] = {}
    for r in records:
        groups.setdefault(_group_key(r), []).append(r)
    rows = []
    for key in sorted(groups, key=lambda g: (STAGE_ORDER.get(g[0], 9), g[1], g[2])):
        rs = groups[key]
        scored = [r for r in rs if r["outcome"] != "error"]
        ours = [r["verdicts"]["default"] for r in scored if r.get("verdicts")]
        refs = [r["verdicts"]["reference"] for r in scored
                if (r.get("verdicts") or {}).get("reference") is not None]
        answers = [r["dimensions"].get("answer", {}).get("detail") or {} for r in scored]
        est = estimate(task_counts(rs), k)
        rows.append({
            "stage": key[0], "orientation": key[1], "task_type": key[2], "items": len({r["task"] for r in rs}),
            "trials": len(rs), "errors": len(rs) - len(scored),
            "accuracy": _mean([r["outcome"] == "pass" for r in scored]),  # by the rule that decided
            "default_accuracy": _mean(ours),
            f"pass_hat_{k}": est.value, "incomplete": list(est.incomplete),
            "reference_accuracy": _mean(refs),
            "similarity_mean": _mean([a["similarity"] for a in answers if "similarity" in a]),
            "judge_mean": _mean([a["judge"] for a in answers if "judge" in a]),
            "approximate": sum(bool(a.get("approximate")) for a in answers),
        })
    return rows


def _mean(values: list[float] | list[bool]) -> float | None:
    return round(sum(values) / len(values), 6) if values else None


def scenario_view(records: list[TrialRecord]) -> dict[str, dict[str, float | None]]:
    """Per scenario that has end-to-end tasks and stage-wise samples: accuracy per stage, side by side."""
    by_scenario: dict[str, dict[str, list[bool]]] = {}
    for r in records:
        if r.get("scenario") and r["outcome"] != "error":
            by_scenario.setdefault(r["scenario"], {}).setdefault(r.get("stage", "end_to_end"), []).append(
                r["outcome"] == "pass")
    return {
        scenario: {stage: sum(v) / len(v) for stage, v in sorted(stages.items(), key=lambda s: STAGE_ORDER.get(s[0], 9))}
        for scenario, stages in sorted(by_scenario.items())
        if "end_to_end" in stages and len(stages) > 1
    }


def rules_compared(records: list[TrialRecord], k: int) -> dict[str, Any] | None:
    """pass^1..pass^k under our rules and under the reference benchmark's, for the end-to-end
    trials that have both verdicts, and the trials where the two disagree."""
    both = [r for r in records if r["outcome"] != "error" and (r.get("verdicts") or {}).get("reference") is not None]
    if not both:
        return None
    out: dict[str, Any] = {}
    for rule in ("default", "reference"):
        counts = task_counts(both, lambda r, rule=rule: bool(r["verdicts"][rule]))  # type: ignore[index]
        out[rule] = {str(j): estimate(counts, j).value for j in range(1, k + 1)}
    three = [r for r in both if "without_procedure" in r["verdicts"]]
    if three:  # ECom-Bench's dimensions alone (state × searches × outputs): published numbers stay comparable
        counts = task_counts(three, lambda r: bool(r["verdicts"]["without_procedure"]))  # type: ignore[typeddict-item]
        out["without_procedure"] = {str(j): estimate(counts, j).value for j in range(1, k + 1)}
        out["procedure_only_failures"] = sum(1 for r in three if r["verdicts"]["without_procedure"]
                                             and not r["verdicts"]["default"])
    differ = [r for r in both if r["verdicts"]["default"] != r["verdicts"]["reference"]]
    out["differ"] = len(differ)
    out["differing_tasks"] = sorted({r["task"] for r in differ})
    return out


def efficiency(records: list[TrialRecord]) -> dict[str, Any] | None:
    """Per scored end-to-end trial, on average: tool calls, failed calls and customer turns, next to
    the golden path's calls and turns; and the trials that hit their tool budget."""
    scored = [r for r in records if is_task(r) and r["outcome"] != "error" and "golden" in r]
    if not scored:
        return None

    def mean(values: list[int]) -> float:
        return round(sum(values) / len(values), 3)

    return {"trials": len(scored), "tool_calls": mean([r["tool_calls"] for r in scored]),
            "failed_calls": mean([r.get("failed_calls", 0) for r in scored]),
            "turns": mean([r["turns"] for r in scored]),
            "golden_tool_calls": mean([r["golden"]["tool_calls"] for r in scored]),  # type: ignore[typeddict-item]
            "golden_turns": mean([r["golden"]["turns"] for r in scored]),  # type: ignore[typeddict-item]
            "over_budget": sum(r["end_reason"] == "tool_budget" for r in scored)}


INTERVALS_UP_TO = 10  # beyond it, only pass^K's interval: each k costs a bootstrap


def pass_hat_intervals(counts: dict[str, tuple[int, int]], k_max: int) -> dict[str, dict[str, Any] | None]:
    """The bootstrap interval (over tasks) of pass^k for k = 1..10 and k = k_max; None where no
    task has k trials."""
    out: dict[str, dict[str, Any] | None] = {}
    for k in sorted({*range(1, min(k_max, INTERVALS_UP_TO) + 1), k_max}):
        found = bootstrap_mean(list(per_task(counts, k).values()))
        out[str(k)] = None if found is None else {"low": round(found.low, 6), "high": round(found.high, 6),
                                                  "tasks": found.tasks}
    return out


INTERVAL_METHOD = {"method": "percentile bootstrap over tasks", "level": LEVEL, "resamples": RESAMPLES, "seed": SEED}


def usage_totals(records: list[TrialRecord]) -> dict[str, Any] | None:
    """Model calls, tokens and cost per role over all trials, the total cost and the cost per
    passed trial (costs are None, "unknown", as soon as one call had no known price)."""
    metered = [r for r in records if r.get("tokens")]
    if not metered:
        return None
    roles: dict[str, RoleUsage] = {}
    for r in metered:
        for role, used in r["tokens"].items():
            roles.setdefault(role, RoleUsage()).add_recorded(used)
    costs = [u.cost_usd for u in roles.values()]
    cost = None if any(c is None for c in costs) else round(sum(costs), 8)  # type: ignore[arg-type]
    passes = sum(r["outcome"] == "pass" for r in records)
    return {"roles": {role: roles[role].as_dict() for role in sorted(roles)}, "cost_usd": cost,
            "cost_per_pass_usd": round(cost / passes, 8) if cost is not None and passes else None}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def persona_key(r: TrialRecord) -> str:
    """A trial's persona: its id, with a persona-grid variant's values (``calm_clear@angry-low``)."""
    base = r.get("persona") or "-"
    variant = r.get("persona_variant")
    return f"{base}@{'-'.join(variant.values())}" if variant else base


def customer_quality(records: list[TrialRecord]) -> dict[str, Any] | None:
    """How the model playing the customer did (trials with a ``customer`` figure: ``--user-model``):
    its faults over every conversation it had (the retried attempts' too), by kind, by task and by
    persona (a task whose customer keeps failing is a task to fix); the trials re-run and
    recovered; turns per counted conversation; its unoffered confirmations. None without one."""
    played = [r for r in records if is_task(r) and r.get("customer")]
    if not played:
        return None
    kinds: Counter[str] = Counter()
    groups: dict[str, dict[str, list[int]]] = {"by_task": {}, "by_persona": {}}
    for r in played:
        faults = [a["fault"] for a in r.get("customer_attempts", [])]
        if r["customer"].get("fault"):
            faults.append(r["customer"]["fault"])
        kinds.update(faults)
        for group, key in (("by_task", r["task"]), ("by_persona", persona_key(r))):
            tally = groups[group].setdefault(key, [0, 0])
            tally[0] += 1 + len(r.get("customer_attempts", []))
            tally[1] += len(faults)
    conversations = sum(t[0] for t in groups["by_task"].values())
    faults = sum(kinds.values())
    retried = [r for r in played if r.get("customer_attempts")]
    turns = [r["turns"] for r in played]
    confirmed = [len(r["customer"].get("unoffered_confirmations") or []) for r in played]
    return {
        "conversations": conversations,  # every attempt of every trial with a model-played customer
        "trials": len(played),
        "faults": faults,
        "fault_rate": _rate(faults, conversations),
        "faults_by_kind": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "retried": len(retried),  # trials run again after a customer fault
        "recovered": sum(not r["customer"].get("fault") for r in retried),  # ... whose last attempt had none
        "turns": {"mean": _mean(turns), "max": max(turns)},  # per counted conversation
        "unoffered_confirmations": {"messages": sum(confirmed), "trials": sum(c > 0 for c in confirmed),
                                    "rate": _rate(sum(c > 0 for c in confirmed), len(played))},
        **{group: {key: {"conversations": n, "faults": f, "fault_rate": _rate(f, n)}
                   for key, (n, f) in sorted(tally.items())} for group, tally in groups.items()},
    }


def summarize(records: Iterable[TrialRecord], repeat: int | None = None,
              deselected: Iterable[str] = (), selection: Iterable[str] = (),
              not_started: Iterable[str] = ()) -> dict[str, Any]:
    """pass^1..pass^K and pass@K (K = repeat), counts, incomplete tasks, worst tasks.

    ``deselected``: tasks with trials left out by the selection (-k, -m, --lf);
    those with no trial run at all are listed as ``not_run``. ``selection``: the selecting
    options in use (``--lf`` may skip whole files, which are then not even deselected).
    ``not_started``: tasks with trials the budget kept from starting (``--ecom-max-cost``): they
    are incomplete, even those with no trial run at all.

    The headline is the end-to-end benchmark: it counts tasks only when the run has any, so
    adding stage-wise samples never moves it; samples are counted apart and in ``by_stage``.
    """
    everything = dedupe(records)
    records = headline(everything)
    samples = [r for r in everything if not is_task(r)] if len(records) < len(everything) else []
    tasks = task_table(records)
    k_max = repeat or max((row["repeat"] for row in tasks.values()), default=1)
    counts = task_counts(records)
    pass_hat = {}
    for k in range(1, k_max + 1):
        pass_hat[str(k)] = estimate(counts, k).value
    at = estimate(counts, k_max, at=True)
    complete_k = estimate(counts, k_max)
    totals = Counter(r["outcome"] for r in records)
    worst = sorted(
        ((t, row) for t, row in tasks.items() if row["fail"] or row["error"]),
        key=lambda item: (item[1]["pass"] / max(item[1]["scored"], 1) if item[1]["scored"] else -1, item[0]),
    )
    by_persona = ablation(records, k_max)  # only runs with --ecom-persona-grid have persona variants
    customer = customer_quality(everything)  # only runs with --user-model have a model-played customer
    return {
        **({"ablation": by_persona} if by_persona else {}),
        **({"customer": customer} if customer else {}),
        # what the headline counts: the end-to-end tasks, or a run's stage-wise samples when it has no task
        "unit": "tasks" if any(is_task(r) for r in records) else "samples",
        "k": k_max,
        "pass_hat_k": pass_hat,
        "pass_at_k": at.value,
        # confidence intervals: how far pass^k could move with another draw of tasks like these
        "pass_hat_k_ci": pass_hat_intervals(counts, k_max),
        "ci_method": INTERVAL_METHOD,
        "tasks": len(tasks),
        "tasks_counted": complete_k.tasks,
        "incomplete": sorted(set(complete_k.incomplete) | set(not_started)),
        "not_run": sorted(set(deselected) - {r["task"] for r in everything}),
        "selection": list(selection),
        "trials": {o: totals.get(o, 0) for o in OUTCOMES},
        "worst": [{"task": t, "pass": row["pass"], "scored": row["scored"], "error": row["error"],
                   "failing": row["failing"]} for t, row in worst],
        "samples": {"items": len({r["task"] for r in samples}),
                    **{o: sum(r["outcome"] == o for r in samples) for o in OUTCOMES}} if samples else None,
        "by_stage": breakdown(everything, k_max),
        "rules": rules_compared(records, k_max),
        "efficiency": efficiency(records),
        "usage": usage_totals(everything),
        "scenarios": scenario_view(everything),
    }

"""The short pass^k summary printed after pytest's own lines."""

from __future__ import annotations

from typing import Any


WORST_SHOWN = 5


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def summary_lines(summary: dict[str, Any], agent: str | None) -> list[str]:
    t = summary["trials"]
    total = sum(t.values())
    unit = summary.get("unit", "tasks")  # a run of stage-wise samples only headlines its samples
    lines = [
        f"agent {agent}: {summary['tasks']} {unit}, {total} trials: "
        f"{t['pass']} passed, {t['fail']} failed, {t['error']} errors",
        "  ".join(f"pass^{k} {_fmt(v)}" for k, v in summary["pass_hat_k"].items())
        + f"  pass@{summary['k']} {_fmt(summary['pass_at_k'])}" + ("" if unit == "tasks" else "  (over samples)"),
    ]
    samples = summary.get("samples")
    if samples:
        lines.insert(1, f"stage-wise samples (apart from the pass^k below): {samples['items']} samples, "
                        f"{samples['pass']} passed, {samples['fail']} failed, {samples['error']} errors")
    incomplete = summary["incomplete"]
    if incomplete:
        shown = ", ".join(incomplete[:8]) + (f" and {len(incomplete) - 8} more" if len(incomplete) > 8 else "")
        lines.append(f"incomplete: {len(incomplete)} task(s) with fewer than {summary['k']} scored trials, "
                     f"left out of pass^{summary['k']}: {shown}")
    else:
        lines.append(f"incomplete: 0 {unit} (pass^k counts all {summary['tasks_counted']})")
    if summary["not_run"]:
        why = " ".join(summary.get("selection") or ()) or "-k/-m/--lf"
        lines.append(f"subset: {len(summary['not_run'])} collected task(s) deselected ({why}); "
                     f"pass^k covers the {summary['tasks']} {unit[:-1]}(s) run")
    elif summary.get("selection"):
        lines.append(f"subset: selected with {' '.join(summary['selection'])}; pass^k covers the "
                     f"{summary['tasks']} {unit[:-1]}(s) run, which may not be all")
    if t["error"]:
        lines.append(f"errors: {t['error']} trial(s) could not finish (provider, tool, customer or agent setup); "
                     "not counted as failures")
    customer = summary.get("customer")
    if customer and customer["faults"]:  # the model playing the customer went wrong (users/faults.py)
        kinds = ", ".join(f"{kind} ×{n}" for kind, n in customer["faults_by_kind"].items())

        def most(group: str) -> str:  # where the customer failed most first
            rows = sorted(customer[group].items(), key=lambda kv: (-(kv[1]["fault_rate"] or 0), kv[0]))
            shown = [f"{key} {v['faults']}/{v['conversations']}" for key, v in rows if v["faults"]]
            return ", ".join(shown[:WORST_SHOWN]) + (" …" if len(shown) > WORST_SHOWN else "")

        lines.append(f"customer faults: {customer['faults']} in {customer['conversations']} conversations ({kinds}); "
                     f"{customer['retried']} trial(s) re-run, {customer['recovered']} recovered; "
                     f"by task: {most('by_task')}; by persona: {most('by_persona')}")
    usage = summary.get("usage")
    if usage:
        def dollars(value: float | None) -> str:
            return "cost unknown" if value is None else f"${value:.4f}"

        parts = [f"{role} {u['calls']} calls, {u['prompt_tokens'] + u['completion_tokens']} tokens, "
                 f"{dollars(u['cost_usd'])}" for role, u in usage["roles"].items()]
        per_pass = usage["cost_per_pass_usd"]
        lines.append("models: " + "; ".join(parts) + f" — total {dollars(usage['cost_usd'])}"
                     + (f", {dollars(per_pass)} per passed trial" if per_pass is not None else ""))
    rules = summary.get("rules")
    if rules and "without_procedure" in rules:
        lines.append("state × searches × outputs alone (ECom-Bench's dimensions, no procedure): "
                     + "  ".join(f"pass^{j} {_fmt(v)}" for j, v in rules["without_procedure"].items())
                     + f"  ({rules['procedure_only_failures']} trial(s) failed on procedure alone)")
    spent = summary.get("efficiency")
    if spent:
        lines.append(f"per trial: {spent['tool_calls']:g} tool calls ({spent['failed_calls']:g} failed), "
                     f"{spent['turns']:g} turns; golden path: {spent['golden_tool_calls']:g} calls, "
                     f"{spent['golden_turns']:g} turns"
                     + (f"; {spent['over_budget']} trial(s) over the tool budget" if spent["over_budget"] else ""))
    if rules and rules["differ"]:
        shown = ", ".join(rules["differing_tasks"][:5]) + (" …" if len(rules["differing_tasks"]) > 5 else "")
        lines.append(f"reference rules disagree on {rules['differ']} trial(s) ({shown}): "
                     + "; ".join(f"{rule} " + "  ".join(f"pass^{j} {_fmt(v)}" for j, v in rules[rule].items())
                                 for rule in ("default", "reference")))
    rows = summary.get("by_stage", [])
    if len(rows) > 1:  # only when stage-wise samples ran next to tasks (or several kinds)
        k = summary["k"]
        lines.append(f"by stage (accuracy = passed / scored trials; pass^{k}):")
        for row in rows:
            lines.append(f"  {row['stage']:<10} {row['orientation']:<8} {row['task_type']:<18} {row['items']:>4} items"
                         f"  accuracy {_fmt(row['accuracy'])}  pass^{k} {_fmt(row[f'pass_hat_{k}'])}{_extras(row)}")
    lines += ablation_lines(summary.get("ablation", []), summary["k"], _fmt)
    by_conversation = sorted(summary.get("scenarios", {}).items(), key=lambda s: (s[1]["end_to_end"], s[0]))
    for scenario, stages in by_conversation[:WORST_SHOWN]:  # where conversations fail most first
        lines.append(f"scenario {scenario}: " + " | ".join(f"{stage} {_fmt(v)}" for stage, v in stages.items()))
    worst = summary["worst"][:WORST_SHOWN]
    if worst:
        lines.append("worst tasks:")
        width = max(len(w["task"]) for w in worst)
        for w in worst:
            failing = ", ".join(f"{name} ×{n}" for name, n in w["failing"].items()) or "-"
            errors = f", {w['error']} error(s)" if w["error"] else ""
            lines.append(f"  {w['task']:<{width}}  {w['pass']}/{w['scored']} passed{errors}  failing: {failing}")
    return lines


def _extras(row: dict[str, Any]) -> str:
    """A stage row's other verdicts and figures, where it has them."""
    out = ""
    ours, ref = row.get("default_accuracy"), row.get("reference_accuracy")
    if ours is not None and ours != row["accuracy"]:
        out += f"  ours {_fmt(ours)}"  # --ecom-scoring=reference decided the accuracy
    if ref is not None:
        out += f"  reference {_fmt(ref)}"
    if row.get("similarity_mean") is not None:
        out += f"  similarity {_fmt(row['similarity_mean'])}"
    if row.get("judge_mean") is not None:
        out += f"  judge {row['judge_mean']:.2f}/2"
    if row.get("approximate"):
        out += f"  (offline approximation: {row['approximate']} verdicts)"
    return out


def ablation_lines(rows: list[dict[str, Any]], k: int, fmt: Any) -> list[str]:
    """The terminal table (``fmt`` formats a value or None)."""
    if not rows:
        return []
    dim_w = max(len(r["dimension"]) for r in rows)
    val_w = max(len(r["value"]) for r in rows)
    metrics = "pass^1" if k == 1 else f"pass^1 / pass^{k}"
    lines = [f"persona ablation (over the task variants with each value; {metrics}):"]
    for r in rows:
        errors = f", {r['errors']} errors" if r["errors"] else ""
        at_k = "" if k == 1 else f"  pass^{k} {fmt(r[f'pass_hat_{k}'])}"
        lines.append(f"  {r['dimension']:<{dim_w}}  {r['value']:<{val_w}}  pass^1 {fmt(r['pass_hat_1'])}{at_k}"
                     f"  ({r['variants']} variants, {r['trials']} trials{errors})")
    return lines

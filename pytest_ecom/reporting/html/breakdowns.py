"""The "Breakdown" section: the worst tasks, and accuracy and pass^k by stage, orientation, persona,
tag, persona-ablation value and scenario."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pytest_ecom.reporting.html.format import TOP_SHOWN, Record, e, num, section, table, trial_link
from pytest_ecom.results.counts import task_counts
from pytest_ecom.results.passk import estimate
from pytest_ecom.results.record import OUTCOMES
from pytest_ecom.results.summary import STAGE_ORDER


def group_rows(trials: list[Record], keys: Callable[[Record], Iterable[str]], k: int) -> list[dict[str, Any]]:
    """Items, outcomes, accuracy and pass^k per group; a record may be in several groups (tags)."""
    groups: dict[str, list[Record]] = {}
    for r in trials:
        for key in keys(r):
            groups.setdefault(key, []).append(r)
    rows = []
    for name in sorted(groups):
        rs = groups[name]
        counts = {o: sum(r["outcome"] == o for r in rs) for o in OUTCOMES}
        scored = counts["pass"] + counts["fail"]
        rows.append({"group": name, "items": len({r["task"] for r in rs}), "trials": len(rs), **counts,
                     "accuracy": counts["pass"] / scored if scored else None,
                     "pass_hat_k": estimate(task_counts(rs), k).value})
    return rows


def _group_table(title: str, rows: list[dict[str, Any]], k: int) -> str:
    cells = [[e(r["group"]), str(r["items"]), str(r["trials"]), str(r["pass"]), str(r["fail"]), str(r["error"]),
              num(r["accuracy"]), num(r["pass_hat_k"])] for r in rows]
    head = [title, "items", "trials", "passed", "failed", "errors", "accuracy", f"pass^{k}"]
    return f"<figure><figcaption>by {e(title)}</figcaption>{table(head, cells)}</figure>"


def _stage_table(summary: dict[str, Any]) -> str:
    k = summary["k"]
    rows = summary.get("by_stage") or []
    with_ref = any(r.get("reference_accuracy") is not None for r in rows)
    figures = [(key, label) for key, label in (("similarity_mean", "mean similarity"), ("judge_mean", "mean judge (0–2)"))
               if any(r.get(key) is not None for r in rows)]
    head = ["stage", "orientation", "task type", "items", "trials", "errors", "accuracy", f"pass^{k}"]
    cells = []
    for r in rows:
        cell = [e(r["stage"]), e(r["orientation"]), e(r["task_type"]), str(r["items"]), str(r["trials"]),
                str(r["errors"]), num(r["accuracy"]), num(r.get(f"pass_hat_{k}"))]
        cells.append(cell + ([num(r.get("reference_accuracy"))] if with_ref else [])
                     + [num(r.get(key)) for key, _ in figures])
    stages = table(head + (["reference accuracy"] if with_ref else []) + [label for _, label in figures], cells)
    return f"<figure><figcaption>by stage</figcaption>{stages}</figure>" if rows else ""


def _ablation_table(summary: dict[str, Any]) -> str:
    """pass^1 and pass^k per persona dimension value (runs with persona-grid variants only)."""
    k, rows = summary["k"], summary.get("ablation") or []
    cells = [[e(r.get("dimension")), e(r.get("value")), str(r.get("variants", "")), str(r.get("trials", "")),
              str(r.get("errors", "")), num(r.get("pass_hat_1")), num(r.get(f"pass_hat_{k}"))] for r in rows]
    head = ["persona dimension", "value", "variants", "trials", "errors", "pass^1", f"pass^{k}"]
    return f"<figure><figcaption>persona ablation</figcaption>{table(head, cells)}</figure>" if cells else ""


def _scenario_table(summary: dict[str, Any]) -> str:
    scenarios: dict[str, dict[str, float]] = summary.get("scenarios") or {}
    stages = sorted({s for row in scenarios.values() for s in row}, key=lambda s: (STAGE_ORDER.get(s, 9), s))
    cells = [[e(name)] + [num(row.get(s)) for s in stages] for name, row in scenarios.items()]
    return (f"<figure><figcaption>accuracy per scenario and stage</figcaption>"
            f"{table(['scenario', *stages], cells)}</figure>") if cells else ""


def _worst_table(summary: dict[str, Any], trials: list[Record]) -> str:
    first_bad = {}
    for r in trials:
        if r["outcome"] != "pass":
            first_bad.setdefault(r["task"], r)
    cells = []
    for w in (summary.get("worst") or [])[:TOP_SHOWN]:
        r = first_bad.get(w["task"])
        name = trial_link(r) if r else e(w["task"])
        failing = ", ".join(f"{d} ×{n}" for d, n in w.get("failing", {}).items())
        cells.append([name, f"{w['pass']}/{w['scored']}", str(w["error"]), e(failing)])
    return (f"<figure><figcaption>worst tasks</figcaption>"
            f"{table(['task (first failed trial)', 'passed', 'errors', 'failing dimensions'], cells)}</figure>"
            if cells else "")


def breakdown_section(summary: dict[str, Any], trials: list[Record]) -> str:
    k = summary["k"]
    parts = [_worst_table(summary, trials), _stage_table(summary)]
    for title, keys in (("orientation", lambda r: [r["orientation"]] if r.get("orientation") else []),
                        ("persona", lambda r: [r["persona"]] if r.get("persona") else []),
                        ("tag", lambda r: r.get("tags") or [])):
        rows = group_rows(trials, keys, k)
        if rows:
            parts.append(_group_table(title, rows, k))
    parts.append(_ablation_table(summary))
    parts.append(_scenario_table(summary))
    inner = "".join(p for p in parts if p)
    return section("Breakdown", f'<div class="row">{inner}</div>', "breakdown") if inner else ""

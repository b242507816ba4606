"""The persona ablation: pass^1 and pass^k per persona dimension value.

Built from the records of persona-grid variants (``persona_variant``): for each
dimension value, pass^k over the task variants that have it — e.g. every
``emotion=angry`` variant, whatever its patience and style — like Table 3 of
the ECom-Bench paper. Errors are left out, as everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_ecom.scoring.passk import estimate
from pytest_ecom.spec.models import Emotion, Level, Pace, QuestionStyle, SpeakingStyle

# Values are listed in the order of their enum (calm before angry, high before low).
_ORDER = {v.value: i for enum in (Emotion, Level, QuestionStyle, SpeakingStyle, Pace) for i, v in enumerate(enum)}


def ablation(records: Iterable[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """One row per (dimension, value) seen in the records' persona variants."""
    groups: dict[tuple[str, str], dict[str, list[int]]] = {}  # → task → [scored, passed, errors]
    dims: list[str] = []
    for r in records:
        for dim, value in (r.get("persona_variant") or {}).items():
            if dim not in dims:
                dims.append(dim)
            counts = groups.setdefault((dim, value), {}).setdefault(r["task"], [0, 0, 0])
            if r["outcome"] == "error":
                counts[2] += 1
            else:
                counts[0] += 1
                counts[1] += r["outcome"] == "pass"
    rows = []
    for dim, value in sorted(groups, key=lambda g: (dims.index(g[0]), _ORDER.get(g[1], len(_ORDER)), g[1])):
        tasks = groups[(dim, value)]
        counts = {task: (n, c) for task, (n, c, _) in tasks.items()}
        at_k = estimate(counts, k)
        rows.append({
            "dimension": dim, "value": value, "variants": len(tasks),
            "trials": sum(n + e for n, _, e in tasks.values()), "errors": sum(e for _, _, e in tasks.values()),
            "pass_hat_1": estimate(counts, 1).value, f"pass_hat_{k}": at_k.value, "incomplete": list(at_k.incomplete),
        })
    return rows


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

"""The persona ablation: pass^1 and pass^k per persona dimension value.

Built from the records of persona-grid variants (``persona_variant``): for each
dimension value, pass^k over the task variants that have it — e.g. every
``emotion=angry`` variant, whatever its patience and style — like Table 3 of
the ECom-Bench paper. Errors are left out, as everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_ecom.results.counts import task_counts
from pytest_ecom.results.passk import estimate
from pytest_ecom.results.record import TrialRecord
from pytest_ecom.spec.models import Emotion, Level, Pace, QuestionStyle, SpeakingStyle

# Values are listed in the order of their enum (calm before angry, high before low).
_ORDER = {v.value: i for enum in (Emotion, Level, QuestionStyle, SpeakingStyle, Pace) for i, v in enumerate(enum)}


def ablation(records: Iterable[TrialRecord], k: int) -> list[dict[str, Any]]:
    """One row per (dimension, value) seen in the records' persona variants."""
    groups: dict[tuple[str, str], list[TrialRecord]] = {}
    dims: list[str] = []
    for r in records:
        for dim, value in (r.get("persona_variant") or {}).items():
            if dim not in dims:
                dims.append(dim)
            groups.setdefault((dim, value), []).append(r)
    rows = []
    for dim, value in sorted(groups, key=lambda g: (dims.index(g[0]), _ORDER.get(g[1], len(_ORDER)), g[1])):
        chosen = groups[(dim, value)]
        counts = task_counts(chosen)
        at_k = estimate(counts, k)
        rows.append({
            "dimension": dim, "value": value, "variants": len(counts), "trials": len(chosen),
            "errors": sum(r["outcome"] == "error" for r in chosen),
            "pass_hat_1": estimate(counts, 1).value, f"pass_hat_{k}": at_k.value, "incomplete": list(at_k.incomplete),
        })
    return rows

"""CI gates: ``[SCOPE:]METRIC OP VALUE`` decided over trial records.

METRIC is ``pass^K``, ``pass@K`` or ``accuracy`` (passed / scored trials); SCOPE is a
tag, a stage (end_to_end, perception, planning, action), a task type or a store —
without it the gate covers the end-to-end tasks (the headline). A gate on tasks that
do not all have K scored trials is refused, not guessed.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pytest_ecom.results.counts import dedupe, task_counts
from pytest_ecom.results.passk import estimate
from pytest_ecom.results.record import TrialRecord, is_task

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
_GATE = re.compile(r"^\s*(?:(?P<scope>[A-Za-z_][A-Za-z0-9_]*)\s*:)?\s*(?P<metric>pass\^\d+|pass@\d+|accuracy)"
                   r"\s*(?P<op>>=|<=|==|>|<)\s*(?P<value>\d+(?:\.\d+)?)\s*$")


class GateSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Gate:
    text: str
    scope: str | None
    metric: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Gate:
        m = _GATE.match(text)
        if not m:
            raise GateSyntaxError(
                f"cannot read the gate {text!r}: write [SCOPE:]METRIC OP VALUE, e.g. 'pass^3>=0.6', "
                "'returns:pass^1>=0.8' or 'perception:accuracy>=0.9'")
        value = float(m["value"])
        if not 0 <= value <= 1:
            raise GateSyntaxError(f"gate {text!r}: the value must be between 0 and 1")
        return cls(text.strip(), m["scope"], m["metric"], m["op"], value)


@dataclass(frozen=True)
class Verdict:
    gate: str
    passed: bool
    value: float | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "value": self.value, "reason": self.reason}


def _in_scope(record: TrialRecord, scope: str | None) -> bool:
    if scope is None:
        return is_task(record)
    return scope in record.get("tags", ()) or scope in (record.get("stage"), record.get("task_type"),
                                                         record.get("store"))


def evaluate(gate: Gate, records: Iterable[TrialRecord]) -> Verdict:
    chosen = [r for r in dedupe(records) if _in_scope(r, gate.scope)]
    where = f" for {gate.scope}" if gate.scope else ""
    if not chosen:
        return Verdict(gate.text, False, None, f"refused: no trials ran{where}")
    if gate.metric == "accuracy":
        scored = [r for r in chosen if r["outcome"] != "error"]
        if not scored:
            return Verdict(gate.text, False, None, f"refused: every trial{where} errored")
        value = sum(r["outcome"] == "pass" for r in scored) / len(scored)
    else:
        k = int(gate.metric[5:])
        est = estimate(task_counts(chosen), k, at=gate.metric.startswith("pass@"))
        if est.incomplete:
            return Verdict(gate.text, False, None, f"refused: {len(est.incomplete)} task(s){where} have fewer than "
                                                   f"{k} scored trials ({', '.join(est.incomplete[:3])}…)")
        value = est.value
    assert value is not None
    ok = _OPS[gate.op](value, gate.value)
    return Verdict(gate.text, ok, round(value, 4),
                   f"{gate.metric}{where} = {value:.3f}, {'meets' if ok else 'misses'} {gate.op} {gate.value:g}")


def evaluate_all(gates: Iterable[Gate], records: list[TrialRecord], max_errors: int | None = None
                 ) -> list[Verdict]:
    verdicts = [evaluate(g, records) for g in gates]
    if max_errors is not None:
        errors = sum(r["outcome"] == "error" for r in dedupe(records))
        verdicts.append(Verdict(f"errors<={max_errors}", errors <= max_errors, errors,
                                f"{errors} trial error(s), at most {max_errors} allowed (--ecom-max-errors)"))
    return verdicts

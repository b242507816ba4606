"""The three scoring dimensions of an end-to-end trial, plus explicit state checks.

- state: the final store equals the base with the golden actions replayed
  (compared only on records either side touched; the differing fields explain a miss);
- searches: every required call is matched by a distinct call the agent made,
  both normalised against the tool's schema;
- outputs: every required phrase appears in the agent's replies, and no forbidden one does.
The reward is the product: a trial passes only if every checked dimension does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_ecom.spec.models import StateAssertion
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet
from pytest_ecom.trajectory import MadeCall


@dataclass
class Dimension:
    """The verdict of one dimension: ``passed`` is None when the task does not check it."""

    name: str
    passed: bool | None
    problems: list[str] = field(default_factory=list)
    detail: Any = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"passed": self.passed}
        if self.problems:
            out["problems"] = self.problems
        if self.detail is not None:
            out["detail"] = self.detail
        return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def format_call(name: str, arguments: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items())
    return f"{name}({args})"


def check_state(final: Store, expected: Store, assertions: Sequence[StateAssertion] = (),
                explain: bool = True) -> Dimension:
    """Compare the final store with the expected one, looking only at the records either side
    touched; a mismatch is explained by the fields that differ (walked only where values differ,
    so a failing trial costs about what a passing one does)."""
    problems: list[str] = []
    differing = final.diff_keys(expected)
    detail = None
    if differing and not explain:
        problems += [f"{table}/{key} differs" for table, key in differing]
    elif differing:
        got, want = final.snapshot(differing), expected.snapshot(differing)
        changes: list[dict[str, Any]] = []
        for table, key in differing:
            record_want, record_got = want[table][key], got[table][key]
            problems.append(f"{table}/{key}: {_describe(record_want, record_got)}")
            changes += _changes(f"{table}/{key}", record_want, record_got)
        detail = {"records": [f"{t}/{k}" for t, k in differing], "diff": changes}
    for assertion in assertions:
        problem = _check_assertion(final, assertion)
        if problem:
            problems.append(problem)
    return Dimension("state", not problems, problems, detail)


DIFF_ENTRIES = 50  # per record in the report's diff: a whole rewritten table does not bloat the report


def _changes(record: str, want: Any, got: Any) -> list[dict[str, Any]]:
    """The report's diff of one record: ``{record, path, expected, got}`` per differing leaf (a side
    without the value has no key), expected state first."""
    out: list[dict[str, Any]] = []
    leaves = [(record, "", want, got)] if want is None or got is None else \
        [(record, path, w, g) for path, w, g in _leaves(want, got)]
    for where, path, w, g in leaves[:DIFF_ENTRIES]:
        entry: dict[str, Any] = {"record": where, "path": path}
        for side, value in (("expected", w), ("got", g)):
            if value is not _MISSING and not (value is None and not path):  # a whole record absent: no key
                entry[side] = value
        out.append(entry)
    if len(leaves) > DIFF_ENTRIES:
        out.append({"record": record, "path": "", "more": len(leaves) - DIFF_ENTRIES})
    return out


def _describe(want: Any, got: Any) -> str:
    if want is None:
        return "created, but the expected state has no such record"
    if got is None:
        return "missing (the expected state has it)"
    diffs = [f"{f'{path}: ' if path else ''}expected {_shown(w)}, got {_shown(g)}" for path, w, g in _leaves(want, got)]
    shown = "; ".join(diffs[:SHOWN_DIFFERENCES])
    return shown + (f"; and {len(diffs) - SHOWN_DIFFERENCES} more" if len(diffs) > SHOWN_DIFFERENCES else "")


SHOWN_DIFFERENCES = 8  # per record: enough to see what went wrong, not a whole nested table
_VALUE_WIDTH = 120


def _leaves(want: Any, got: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Where two values differ, down to the innermost differing fields of nested records and
    lists of equal length (a store of nested tables must not print a whole table because one
    field in it changed). Only differing branches are walked: equal ones are skipped by ``==``."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got), key=str):
            if want.get(k, _MISSING) != got.get(k, _MISSING):
                yield from _leaves(want.get(k, _MISSING), got.get(k, _MISSING), f"{path}.{k}" if path else str(k))
        return
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got, strict=True)):
            if w != g:
                yield from _leaves(w, g, f"{path}[{i}]")
        return
    yield path, want, got


_MISSING = object()


def _shown(value: Any) -> str:
    if value is _MISSING:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def _check_assertion(store: Store, a: StateAssertion) -> str | None:
    record = store.get(a.table, a.key)
    if not a.exists:
        return f"{a.table}/{a.key}: should not exist" if record is not None else None
    if record is None:
        return f"{a.table}/{a.key}: should exist"
    wrong = {k: v for k, v in (a.match or {}).items() if not isinstance(record, dict) or record.get(k) != v}
    if wrong:
        got = {k: record.get(k) if isinstance(record, dict) else None for k in wrong}
        return f"{a.table}/{a.key}: expected {_canonical(wrong)}, got {_canonical(got)}"
    return None


def check_searches(required: Sequence[tuple[str, dict[str, Any]]], made: Sequence[MadeCall], tools: ToolSet) -> Dimension:
    """Each required call must be matched by a distinct successful call with equal normalised arguments."""
    if not required:
        return Dimension("searches", None)
    pool: dict[str, int] = {}
    for call in made:
        if call.ok:
            key = call.name + _canonical(call.arguments)
            pool[key] = pool.get(key, 0) + 1
    missing = []
    for name, args in required:
        normalised = tools[name].normalize(args) if name in tools else args
        key = name + _canonical(normalised)
        if pool.get(key, 0) > 0:
            pool[key] -= 1
        else:
            missing.append(format_call(name, normalised))
    return Dimension("searches", not missing, [f"missing call: {m}" for m in missing])


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def says(text: str, phrase: str) -> bool:
    """Whether ``text`` (folded) says a forbidden ``phrase``: case-insensitively, spaces collapsed, and
    not glued to a letter or digit at an edge where the phrase itself ends in one ("$10" is not said
    by "$100" or "$10.50", nor "INV-1" by "INV-12"). CJK text has no such edges: a Chinese phrase matches anywhere."""
    folded = _folded(phrase)
    if not folded:
        return False
    pattern = re.escape(folded)
    if folded[0].isascii() and folded[0].isalnum():
        pattern = r"(?<![a-z0-9])" + pattern
    if folded[-1].isascii() and folded[-1].isalnum():
        pattern += r"(?![a-z0-9]|[.,]\d)"  # nor "$10" by "$10.50"
    return re.search(pattern, text) is not None


def check_outputs(required: Sequence[str], replies: Sequence[str], forbidden: Sequence[str] = ()) -> Dimension:
    """Each required phrase must appear (case-insensitively, spaces collapsed) in the agent's replies,
    and no forbidden phrase may: a reply that says everything (every phrase of the store, in the hope
    that the right one is among them) then fails on the claim it had no right to make.

    The forbidden phrases said are the ``detail`` (``forbidden_said``), for the reports to show."""
    if not required and not forbidden:
        return Dimension("outputs", None)
    text = _folded(" ".join(replies))
    missing = [p for p in required if _folded(p) not in text]
    said = [p for p in forbidden if says(text, p)]
    problems = [f"missing phrase: {p!r}" for p in missing] + [f"forbidden phrase said: {p!r}" for p in said]
    return Dimension("outputs", not problems, problems, {"forbidden_said": said} if said else None)

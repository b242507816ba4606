"""Small building blocks the report's views share: escaping, numbers, tables, sections, badges,
bars and links to trials."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any

from pytest_ecom.results.record import TrialRecord

TOP_SHOWN = 10
Record = TrialRecord


def trial_anchor(task: str, trial: int) -> str:
    """The element id of a trial: ``report.html#trial-<task>-<trial>`` opens it."""
    return f"trial-{task}-{trial}"


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f} s"


_NUMBER = re.compile(r"(n/a|\$?-?[\d.]+(%| s)?|\d+/\d+)")


def table(head: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "stats") -> str:
    """A table; ``head`` is plain text, cells are HTML the caller escaped. Numbers align right."""
    rows = [list(row) for row in rows]
    numeric = [bool(rows) and all(i < len(r) and _NUMBER.fullmatch(r[i]) for r in rows) for i in range(len(head))]
    th = "".join(f'<th class="n">{e(h)}</th>' if n else f"<th>{e(h)}</th>" for h, n in zip(head, numeric))
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if _NUMBER.fullmatch(c) else f"<td>{c}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def section(title: str, inner: str, sid: str) -> str:
    return f'<section id="{sid}"><h2>{e(title)}</h2>\n{inner}\n</section>'


def badge(outcome: str) -> str:
    return f'<span class="badge {e(outcome)}">{e(outcome)}</span>'


def trial_link(r: Record) -> str:
    anchor = trial_anchor(r["task"], r["trial"])
    return f'<a href="#{e(anchor)}">{e(r["task"])} [{e(r["trial"])}-{e(r.get("repeat", "?"))}]</a>'


def bar(rate: float | None) -> str:
    width = 0.0 if rate is None else max(0.0, min(1.0, rate)) * 100
    return f'<span class="bar"><span style="width:{width:.1f}%"></span></span>'


def duration(r: Record) -> float:
    """A trial's wall time: its episode, or the sum of its timings where the episode is missing."""
    timings = r.get("timings") or {}
    return float(timings.get("episode_s", sum(v for v in timings.values() if isinstance(v, int | float))))


def tokens_text(tokens: Any) -> str:
    """``{"agent": {"prompt_tokens": 900, "completion_tokens": 80, "calls": 3, ...}}`` →
    ``agent 900+80 tokens in 3 calls``; flat counts as ``name value``."""
    if not isinstance(tokens, dict):
        return "" if tokens is None else str(tokens)
    parts = []
    for role, usage in tokens.items():
        if isinstance(usage, dict):
            calls = f" in {usage['calls']} calls" if usage.get("calls") else ""
            parts.append(f"{role} {usage.get('prompt_tokens', 0)}+{usage.get('completion_tokens', 0)} tokens{calls}")
        else:
            parts.append(f"{role} {usage}")
    return ", ".join(parts)

"""The text of ``pytest-ecom compare old.json new.json``: per-task changes, then the overall change."""

from __future__ import annotations

from typing import Any

from pytest_ecom.results.compare import Comparison, TaskChange
from pytest_ecom.results.stats import LEVEL

LISTED = 8  # task names shown per line before "and N more"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _passed(counts: tuple[int, int] | None) -> str:
    return "-" if counts is None else f"{counts[0]}/{counts[1]}"


def _names(tasks: list[str]) -> str:
    return ", ".join(tasks[:LISTED]) + (f" and {len(tasks) - LISTED} more" if len(tasks) > LISTED else "")


def _run(label: str, name: str, report: dict[str, Any]) -> str:
    fp = report["fingerprint"]
    return f"{label} {name} (agent {fp.get('agent')}, {fp['options']['repeat']} trial(s) per task)"


def _row(t: TaskChange, width: int) -> str:
    return (f"  {t.task:<{width}}  {_passed(t.before):>6} {_passed(t.after):>6}  "
            f"{_fmt(t.pass_before):>6} {_fmt(t.pass_after):>6}  {t.change}").rstrip()


def _moved(t: TaskChange) -> bool:
    """A row worth showing: pass^k moved, the task newly fails or passes, or is in one run only."""
    return t.pass_before != t.pass_after or bool(t.change) or (t.before is None) != (t.after is None)


def comparison_lines(comparison: Comparison, before: tuple[str, dict[str, Any]],
                     after: tuple[str, dict[str, Any]], show_all: bool = False) -> list[str]:
    """``before``/``after``: (the report's name, the report); the rows of tasks that did not
    move only with ``show_all``."""
    k = comparison.k
    shown = [t for t in comparison.tasks if show_all or _moved(t)]
    width = max([len(t.task) for t in shown] + [4])
    lines = [_run("before:", *before), _run("after: ", *after),
             f"  {'task':<{width}}  {'passed':>6} {'':>6}  {f'pass^{k}':>6}".rstrip(),
             f"  {'':<{width}}  {'before':>6} {'after':>6}  {'before':>6} {'after':>6}  change"]
    lines += [_row(t, width) for t in shown]
    if len(shown) < len(comparison.tasks):
        lines.append(f"  … and {len(comparison.tasks) - len(shown)} task(s) unchanged (--all lists them)")
    means, delta = comparison.means(), comparison.delta
    if means is None or delta is None:
        lines.append(f"pass^{k}: no task has {k} scored trials in both runs; nothing to compare")
    else:
        lines.append(f"pass^{k} over {delta.tasks} shared task(s): {means[0]:.3f} → {means[1]:.3f}, "
                     f"change {delta.estimate:+.3f}, {LEVEL:.0%} interval [{delta.low:+.3f}, {delta.high:+.3f}] "
                     "(paired bootstrap over tasks)")
    for kind in ("newly failing", "newly passing"):
        found = comparison.changed(kind)
        lines.append(f"{kind}: {len(found)} task(s)" + (f": {_names(found)}" if found else ""))
    for label, tasks in ((f"only in {before[0]}", comparison.only_before), (f"only in {after[0]}", comparison.only_after),
                         (f"left out of pass^{k} (fewer than {k} scored trials in a run)", comparison.incomplete)):
        if tasks:
            lines.append(f"{label}: {len(tasks)} task(s): {_names(tasks)}")
    return lines

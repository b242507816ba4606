"""Comparing two runs task by task: ``pytest-ecom compare`` and the regression gate
(``--ecom-baseline``).

Two runs are compared on pass^k with k the smaller of their repeat counts (pass^k of a task
with n >= k trials estimates the same quantity whatever n is), over the end-to-end tasks
both runs scored at least k times. The change of the mean gets a paired bootstrap interval
over those tasks. Runs are refused as incomparable when a task they share is a different
version of its file, when they were scored differently, or when no task is shared.

Pure module: no pytest import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_ecom.results.counts import headline, task_counts
from pytest_ecom.results.fingerprint import scored_differently
from pytest_ecom.results.gates import Verdict
from pytest_ecom.results.passk import per_task
from pytest_ecom.results.record import TrialRecord
from pytest_ecom.results.stats import LEVEL, Interval, paired_bootstrap


@dataclass(frozen=True)
class TaskChange:
    task: str
    before: tuple[int, int] | None  # (passed, scored trials); None: not in that run
    after: tuple[int, int] | None
    pass_before: float | None  # pass^k; None: absent or fewer than k scored trials
    pass_after: float | None

    @property
    def change(self) -> str:
        """newly failing / newly passing: every scored trial passed before and not now, or the reverse."""
        if self.before is None or self.after is None or not self.before[1] or not self.after[1]:
            return ""
        was, now = self.before[0] == self.before[1], self.after[0] == self.after[1]
        return "newly failing" if was and not now else "newly passing" if now and not was else ""

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "passed_before": self.before and list(self.before),
                "passed_after": self.after and list(self.after), "pass_hat_before": self.pass_before,
                "pass_hat_after": self.pass_after, "change": self.change or None}


@dataclass(frozen=True)
class Comparison:
    k: int
    tasks: tuple[TaskChange, ...]
    delta: Interval | None  # mean of (after - before) over the compared tasks, with its interval

    def _where(self, before: bool, after: bool) -> list[str]:
        return [t.task for t in self.tasks if (t.before is not None) == before and (t.after is not None) == after]

    @property
    def compared(self) -> list[TaskChange]:
        return [t for t in self.tasks if t.pass_before is not None and t.pass_after is not None]

    @property
    def only_before(self) -> list[str]:
        return self._where(True, False)

    @property
    def only_after(self) -> list[str]:
        return self._where(False, True)

    @property
    def incomplete(self) -> list[str]:
        """Tasks in both runs left out: fewer than k scored trials in one of them."""
        return [t.task for t in self.tasks if t.before is not None and t.after is not None
                and (t.pass_before is None or t.pass_after is None)]

    def changed(self, kind: str) -> list[str]:
        return [t.task for t in self.tasks if t.change == kind]

    def means(self) -> tuple[float, float] | None:
        rows = self.compared
        if not rows:
            return None
        return (sum(t.pass_before for t in rows) / len(rows),  # type: ignore[misc]
                sum(t.pass_after for t in rows) / len(rows))  # type: ignore[misc]

    def as_dict(self) -> dict[str, Any]:
        means = self.means()
        return {
            "k": self.k, "tasks_compared": len(self.compared),
            f"pass_hat_{self.k}_before": means and round(means[0], 6),
            f"pass_hat_{self.k}_after": means and round(means[1], 6),
            "change": self.delta and self.delta.as_dict(),
            "newly_failing": self.changed("newly failing"), "newly_passing": self.changed("newly passing"),
            "only_before": self.only_before, "only_after": self.only_after, "incomplete": self.incomplete,
            "tasks": [t.as_dict() for t in self.tasks],
        }


def compare_records(before: Iterable[TrialRecord], after: Iterable[TrialRecord], k: int) -> Comparison:
    old, new = task_counts(headline(before)), task_counts(headline(after))
    old_pass, new_pass = per_task(old, k), per_task(new, k)
    rows = tuple(
        TaskChange(task,
                   (old[task][1], old[task][0]) if task in old else None,
                   (new[task][1], new[task][0]) if task in new else None,
                   old_pass.get(task), new_pass.get(task))
        for task in sorted(set(old) | set(new))
    )
    return Comparison(k, rows, paired_bootstrap(old_pass, new_pass))


def common_k(before_repeat: int, after_repeat: int) -> int:
    """The k both runs can estimate: the smaller repeat count."""
    return max(1, min(before_repeat, after_repeat))


def incomparable(before: Mapping[str, Any], after: Mapping[str, Any], before_records: Iterable[TrialRecord],
                 after_records: Iterable[TrialRecord]) -> str | None:
    """Why two runs cannot be compared (``before``/``after``: their fingerprints' options), or None."""
    scoring = scored_differently(before, after)
    if scoring:
        return scoring
    old = {r["task"]: r["task_digest"] for r in headline(before_records)}
    new = {r["task"]: r["task_digest"] for r in headline(after_records)}
    changed = sorted(t for t in set(old) & set(new) if old[t] != new[t])
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        return f"{len(changed)} task(s) are different versions of their file in the two runs ({shown})"
    if not set(old) & set(new):
        return "the runs share no task (a different task set)"
    return None


def regression_verdict(comparison: Comparison, max_drop: float, baseline: str) -> Verdict:
    """The regression gate: FAIL only when pass^k dropped by more than ``max_drop`` *and* the
    paired bootstrap interval of the change lies wholly below 0 (the drop is significant)."""
    k = comparison.k
    gate = f"baseline pass^{k} drop<={max_drop:g}"
    means, delta = comparison.means(), comparison.delta
    if means is None or delta is None:
        return Verdict(gate, False, None, f"refused: no task has {k} scored trials in both this run and {baseline}")
    interval = f"{LEVEL:.0%} interval [{delta.low:+.3f}, {delta.high:+.3f}]"
    head = (f"pass^{k} {means[1]:.3f} vs {means[0]:.3f} in {baseline} over {delta.tasks} shared task(s): "
            f"change {delta.estimate:+.3f}, {interval}")
    dropped = delta.estimate < -max_drop
    significant = delta.high < 0
    if dropped and significant:
        why = f"a drop of more than {max_drop:g} that the interval confirms"
    elif dropped:
        why = f"a drop of more than {max_drop:g}, but the interval reaches 0: not significant"
    else:
        why = f"within the allowed drop of {max_drop:g}"
    newly = comparison.changed("newly failing")
    extra = f"; newly failing: {', '.join(newly[:3])}{' …' if len(newly) > 3 else ''}" if newly else ""
    return Verdict(gate, not (dropped and significant), round(delta.estimate, 4), f"{head}: {why}{extra}")


def refused_verdict(max_drop: float, k: int, reason: str, baseline: str) -> Verdict:
    return Verdict(f"baseline pass^{k} drop<={max_drop:g}", False, None, f"refused: {reason} ({baseline})")

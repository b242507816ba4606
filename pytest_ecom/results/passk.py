"""pass^k and pass@k estimators over repeated trials.

For a task with ``n`` scored (non-error) trials of which ``c`` passed,
pass^k = C(c, k) / C(n, k) is the chance that k trials drawn without
replacement all pass; pass@k = 1 - C(n-c, k) / C(n, k) that at least one
does. A task with fewer than k scored trials has no estimate: it is
incomplete, and averaging over the rest would bias the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import comb


def pass_hat_k(n: int, c: int, k: int) -> float:
    if not 0 <= c <= n or k < 1 or n < k:
        raise ValueError(f"pass^k needs 0 <= c <= n and 1 <= k <= n (got n={n}, c={c}, k={k})")
    return comb(c, k) / comb(n, k)


def pass_at_k(n: int, c: int, k: int) -> float:
    if not 0 <= c <= n or k < 1 or n < k:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (got n={n}, c={c}, k={k})")
    return 1.0 - comb(n - c, k) / comb(n, k)


@dataclass(frozen=True)
class Estimate:
    k: int
    value: float | None  # None: no task has k scored trials
    tasks: int  # tasks counted
    incomplete: tuple[str, ...]  # tasks left out: fewer than k scored trials


def per_task(counts: Mapping[str, tuple[int, int]], k: int, *, at: bool = False) -> dict[str, float]:
    """pass^k (or pass@k) of each task with at least k scored trials, in task order."""
    fn = pass_at_k if at else pass_hat_k
    return {task: fn(*counts[task], k) for task in sorted(counts) if counts[task][0] >= k}


def estimate(counts: Mapping[str, tuple[int, int]], k: int, *, at: bool = False) -> Estimate:
    """Mean over tasks of pass^k (or pass@k with ``at=True``); ``counts`` maps task → (n, c)."""
    fn = pass_at_k if at else pass_hat_k
    values, incomplete = [], []
    for task in sorted(counts):
        n, c = counts[task]
        if n >= k:
            values.append(fn(n, c, k))
        else:
            incomplete.append(task)
    value = sum(values) / len(values) if values else None
    return Estimate(k, value, len(values), tuple(incomplete))

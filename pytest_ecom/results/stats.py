"""Bootstrap confidence intervals over tasks, for pass^k and for the change between two runs.

Tasks are the unit that is resampled: a benchmark's tasks are a sample of the situations
an agent will meet, and the trials of one task are not independent of each other. Each
interval is a percentile bootstrap with a fixed seed, so the same records always give the
same interval (a merged report equals a single run's, a rerun of a report is stable).

Pure module: no pytest import.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LEVEL = 0.95
RESAMPLES = 2000
SEED = 20240701  # fixed: intervals are part of a report that must be reproducible


@dataclass(frozen=True)
class Interval:
    estimate: float  # the mean over the tasks themselves
    low: float
    high: float
    tasks: int
    level: float = LEVEL

    def as_dict(self) -> dict[str, float | int]:
        return {"estimate": round(self.estimate, 6), "low": round(self.low, 6), "high": round(self.high, 6),
                "tasks": self.tasks, "level": self.level}

    def excludes_zero(self) -> bool:
        return self.high < 0 or self.low > 0


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of sorted values, linearly interpolated (numpy's default)."""
    position = q * (len(sorted_values) - 1)
    below = int(position)
    above = min(below + 1, len(sorted_values) - 1)
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * (position - below)


def _resampled_means(values: Sequence[float], resamples: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    n = len(values)
    pick = values.__getitem__
    indexes = range(n)
    return sorted(sum(map(pick, rng.choices(indexes, k=n))) / n for _ in range(resamples))


def bootstrap_mean(values: Sequence[float], *, level: float = LEVEL, resamples: int = RESAMPLES,
                   seed: int = SEED) -> Interval | None:
    """Percentile bootstrap interval of the mean of per-task ``values``; None without values."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if not values:
        return None
    if len(set(values)) == 1:  # every resample has the same mean (one task, or all alike): no need to draw
        return Interval(values[0], values[0], values[0], len(values), level)
    means = _resampled_means(values, resamples, seed)
    tail = (1 - level) / 2
    return Interval(sum(values) / len(values), _percentile(means, tail), _percentile(means, 1 - tail),
                    len(values), level)


def paired_bootstrap(old: Mapping[str, float], new: Mapping[str, float], *, level: float = LEVEL,
                     resamples: int = RESAMPLES, seed: int = SEED) -> Interval | None:
    """Interval of the mean change ``new - old`` over the tasks both have, resampling tasks
    (each task keeps its pair: task difficulty cancels out). None without a shared task."""
    shared = sorted(set(old) & set(new))
    return bootstrap_mean([new[t] - old[t] for t in shared], level=level, resamples=resamples, seed=seed)

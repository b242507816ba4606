"""What makes two runs the same run, or at least comparable.

A run's fingerprint is the pytest-ecom version, the agent and the options that change what its
trials do or how they pass; a report adds the digest of its task set. A log and the run resuming
it, and the shards of one run being merged, must have the same fingerprint (the task set aside:
a resumed run completes it, each shard has its own share). Two runs to compare need only be
scored the same way (:func:`scored_differently`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_ecom.results.record import TrialRecord
from pytest_ecom.version import __version__

# Options that change what "pass" means: runs differing in one are not comparable.
SCORING_OPTIONS = ("scoring", "embedding_model", "judge_model")


def run_fingerprint(agent: str | None, options: Mapping[str, Any]) -> dict[str, Any]:
    """The run's identity: version, agent and options (without the task set)."""
    return {"pytest_ecom": __version__, "agent": agent, "options": dict(options)}


def task_set_digest(records: Iterable[TrialRecord]) -> str:
    pairs = sorted({(r["task"], r["task_digest"]) for r in records})
    return hashlib.sha256(repr(pairs).encode()).hexdigest()[:16]


def run_differences(before: Mapping[str, Any], after: Mapping[str, Any],
                    labels: tuple[str, str] = ("before", "after")) -> list[str]:
    """Where two fingerprints of a run differ, task set aside (empty: the same run), e.g.
    ``options.repeat: 2 in the log, 3 now`` with ``labels=("in the log", "now")``."""
    return _differences({k: v for k, v in before.items() if k != "task_set"},
                        {k: v for k, v in after.items() if k != "task_set"}, labels)


def _differences(before: Mapping[str, Any], after: Mapping[str, Any], labels: tuple[str, str],
                 prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += _differences(a, b, labels, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} {labels[0]}, {b!r} {labels[1]}")
    return out


def scored_differently(before: Mapping[str, Any], after: Mapping[str, Any]) -> str | None:
    """Why two runs' options (their fingerprints' ``options``) make their passes incomparable, or None."""
    scoring = [f"{name} {before.get(name)!r} vs {after.get(name)!r}" for name in SCORING_OPTIONS
               if before.get(name) != after.get(name)]
    return f"the runs were scored differently ({', '.join(scoring)})" if scoring else None

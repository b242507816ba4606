"""What a trial spent on models: calls, tokens and cost, per role (agent, customer, judge, vision).

The runner opens a :class:`TrialMeter` around each trial (:func:`metering`); every model call made
inside it, in whatever task or thread the trial's code runs it, adds to it (a context variable).
A call whose price is unknown makes the cost of its role, and the trial's total, "unknown"
(``None``), never 0.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RoleUsage:
    calls: int = 0
    attempts: int = 0  # calls plus retries
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0  # None once any call of this role had no known price

    def add(self, prompt_tokens: int, completion_tokens: int, cost_usd: float | None, attempts: int,
            calls: int = 1) -> None:
        self.calls += calls
        self.attempts += attempts
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost_usd = None if cost_usd is None or self.cost_usd is None else self.cost_usd + cost_usd

    def add_recorded(self, used: dict[str, Any]) -> None:
        """Add the usage a trial record keeps for one role (:meth:`as_dict`)."""
        self.add(used.get("prompt_tokens", 0), used.get("completion_tokens", 0), used.get("cost_usd"),
                 used.get("attempts", 0), used.get("calls", 0))

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "attempts": self.attempts, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 8)}


@dataclass
class TrialMeter:
    """One trial's model usage; ``key`` names the trial (task id, trial number) for cassettes."""

    key: tuple[str, int]
    roles: dict[str, RoleUsage] = field(default_factory=dict)
    calls_started: int = 0
    billed_usd: float = 0.0  # what --ecom-max-cost's ledger already holds of this trial
    billed_unknown: bool = False

    def next_call(self) -> int:
        """The number of the model call about to be made in this trial (1, 2, ...)."""
        self.calls_started += 1
        return self.calls_started

    def add(self, role: str, prompt_tokens: int, completion_tokens: int, cost_usd: float | None,
            attempts: int = 1) -> None:
        self.roles.setdefault(role, RoleUsage()).add(prompt_tokens, completion_tokens, cost_usd, attempts)

    @property
    def cost_usd(self) -> float | None:
        costs = [u.cost_usd for u in self.roles.values()]
        return None if any(c is None for c in costs) else sum(costs)  # type: ignore[misc]

    def tokens(self) -> dict[str, dict[str, Any]] | None:
        """Per role, for the trial record (None when no model was called)."""
        return {role: usage.as_dict() for role, usage in sorted(self.roles.items())} or None


_CURRENT: contextvars.ContextVar[TrialMeter | None] = contextvars.ContextVar("pytest_ecom_meter", default=None)


def current() -> TrialMeter | None:
    return _CURRENT.get()


@contextmanager
def using(meter: TrialMeter | None) -> Iterator[TrialMeter | None]:
    """Count the model calls made inside the block on ``meter``."""
    token = _CURRENT.set(meter)
    try:
        yield meter
    finally:
        _CURRENT.reset(token)


def metering(task: str, trial: int) -> AbstractContextManager[TrialMeter | None]:
    """Count the model calls made inside the block as this trial's (a new meter)."""
    return using(TrialMeter((task, trial)))

"""ECom-Bench's own reward for an end-to-end trial (``--ecom-scoring=reference``).

The reference's rules, reproduced as they are (quirks included), next to our default checks:

- actions: the whole final store equals the store with the golden actions replayed, both
  normalised (object keys sorted, lists of scalars sorted, lists of objects sorted by their JSON).
  A task without golden actions therefore passes when the agent wrote nothing.
- searches: each golden call equals, as sorted-key JSON of its arguments, some call the agent
  made, as the agent sent it: ``"2"`` is not ``2``, a failed call counts, one call may match
  several identical golden calls.
- outputs: each phrase is an exact substring of the agent's replies joined with nothing between
  them (``"".join``, as the reference joins them), so a phrase may run from one reply into the next.

reward = actions × searches × outputs. The explicit ``expect.state`` assertions and the agent-crash
dimension are ours, so they do not enter this verdict.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pytest_ecom.spec.models import Call
from pytest_ecom.store import Store
from pytest_ecom.trajectory import MadeCall

DIMENSIONS = ("actions", "searches", "outputs")


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def normalise(value: Any) -> Any:
    """The reference's normal form: keys sorted, lists of scalars sorted, lists of objects sorted by JSON."""
    if isinstance(value, dict):
        return {key: normalise(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        items = [normalise(v) for v in value]
        return sorted(items, key=_dumps)
    return value


def same_store(final: Store, expected: Store) -> bool:
    """Whole-store equality after normalisation.

    Records neither side touched come from the same base and are equal, so only the records
    that differ as stored need normalising (a list in another order is still equal).
    """
    return all(normalise(final.get(table, key)) == normalise(expected.get(table, key))
               for table, key in final.diff_keys(expected))


def searches_made(golden: Sequence[Call], made: Sequence[MadeCall]) -> list[str]:
    """The golden calls no call of the agent equals exactly (name and sorted-key JSON of the arguments)."""
    sent = {call.name + _dumps(call.sent) for call in made}
    missing = []
    for call in golden:
        ((name, arguments),) = call.items()
        if name + _dumps(arguments) not in sent:
            missing.append(f"{name} {_dumps(arguments)}")
    return missing


def reference_checks(final: Store, expected: Store, golden_searches: Sequence[Call], outputs: Sequence[str],
                     made: Sequence[MadeCall], replies: Sequence[str]) -> dict[str, bool]:
    """The reference's three checks; the trial's reward is 1 only when all hold."""
    joined = "".join(replies)  # the reference's join: no separator
    return {
        "actions": same_store(final, expected),
        "searches": not searches_made(golden_searches, made),
        "outputs": all(phrase in joined for phrase in outputs),
    }

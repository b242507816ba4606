"""The procedure dimension: how the agent got to its writes, read from the trajectory alone.

- informed writes: every value a write had to find (ids, codes, amounts: ``tools/visible.py``,
  the notion collection uses for golden calls) was in what the agent saw before it made the call:
  the system message (policy and context), a customer message or an earlier tool result;
- confirmed writes: a call of one of the domain's consequential tools that changes the store runs
  only after the agent described the change in a reply (naming the call's values) and the customer
  answered that reply (the customer's latest message before the call is its answer); a golden write
  with ``confirm: false`` is exempt;
- the tool budget: the trial did not end with ``tool_budget``.

It reads only the trajectory's messages and calls, so a logged trajectory is scored again exactly
as it was (``pytest-ecom rescore``). Which calls changed the store is found by replaying the
successful calls of tools that write on a fresh store, in order.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pytest_ecom.scoring.checks import Dimension, format_call
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet
from pytest_ecom.tools.visible import Seen, needed_values, unseen
from pytest_ecom.trajectory import MadeCall, Message, message_text

TOOL_BUDGET = "tool_budget"  # the end_reason of a trial that asked for more tool calls than its budget
MAX_SHOWN = 60  # a value shown in a problem is cut to this many characters


@dataclass(frozen=True)
class ProcedureRules:
    """What the procedure check needs besides the trajectory: the task's domain and budget."""

    tools: ToolSet
    consequential: Collection[str]
    unconfirmed: Sequence[tuple[str, dict[str, Any]]] = ()  # golden writes with ``confirm: false``
    max_tool_calls: int | None = None
    today: date | None = None  # the store's today: a year-less date in words is in its year


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _writes_made(calls: Sequence[MadeCall], tools: ToolSet, store: Store) -> set[int]:
    """Indexes of the calls that changed the store, found by replaying the writing tools' calls."""
    out = set()
    for j, call in enumerate(calls):
        if not call.ok or call.name not in tools or not tools[call.name].writes:
            continue  # reads and refused calls change nothing
        probe = store.fork()
        tools.call(probe, call.name, call.arguments)
        if probe.diff_keys(store):
            out.add(j)
        store = probe
    return out


def check_procedure(messages: Sequence[Message], calls: Sequence[MadeCall], end_reason: str,
                    rules: ProcedureRules, store: Store) -> Dimension:
    """The procedure verdict of a finished trajectory; ``store`` is a fresh store of the task."""
    writes = _writes_made(calls, rules.tools, store)
    problems: list[str] = []
    found: list[dict[str, Any]] = []
    seen = Seen(today=rules.today)
    last_reply: str | None = None  # the agent's latest text reply
    answered: str | None = None  # the reply the customer's latest message answered
    j = 0
    for message in messages:
        role = message.get("role")
        if role == "assistant" and message.get("tool_calls"):
            for _ in message["tool_calls"]:  # each became one made call, in order
                if j < len(calls) and j in writes:
                    found.append(_one_write(j, calls[j], rules, seen, answered, problems))
                j += 1
        elif role == "assistant":
            last_reply = message_text(message)
        elif role == "user":
            answered = last_reply
            seen.add(message_text(message))
        else:  # the system message (policy, context) and tool results
            seen.add(message_text(message))
    failed = sum(not c.ok for c in calls)
    if end_reason == TOOL_BUDGET:
        problems.append(f"went over the tool budget: asked for a call after {len(calls)} "
                        f"(limits.max_tool_calls: {rules.max_tool_calls}; {failed} of them failed)")
    detail = {"writes": found, "tool_calls": len(calls), "failed_calls": failed,
              "max_tool_calls": rules.max_tool_calls}
    return Dimension("procedure", not problems, problems, detail)


def _one_write(j: int, call: MadeCall, rules: ProcedureRules, seen: Seen, answered: str | None,
               problems: list[str]) -> dict[str, Any]:
    """One write's two rules: informed (its values were seen), confirmed (an answered reply named them)."""
    tool = rules.tools[call.name]
    shown = format_call(call.name, call.arguments)
    missing = unseen(tool, call.arguments, seen)
    for name, value in missing:
        problems.append(f"informed writes: call {j + 1} {shown} used {name}={_short(value)} before the agent "
                        f"saw it (not in the customer's messages, the context or an earlier tool result)")
    if call.name not in rules.consequential:
        confirm = "not needed"
    elif any(call.name == name and call.arguments == args for name, args in rules.unconfirmed):
        confirm = "opted out"  # the task says why (confirm_reason)
    elif answered is not None and _describes(answered, needed_values(tool, call.arguments), rules.today):
        confirm = "confirmed"
    else:
        confirm = "missing"
        why = ("the customer had not answered any reply of the agent" if answered is None else
               "the reply the customer last answered did not describe it (name its values)")
        problems.append(f"confirmed writes: call {j + 1} {shown} changed the store without the customer's "
                        f"confirmation: {why}")
    return {"call": j + 1, "tool": call.name, "informed": not missing, "unseen": [n for n, _ in missing],
            "confirm": confirm}


def _describes(reply: str, values: list[tuple[str, Any]], today: date | None) -> bool:
    """Whether a reply names every value of the change (any reply does for a change without values)."""
    said = Seen([reply], today)
    return all(said.has_value(value) for _, value in values)

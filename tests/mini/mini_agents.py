"""Agents for the mini project, usable as ``--agent=mini_agents:NAME``."""

from __future__ import annotations

import json
from typing import Any

from pytest_ecom.agents import AgentSpec, ProviderError
from pytest_ecom.agents.oracle import ORACLE


class Scripted:
    """Makes ``calls`` one per step (the first customer turn), then always answers ``reply``.

    Stateless (it counts its earlier tool calls in ``messages``), so one
    instance can serve concurrent trials.
    """

    def __init__(self, calls: list[tuple[str, dict[str, Any]]], reply: str) -> None:
        self.calls = calls
        self.reply = reply

    def __call__(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], context: Any) -> Any:
        made = sum(1 for m in messages if m["role"] == "assistant" and m.get("tool_calls"))
        if made < len(self.calls):
            name, args = self.calls[made]
            return {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"c{made}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]}
        return {"role": "assistant", "content": self.reply}


do_nothing = Scripted([], "Sorry, I cannot help with that.")

# The right tools, the wrong order: 100002 instead of 100001.
wrong_order = Scripted([("get_order", {"order_id": "100002"}), ("cancel_order", {"order_id": "100002"})],
                       "Your order is cancelled.")

# Solves the cancel task (order id given as a number: the schema makes it a string).
solve_cancel = Scripted([("get_order", {"order_id": 100001}), ("cancel_order", {"order_id": "100001"})],
                        "Your order 100001 is CANCELLED.")

# Solves the cancel task, then also re-addresses another order nobody asked about.
harmful = Scripted([("get_order", {"order_id": "100001"}), ("cancel_order", {"order_id": "100001"}),
                    ("change_address", {"order_id": "100002", "street": "666 Nowhere", "city": "Void"})],
                   "Your order is cancelled.")


async def async_solve_cancel(messages: list[dict[str, Any]], tools: list[dict[str, Any]], context: Any) -> Any:
    return solve_cancel(messages, tools, context)


def crash(messages: list[dict[str, Any]], tools: list[dict[str, Any]], context: Any) -> Any:
    raise RuntimeError("agent exploded")


def provider_down(messages: list[dict[str, Any]], tools: list[dict[str, Any]], context: Any) -> Any:
    raise ProviderError("model endpoint returned 503")


# Reference agents built on the oracle (they get the task, like the oracle: test use only).
def _half(context: Any, task: Any) -> Any:
    return ORACLE.target(context, task) if context.trial % 2 else do_nothing


def _provider_down_on_trial_2(context: Any, task: Any) -> Any:
    return provider_down if context.trial == 2 else ORACLE.target(context, task)


# Solves odd trials, does nothing on even ones: pass^k has hand-computable values.
half_oracle = AgentSpec("half_oracle", _half, factory=True, needs_task=True)
# Solves every trial but the second, where its provider fails: an error, not a failure.
provider_down_on_trial_2 = AgentSpec("provider_down_on_trial_2", _provider_down_on_trial_2, factory=True,
                                     needs_task=True)

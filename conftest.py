"""Example registrations for this checkout.

``my_agent`` shows the shape of a user's own agent: a function that receives
the conversation (OpenAI-format messages), the tool definitions and the
trial's context, and returns one assistant message — text, or tool calls the
harness will execute before calling it again. It never sees expected results.
It is deliberately simple (rule-based, no model): it looks up an order the
customer mentions and reports its status. Run it with

    pytest tasks/ --agent=my_agent --repeat=3
"""

from __future__ import annotations

import json
import re
from typing import Any

from pytest_ecom import AgentContext, register_agent

ORDER_NUMBER = re.compile(r"\b\d{6}\b")


@register_agent("my_agent")
def my_agent(messages: list[dict[str, Any]], tools: list[dict[str, Any]], context: AgentContext) -> dict[str, Any] | str:
    last = messages[-1]
    if last["role"] == "tool":  # the harness ran our call; answer from its result
        result = json.loads(last["content"])
        if "error" in result:
            return f"Sorry, I could not do that: {result['error']}"
        return f"Order {result['order_id']} is currently {result['status']}. Can I help with anything else?"
    found = ORDER_NUMBER.search(last.get("content") or "")
    if found and any(t["function"]["name"] == "get_order" for t in tools):
        call = {"id": "lookup", "type": "function",
                "function": {"name": "get_order", "arguments": json.dumps({"order_id": found.group()})}}
        return {"role": "assistant", "content": None, "tool_calls": [call]}
    return "Happy to help! Could you tell me your order number?"

"""How a trial's transcript reads, wherever it is shown (the failure story, the HTML page)."""

from __future__ import annotations

import json
from typing import Any

from pytest_ecom.trajectory import as_sent

ROLE_NAMES = {"user": "customer", "assistant": "agent"}  # the transcript's roles, as a reader knows them


def speaker(entry: dict[str, Any]) -> str:
    """Who said it: customer, agent, tool NAME (a tool result), or the role as recorded."""
    role = entry.get("role", "?")
    if role == "tool":
        return f"tool {entry.get('name')}"
    return ROLE_NAMES.get(role, role)


def call_text(call: dict[str, Any]) -> str:
    """A tool call as ``name(key=value, ...)``, its arguments parsed when they are JSON text."""
    fn = call.get("function", call)
    args = as_sent(fn.get("arguments"))
    if isinstance(args, str):
        return f"{fn.get('name')}({args})"
    if isinstance(args, dict):
        shown = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items())
        return f"{fn.get('name')}({shown})"
    return f"{fn.get('name')}({'' if args is None else json.dumps(args, ensure_ascii=False)})"


def content_text(content: Any) -> str:
    """A message's content as one JSON line where it is JSON (tool results), else as it is."""
    parsed = as_sent(content)
    return parsed if isinstance(parsed, str) else json.dumps(parsed, ensure_ascii=False)

"""Where an imported task's scripted customer must confirm a change: after each message the oracle
answers by listing a consequential write and asking (docs/procedure.md).

The oracle is driven over the imported task's own data (not the shipped fixture) exactly as a
trial drives it, one scripted message at a time; wherever it asks for confirmation and the next
scripted message is not the confirming line, the line is inserted there, and the conversation is
replayed until every proposal is answered by one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from typing import Any

from pytest_ecom.agents.oracle import OracleAgent
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet

CallSpec = tuple[str, dict[str, Any]]
CONFIRM_LINES = {"zh": "好的，我确认，请办理。", "en": "Yes, that's right. Please go ahead."}
MAX_STEPS = 30  # agent calls per customer message, as in a task's default limits


def with_confirmations(script: list[str], context: dict[str, str], reads: list[CallSpec], writes: list[CallSpec],
                       tools: ToolSet, consequential: Collection[str], tables: dict[str, dict[str, Any]],
                       line: str) -> list[str]:
    """``script`` with ``line`` inserted after every message the oracle answers with a proposal."""
    script = list(script)
    for _ in range(len(writes) + 1):  # at most one insertion per write
        at = asyncio.run(_unanswered_proposal(script, context, reads, writes, tools, consequential, tables, line))
        if at is None:
            break
        script.insert(at, line)
    return script


async def _unanswered_proposal(script: list[str], context: dict[str, str], reads: list[CallSpec],
                               writes: list[CallSpec], tools: ToolSet, consequential: Collection[str],
                               tables: dict[str, dict[str, Any]], line: str) -> int | None:
    """The script position where the first proposal not answered by ``line`` needs it, if any."""
    confirm = [name in consequential for name, _ in writes]
    oracle = OracleAgent(reads, writes, [], tools, confirm, script)
    store = Store(tables)
    system = "## Conversation context\n" + "\n".join(f"- {k}: {v}" for k, v in context.items())
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for turn, text in enumerate(script):
        messages.append({"role": "user", "content": text})
        proposed = len(oracle.proposals)
        for _ in range(MAX_STEPS):
            message = await oracle(messages, [], None)  # type: ignore[arg-type]
            messages.append(message)
            if not message.get("tool_calls"):
                break
            fn = message["tool_calls"][0]["function"]
            try:
                content = tools.call(store, fn["name"], json.loads(fn["arguments"])).content
            except Exception as exc:  # a read the folder's data cannot answer (its golden writes do run)
                content = f"{type(exc).__name__}: {exc}"
            messages.append({"role": "tool", "tool_call_id": "c", "name": fn["name"], "content": content})
        if len(oracle.proposals) > proposed and (turn + 1 >= len(script) or script[turn + 1] != line):
            return turn + 1
    return None

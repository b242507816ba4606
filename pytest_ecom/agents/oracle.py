"""The oracle: replays a task's golden calls and says its required phrases.

It proves every task solvable through the same loop a real agent uses: one
tool call per step (required searches first, then the golden actions), then
one text reply holding every required phrase.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_ecom.agents.protocol import AgentContext, Message
from pytest_ecom.agents.registry import AgentSpec


class OracleAgent:
    def __init__(self, calls: list[tuple[str, dict[str, Any]]], outputs: list[str]) -> None:
        self._calls = calls
        self._outputs = outputs
        self._next = 0
        self._answered = False

    async def __call__(self, messages: list[Message], tools: list[dict[str, Any]], context: AgentContext) -> Message:
        if self._next < len(self._calls):
            name, args = self._calls[self._next]
            self._next += 1
            call = {"id": f"oracle_{self._next}", "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)}}
            return {"role": "assistant", "content": None, "tool_calls": [call]}
        if not self._answered:
            self._answered = True
            said = " ".join(self._outputs)
            return {"role": "assistant", "content": f"Done. {said}".strip()}
        return {"role": "assistant", "content": "Is there anything else I can help you with?"}


def _oracle_factory(context: AgentContext, task: Any) -> Any:
    sample = getattr(task, "sample", None)
    if sample is not None:  # a stage-wise sample: the expected answer is the reply
        reply = sample.answer
        if sample.effective_scorer == "json" and sample.field:
            for part in reversed(sample.field.split(".")):
                reply = {part: reply}
            reply = json.dumps(reply, ensure_ascii=False)
        return lambda messages, tools, context: reply
    return OracleAgent([*task.searches, *task.actions], list(task.task.expect.outputs))


ORACLE = AgentSpec("oracle", _oracle_factory, factory=True, needs_task=True)

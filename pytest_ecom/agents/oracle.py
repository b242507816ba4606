"""The oracle: replays a task's golden calls and says its required phrases.

It proves every task solvable through the same loop a real agent uses, and follows the
procedure a real agent is held to (docs/procedure.md): one tool call per step, the lookups and
required searches first; a golden write only once the values it needs have been seen (else it asks the
customer); a consequential write only after it listed the change in a reply and the customer
answered it; then one text reply holding every required phrase.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pytest_ecom.agents.protocol import AgentContext, Message
from pytest_ecom.agents.registry import AgentSpec
from pytest_ecom.tools import ToolSet
from pytest_ecom.tools.visible import Seen, needed_values, unseen
from pytest_ecom.trajectory import message_text

CallSpec = tuple[str, dict[str, Any]]


class OracleAgent:
    def __init__(self, reads: list[CallSpec], writes: list[CallSpec], outputs: list[str], tools: ToolSet | None = None,
                 confirm: list[bool] | None = None, script: list[str] | None = None,
                 today: date | None = None) -> None:
        self._calls = [*reads, *writes]
        self._first_write = len(reads)
        self._outputs = outputs
        self._tools = tools
        # per call: whether the customer must confirm it first (reads never)
        self._confirm = [False] * len(reads) + (confirm if confirm is not None else [False] * len(writes))
        self._proposed: dict[int, int] = {}  # call index -> the customer message it was proposed after
        self.proposals: list[int] = []  # the customer messages it answered with a proposal (importers read it)
        # what the customer will say: a write waits until the customer has said those of its values
        # it says at all (a real agent acts on the customer's request, not on a lookup's guess)
        self._today = today  # a date the customer says in words counts as its ISO form
        self._script = Seen(script or [], today)
        self._next = 0
        self._answered = False

    async def __call__(self, messages: list[Message], tools: list[dict[str, Any]], context: AgentContext) -> Message:
        if self._next < len(self._calls):
            i = self._next
            turn = sum(m.get("role") == "user" for m in messages)
            if i >= self._first_write and self._tools is not None:
                seen = _seen(messages, self._today)
                missing = self._missing(i, seen)
                if missing:
                    return _say(f"To do this I need a few details from you first: {', '.join(missing)}.")
                if self._confirm[i] and not (i in self._proposed and turn > self._proposed[i]):
                    return _say(self._proposal(turn, seen))
            name, args = self._calls[i]
            self._next += 1
            call = {"id": f"oracle_{self._next}", "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)}}
            return {"role": "assistant", "content": None, "tool_calls": [call]}
        if not self._answered:
            self._answered = True
            said = " ".join(self._outputs)
            return _say(f"Done. {said}".strip())
        return _say("Is there anything else I can help you with?")

    def _missing(self, i: int, seen: tuple[Seen, Seen]) -> list[str]:
        """The values write ``i`` still waits for: not seen at all, or not yet said by the customer."""
        assert self._tools is not None
        name, args = self._calls[i]
        everything, said = seen
        tool = self._tools[name]
        waiting = unseen(tool, args, everything)
        waiting += [(arg, value) for arg, value in needed_values(tool, args)
                    if self._script.has_value(value) and not said.has_value(value)]
        return list(dict.fromkeys(arg for arg, _ in waiting))

    def _proposal(self, turn: int, seen: tuple[Seen, Seen]) -> str:
        """Lists every pending write the customer must confirm that it could make now, and asks."""
        listed = []
        for j in range(self._next, len(self._calls)):
            if self._missing(j, seen):
                break  # later writes wait for their values; they are proposed when those arrive
            if self._confirm[j] and j not in self._proposed:
                self._proposed[j] = turn
                name, args = self._calls[j]
                listed.append(f"{name} {json.dumps(args, ensure_ascii=False)}")
        self.proposals.append(turn)
        return "Before I make this change, please confirm: " + "; ".join(listed) + ". Shall I go ahead?"


def _say(text: str) -> Message:
    return {"role": "assistant", "content": text}


def _seen(messages: list[Message], today: date | None) -> tuple[Seen, Seen]:
    """What the agent was shown (the system message, the customer's messages and tool results), and
    what the customer and the context said."""
    return (Seen((message_text(m) for m in messages if m.get("role") in ("system", "user", "tool")), today),
            Seen((message_text(m) for m in messages if m.get("role") in ("system", "user")), today))


def _oracle_factory(context: AgentContext, task: Any) -> Any:
    sample = getattr(task, "sample", None)
    if sample is not None:  # a stage-wise sample: the expected answer is the reply
        reply = sample.answer
        if sample.effective_scorer == "json" and sample.field:
            for part in reversed(sample.field.split(".")):
                reply = {part: reply}
            reply = json.dumps(reply, ensure_ascii=False)
        return lambda messages, tools, context: reply
    domain = task.domain
    unconfirmed = list(task.unconfirmed)
    confirm = []
    for call in task.actions:  # each opt-out excuses one golden write
        exempt = call in unconfirmed
        if exempt:
            unconfirmed.remove(call)
        confirm.append(call[0] in domain.consequential and not exempt)
    reads = [*task.lookups, *task.searches]  # lookups: where the writes' values come from
    return OracleAgent(reads, list(task.actions), list(task.task.expect.outputs), domain.tools, confirm,
                       list(task.task.customer.script), domain.today)


ORACLE = AgentSpec("oracle", _oracle_factory, factory=True, needs_task=True)

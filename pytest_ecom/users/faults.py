"""Telling a faulty simulated customer from a failing agent.

A model playing the customer can go wrong in ways that would wrongly count
against the agent. Each check below is deliberately simple, so a reader of the
error can verify it by eye:

- **invented id**: the customer states an identifier — a run of 6 or more
  digits (order, user, product numbers, phones) or a record key of the store
  that contains a digit (``u_1003``, ``p_kettle_2l``) — that appears neither
  in what it was given (goal, persona, the task's context) nor in anything the
  agent has said so far;
- **premature stop**: it sends the stop signal before the agent made a single
  tool call, on a task that needs tool calls;
- **broken role**: it talks like the assistant ("How can I help you?") or like
  a language model ("As an AI ...");
- **empty message**: it said nothing.

A fault raises :class:`CustomerFault`; the episode turns it into a trial error
with source ``customer`` and the evidence, left out of pass^k.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_ecom.trajectory import Trajectory
from pytest_ecom.users.contracts import CustomerTurn

DIGIT_RUN = re.compile(r"(?<![\d.])\d{6,}(?!\d)")
ROLE_BREAK_PHRASES = (
    "how can i help you", "how may i help you", "how can i assist you", "how may i assist you",
    "is there anything else i can help", "as an ai", "i am an ai", "i'm an ai", "as a language model",
    "i am a customer service", "i'm a customer service",
    "有什么可以帮您", "有什么可以帮你", "有什么能帮您", "很高兴为您服务", "我是客服", "作为ai", "作为一个ai", "作为人工智能",
)
_SEPARATORS = re.compile(r"[\s\-]+")
_MAX_DEPTH = 5  # nested tables (platform → shop → user → order) keep their ids a few levels down


class CustomerFault(Exception):
    """The simulated customer, not the agent, went wrong; ``text`` is the offending message."""

    def __init__(self, kind: str, evidence: str, text: str) -> None:
        super().__init__(f"customer fault ({kind}): {evidence}")
        self.kind = kind
        self.evidence = evidence
        self.text = text


def _looks_like_id(key: str) -> bool:
    return any(c.isdigit() for c in key) and (len(key) >= 6 if key.isdigit() else len(key) >= 2)


def _keys(value: Any, depth: int) -> Iterable[str]:
    if depth > _MAX_DEPTH or not isinstance(value, Mapping):
        return
    for key, inner in value.items():
        if isinstance(key, str) and _looks_like_id(key):
            yield key
        yield from _keys(inner, depth + 1)


_STORE_IDS: dict[int, tuple[Any, frozenset[str]]] = {}


def store_ids(base: Mapping[str, Any]) -> frozenset[str]:
    """Record keys of a store that look like ids; computed once per loaded store."""
    cached = _STORE_IDS.get(id(base))
    if cached is None or cached[0] is not base:
        cached = (base, frozenset(k for table in base.values() for k in _keys(table, 1)))
        _STORE_IDS[id(base)] = cached
    return cached[1]


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text.casefold())


def _stated(key: str, text: str) -> bool:
    """``key`` occurs in ``text`` as a whole id (not inside a longer ASCII word or number)."""
    if key not in text:
        return False
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])", text) is not None


@dataclass(frozen=True)
class Referee:
    """Reviews each message of an LLM customer against what that customer could know."""

    given: str  # goal, persona and context: everything the customer was told
    ids: frozenset[str]  # the store's record keys that look like ids
    needs_calls: bool  # the task cannot be solved without tool calls

    def __call__(self, turn: CustomerTurn, traj: Trajectory) -> None:
        text = turn.text
        if not text.strip():
            raise CustomerFault("empty message", "the customer's model returned an empty message", text)
        lowered = text.casefold()
        phrase = next((p for p in ROLE_BREAK_PHRASES if p in lowered), None)
        if phrase is not None:
            raise CustomerFault("broken role", f"the customer spoke like the assistant ({phrase!r})", text)
        invented = self.invented_ids(text, traj.replies)
        if invented:
            shown = ", ".join(repr(i) for i in invented)
            raise CustomerFault("invented id", f"the customer stated {shown}, found neither in its goal, persona "
                                               "or context nor in anything the agent said", text)
        if turn.stop and turn.end_reason == "customer_stop" and self.needs_calls and not (traj.calls or traj.replies):
            # Only before the agent said or did anything: a customer who gives up on an agent that
            # talks but never acts is that agent's failure, and is scored as one.
            raise CustomerFault("premature stop", "the customer sent the stop signal before the agent answered "
                                                  "at all (the task needs tool calls)", text)

    def invented_ids(self, text: str, agent_said: Iterable[str]) -> list[str]:
        """Ids in ``text`` the customer could not have known, in order of appearance."""
        heard = "\n".join([self.given, *agent_said])
        known, known_compact = heard.casefold(), _compact(heard)
        found = [m.group() for m in DIGIT_RUN.finditer(text)]
        found += sorted((k for k in self.ids if _stated(k, text)), key=text.index)
        out: list[str] = []
        for candidate in found:
            if candidate in out or candidate.casefold() in known or _compact(candidate) in known_compact:
                continue
            out.append(candidate)
        return out

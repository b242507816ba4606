"""What a trial leaves behind: the conversation, the calls made, the final store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pytest_ecom.store import Store

Message = dict[str, Any]


@dataclass(frozen=True)
class MadeCall:
    """A tool call the agent made, as executed (arguments normalised); ``sent`` is what the agent
    sent, parsed from JSON where it was JSON (the reference's exact-match scoring reads it)."""

    name: str
    arguments: dict[str, Any]
    ok: bool
    sent: Any = None


@dataclass
class Trajectory:
    """A trial's record of events. ``transcript`` entries carry ``t_ms`` (since start) and ``ms``
    (duration); ``crash`` is set when the agent raised or answered with something that is not a
    message (the agent's fault: the trial is scored and fails)."""

    messages: list[Message] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    calls: list[MadeCall] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    end_reason: str = "running"
    turns: int = 0
    timings: dict[str, float] = field(default_factory=lambda: {"agent_s": 0.0, "tools_s": 0.0, "customer_s": 0.0})
    store: Store | None = None
    crash: dict[str, str] | None = None
    scores: dict[str, float] = field(default_factory=dict)  # model-given scores (similarity, judge)


def as_sent(arguments: Any) -> Any:
    """Tool-call arguments (or a tool result) as sent: parsed when they are JSON text, else as they are."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse: kept as text
            return arguments
    return arguments


def message_text(message: Message) -> str:
    """A message's text: its content, or the text parts of a multi-part content."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""

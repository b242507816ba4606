"""What a trial leaves behind: the conversation, the calls made, the final store."""

from __future__ import annotations

import json
from collections.abc import Mapping
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


# What :func:`trajectory_record` keeps of each field of a Trajectory (every field is kept: a field added
# later must be added here too, or a logged trial could not be scored again; a test checks this).
KEPT_FIELDS = ("messages", "transcript", "calls", "replies", "end_reason", "turns", "timings", "store", "crash",
               "scores")


def trajectory_record(traj: Trajectory) -> dict[str, Any]:
    """A trajectory as JSON-ready data: the conversation as the agent saw it (``messages``: the system
    prompt, customer turns, the agent's messages and tool calls, each tool result), the calls as
    executed (``ok``, ``sent``), the replies, how it ended, and the final store as the records the
    trial wrote (``store_overlay``; None when the trial had no store, like a stage-wise sample).

    The ``transcript`` is left out: the trial record carries it already."""
    return {
        "messages": traj.messages,
        "calls": [{"name": c.name, "arguments": c.arguments, "ok": c.ok, "sent": c.sent} for c in traj.calls],
        "replies": traj.replies,
        "end_reason": traj.end_reason,
        "turns": traj.turns,
        "crash": traj.crash,
        "scores": traj.scores,
        "store_overlay": traj.store.overlay_records() if traj.store is not None else None,
    }


def trajectory_from_record(data: Mapping[str, Any], store: Store | None,
                           transcript: list[dict[str, Any]] | None = None,
                           timings: Mapping[str, float] | None = None) -> Trajectory:
    """The :class:`Trajectory` a :func:`trajectory_record` describes. Its writes are applied to
    ``store``, a fresh store of the unit the trial ran (scoring compares stores on one base)."""
    overlay = data.get("store_overlay")
    return Trajectory(
        messages=list(data.get("messages") or []),
        transcript=list(transcript or []),
        calls=[MadeCall(c["name"], dict(c.get("arguments") or {}), bool(c.get("ok")), c.get("sent"))
               for c in data.get("calls") or []],
        replies=list(data.get("replies") or []),
        end_reason=str(data.get("end_reason", "unknown")),
        turns=int(data.get("turns", 0)),
        timings=dict(timings or {}),
        store=store.restore(overlay) if overlay is not None and store is not None else None,
        crash=data.get("crash"),
        scores=dict(data.get("scores") or {}),
    )


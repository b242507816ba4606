"""The agent contract.

An agent is any callable ``agent(messages, tools, context)`` (sync or async)
taking OpenAI-format chat messages and tool definitions and returning one
assistant message: a dict with ``content`` and/or ``tool_calls`` (or just a
string, meaning a text reply). The harness, never the agent, executes tool
calls and calls the agent again until it answers in text.

A stateful agent is registered as a *factory*: called once per trial with the
trial's :class:`AgentContext`, it returns the agent; the agent may define
``setup()`` and ``teardown()`` (sync or async), run around the trial.

An *MCP agent* (``uses_mcp = True`` on the agent or its factory, or ``register_agent(...,
uses_mcp=True)``) calls the store's tools itself, over the MCP endpoint at ``context.mcp_url``:
it is sent the conversation's text (no tool calls, no tools) and answers with text alone.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_ecom.errors import ProviderError
from pytest_ecom.trajectory import Message

__all__ = ["Agent", "AgentContext", "AgentReplyError", "Message", "ProviderError", "as_assistant_message"]


@dataclass(frozen=True)
class AgentContext:
    """What a real deployment would know in this conversation. Never the expected results."""

    store: str
    policy: str
    info: Mapping[str, str]  # the task's agent context: user id, shop, ...
    language: str
    trial: int
    seed: int
    options: Mapping[str, Any] = field(default_factory=dict)  # run-wide settings (models, ...)
    # The trial's MCP endpoint (streamable HTTP on 127.0.0.1) when the trial serves its tools over
    # MCP (``--ecom-mcp``, or an agent with ``uses_mcp``); None when the harness runs tool calls.
    mcp_url: str | None = None


class Agent(Protocol):
    def __call__(
        self, messages: list[Message], tools: list[dict[str, Any]], context: AgentContext
    ) -> Message | str | Awaitable[Message | str]: ...


class AgentReplyError(Exception):
    """The agent returned something that is not an assistant message."""




def as_assistant_message(reply: Any) -> Message:
    """Check and normalise what an agent returned into an OpenAI assistant message."""
    if isinstance(reply, str):
        reply = {"role": "assistant", "content": reply}
    if hasattr(reply, "model_dump"):  # e.g. a litellm/openai message object
        reply = reply.model_dump()
    if not isinstance(reply, Mapping):
        raise AgentReplyError(
            f"the agent returned {type(reply).__name__}; return a str or a dict like "
            "{'role': 'assistant', 'content': ..., 'tool_calls': [...]}"
        )
    content = reply.get("content")
    calls = reply.get("tool_calls") or []
    if content is not None and not isinstance(content, str):
        raise AgentReplyError(f"the agent's 'content' is {type(content).__name__}; it must be a string or None")
    if not isinstance(calls, list):
        raise AgentReplyError("the agent's 'tool_calls' must be a list")
    message: Message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [_tool_call(c, i) for i, c in enumerate(calls)]
    elif not content:
        raise AgentReplyError("the agent returned neither text nor tool calls")
    return message


def _tool_call(call: Any, index: int) -> dict[str, Any]:
    if hasattr(call, "model_dump"):
        call = call.model_dump()
    fn = call.get("function") if isinstance(call, Mapping) else None
    if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
        raise AgentReplyError(f"tool call #{index + 1} has no function name; use {{'function': {{'name': ..., 'arguments': '...'}}}}")
    arguments = fn.get("arguments", "{}")
    if isinstance(arguments, Mapping):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {
        "id": str(call.get("id") or f"call_{index + 1}"),
        "type": "function",
        "function": {"name": fn["name"], "arguments": arguments if arguments is not None else "{}"},
    }

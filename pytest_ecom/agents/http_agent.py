"""An agent behind an HTTP endpoint: ``--agent=http://127.0.0.1:PORT/path``.

For each step the harness POSTs one JSON request (:data:`REQUEST_SCHEMA`) and reads one JSON reply
(:data:`REPLY_SCHEMA`): the conversation so far in OpenAI chat format, the store's tools (or, when
the trial serves them over MCP, the MCP endpoint's URL instead), what a deployment would know about
the conversation, and a conversation id that stays the same for the whole trial, so a service that
keeps its own history can find it. The reply is one OpenAI assistant message; with MCP, text alone.

Whose fault a failure is decides the trial's outcome: a timeout, a connection error or a 5xx
answer is the service's infrastructure (a provider error: the trial is an error, left out of
pass^k); a 4xx answer or a body that is not an assistant message is the agent's answer (the trial
is scored and fails).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from pytest_ecom.agents.protocol import AgentContext, AgentReplyError, Message
from pytest_ecom.errors import ProviderError
from pytest_ecom.models import llm

WIRE_VERSION = 1
_SHOWN = 300  # characters of a bad reply quoted in the trial's failure

_MESSAGE = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"enum": ["system", "user", "assistant", "tool"]},
        "content": {"type": ["string", "null"]},
        "tool_calls": {"type": "array", "items": {"$ref": "#/$defs/tool_call"}},
        "tool_call_id": {"type": "string"},
        "name": {"type": "string"},
    },
}
_TOOL_CALL = {
    "type": "object",
    "required": ["function"],
    "properties": {
        "id": {"type": "string"},
        "type": {"const": "function"},
        "function": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "arguments": {"type": ["string", "object"], "description": "JSON text (OpenAI's form) or an object"}}},
    },
}

REQUEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:pytest-ecom:schema:http-agent-request:v{WIRE_VERSION}",
    "title": "pytest-ecom HTTP agent request",
    "description": "POSTed to the agent's URL for every step of a trial (Content-Type: application/json).",
    "type": "object",
    "required": ["version", "conversation_id", "messages", "tools", "mcp_url", "context"],
    "properties": {
        "version": {"const": WIRE_VERSION},
        "conversation_id": {"type": "string", "description": "the same for every request of one trial; "
                            "new for every trial (and every re-run of a trial)"},
        "messages": {"type": "array", "items": {"$ref": "#/$defs/message"},
                     "description": "the conversation so far, OpenAI chat format, the store's policy first "
                                    "(system). With MCP: system, customer and agent text only"},
        "tools": {"type": "array", "items": {"type": "object"},
                  "description": "OpenAI function definitions of the store's tools; empty with MCP"},
        "mcp_url": {"type": ["string", "null"],
                    "description": "the trial's MCP endpoint (streamable HTTP); null when the harness runs "
                                   "the tool calls"},
        "context": {"type": "object", "required": ["store", "policy", "info", "language", "trial", "seed"],
                    "properties": {"store": {"type": "string"}, "policy": {"type": "string"},
                                   "info": {"type": "object", "additionalProperties": {"type": "string"}},
                                   "language": {"type": "string"}, "trial": {"type": "integer"},
                                   "seed": {"type": "integer"}}},
    },
    "$defs": {"message": _MESSAGE, "tool_call": _TOOL_CALL},
}

REPLY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"urn:pytest-ecom:schema:http-agent-reply:v{WIRE_VERSION}",
    "title": "pytest-ecom HTTP agent reply",
    "description": "The body of a 200 answer: one assistant message. Text and/or tool calls; with MCP "
                   "(mcp_url set) text alone, the tools having been called over MCP.",
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"const": "assistant"},
        "content": {"type": ["string", "null"]},
        "tool_calls": {"type": "array", "items": {"$ref": "#/$defs/tool_call"}},
    },
    "$defs": {"tool_call": _TOOL_CALL},
}


def http_agent_json_schema() -> dict[str, Any]:
    """The wire format: ``{"request": ..., "reply": ...}`` (``pytest-ecom schema --http-agent``)."""
    return {"version": WIRE_VERSION, "request": REQUEST_SCHEMA, "reply": REPLY_SCHEMA}


class HttpAgent:
    """One trial's conversation with the service at ``url`` (one conversation id)."""

    def __init__(self, url: str, context: AgentContext) -> None:
        self.url = url
        self.conversation_id = uuid.uuid4().hex
        self.uses_mcp = context.mcp_url is not None
        self._client: httpx.AsyncClient | None = None  # one per trial: its connections are reused step to step

    def request(self, messages: list[Message], tools: list[dict[str, Any]], context: AgentContext) -> dict[str, Any]:
        return {
            "version": WIRE_VERSION,
            "conversation_id": self.conversation_id,
            "messages": messages,
            "tools": [] if self.uses_mcp else tools,
            "mcp_url": context.mcp_url,
            "context": {"store": context.store, "policy": context.policy, "info": dict(context.info),
                        "language": context.language, "trial": context.trial, "seed": context.seed},
        }

    async def __call__(self, messages: list[Message], tools: list[dict[str, Any]], context: AgentContext) -> Any:
        timeout = llm.settings().timeout_s
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=timeout, trust_env=False)
        try:
            answer = await self._client.post(self.url, json=self.request(messages, tools, context))
        except httpx.TimeoutException:
            raise ProviderError(f"the HTTP agent at {self.url} did not answer within {timeout:g} s "
                                "(raise --ecom-call-timeout for a slower service)") from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"the HTTP agent at {self.url} cannot be reached: {type(exc).__name__}: {exc}") from None
        if answer.status_code >= 500:
            raise ProviderError(f"the HTTP agent at {self.url} answered HTTP {answer.status_code}: "
                                f"{answer.text[:_SHOWN]}")
        if answer.status_code != 200:
            raise AgentReplyError(f"the HTTP agent answered HTTP {answer.status_code}: {answer.text[:_SHOWN]}")
        try:
            reply = answer.json()
        except (ValueError, UnicodeDecodeError):
            raise AgentReplyError(f"the HTTP agent's answer is not JSON: {answer.text[:_SHOWN]!r}") from None
        if not isinstance(reply, dict) or reply.get("role", "assistant") != "assistant":
            raise AgentReplyError("the HTTP agent's answer is not an assistant message: "
                                  f"{json.dumps(reply, ensure_ascii=False)[:_SHOWN]}")
        return reply

    async def teardown(self) -> None:
        """The trial is over: close its connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

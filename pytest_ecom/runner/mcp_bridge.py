"""A harness-driven agent run as an MCP agent (``--ecom-mcp`` with an agent that returns tool calls,
the oracle included): the bridge plays the agent's own tool loop, making each call it returns over
the trial's MCP endpoint, and answers the harness with the agent's text.

So every call goes over the wire as a deployed MCP agent's would, and is recorded by the
endpoint, not by the harness's loop. The agent sees what it would see without MCP: the tools as
the endpoint lists them (in OpenAI's form) and the conversation with its own calls and results.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, TypeVar

from pytest_ecom.agents.protocol import AgentContext, AgentReplyError, Message, as_assistant_message
from pytest_ecom.runner.episode import call_agent_code, describe

T = TypeVar("T")


class McpBridge:
    uses_mcp = True

    def __init__(self, agent: Any, max_steps: int) -> None:
        self.agent = agent
        self.max_steps = max_steps
        self.history: list[Message] = []  # the agent's own view: the chat plus its calls and results
        self._seen = 0  # chat messages already in the history
        self._tools: list[dict[str, Any]] | None = None
        self._client: Any = None
        self._holder: asyncio.Task[None] | None = None
        self._done = asyncio.Event()
        # the agent's own setup and teardown run as the bridge's
        for method in ("setup", "teardown"):
            if callable(getattr(agent, method, None)):
                setattr(self, method, getattr(agent, method))

    async def __call__(self, messages: list[Message], tools: list[dict[str, Any]], context: AgentContext) -> str:
        from pytest_ecom.serving.mcp_tools import result_text

        self.history.extend(messages[self._seen:])
        client = await _harness_side(self._connected(context.mcp_url))
        if self._tools is None:
            listed = (await _harness_side(client.list_tools())).tools
            self._tools = [{"type": "function", "function": {"name": t.name, "description": t.description or "",
                                                             "parameters": t.input_schema}} for t in listed]
        for _ in range(self.max_steps):
            reply = as_assistant_message(await call_agent_code(self.agent, list(self.history), self._tools, context))
            self.history.append(reply)
            if not reply.get("tool_calls"):
                self._seen = len(messages) + 1  # the harness appends this reply to the chat
                return reply["content"]
            for call in reply["tool_calls"]:
                fn = call["function"]
                arguments = _object(fn["arguments"])
                if arguments is None:  # MCP carries an object only: answered here, as the harness would
                    text = json.dumps({"error": "arguments must be a JSON object"})
                else:
                    text = result_text(await _harness_side(client.call_tool(fn["name"], arguments)))
                self.history.append({"role": "tool", "tool_call_id": call["id"], "name": fn["name"], "content": text})
        raise AgentReplyError(f"the agent made tool calls for {self.max_steps} steps without answering")

    async def _connected(self, url: str | None) -> Any:
        """The trial's MCP client, opened on first use by a task of its own: a client's task group
        must be left by the task that entered it, and a trial's turns and its end run in different
        tasks. :meth:`aclose` ends it."""
        if self._client is not None:
            return self._client
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client
        from mcp_types.version import LATEST_MODERN_VERSION

        ready, self._done = asyncio.Event(), asyncio.Event()
        failed: list[BaseException] = []

        async def hold() -> None:
            try:
                # The endpoint is ours: plain HTTP on loopback (an HTTP client without a certificate
                # store to load, a third of a trial's MCP cost otherwise), speaking the stateless
                # revision (no probe of its version first).
                async with httpx2.AsyncClient(verify=False, timeout=httpx2.Timeout(30, read=300)) as http, \
                        Client(streamable_http_client(url, http_client=http), mode=LATEST_MODERN_VERSION) as client:
                    self._client = client
                    ready.set()
                    await self._done.wait()
            except Exception as exc:  # noqa: BLE001 - raised in the turn that wanted the client
                failed.append(exc)
            finally:
                self._client = None
                ready.set()

        self._holder = asyncio.get_running_loop().create_task(hold(), name="pytest-ecom MCP client")
        await ready.wait()
        if failed:
            raise failed[0]
        return self._client

    async def aclose(self) -> None:
        """Close the trial's MCP client (the trial is over)."""
        if self._holder is not None:
            self._done.set()
            await asyncio.gather(self._holder, return_exceptions=True)
            self._holder = None


async def _harness_side(step: Awaitable[T]) -> T:
    """A step of the harness's own MCP client: its failure (no connection, a timeout, a broken
    stream) is the harness's, a trial error, never the agent's failure."""
    try:
        return await step
    except Exception as exc:
        raise ConnectionError(f"the harness's MCP client failed: {describe(exc)}") from exc


def _object(arguments: Any) -> dict[str, Any] | None:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except (ValueError, RecursionError):
            return None
    return arguments if isinstance(arguments, dict) else None

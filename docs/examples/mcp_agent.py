"""An MCP agent built on the OpenAI Agents SDK (docs/agents.md, "MCP agents").

The harness serves each trial's store tools over MCP and puts the endpoint's URL in
``context.mcp_url``; this agent connects the SDK's streamable HTTP MCP client to it, lets the SDK
run its own tool loop against an OpenAI-compatible model, and answers the harness with text.

    pytest tasks/ --agent=mcp_agent:OpenAIAgentsMcp --agent-model=gpt-4o-mini

(``--agent-base-url`` for another OpenAI-compatible server; run it from this folder, or put the
file where Python finds it.)
"""

from __future__ import annotations

from typing import Any

from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
from agents.mcp import MCPServerStreamableHttp
from openai import AsyncOpenAI

set_tracing_disabled(True)  # the SDK would upload traces of every run to OpenAI


class OpenAIAgentsMcp:
    """One trial's agent (a class: the harness builds one per trial with the trial's context)."""

    uses_mcp = True  # the harness serves the tools over MCP and sends the conversation's text only

    def __init__(self, context: Any) -> None:
        options = context.options
        self.model = OpenAIChatCompletionsModel(
            model=(options.get("agent_model") or "gpt-4o-mini").removeprefix("openai/"),
            openai_client=AsyncOpenAI(base_url=options.get("agent_base_url"), api_key="unused-on-loopback"
                                      if options.get("agent_base_url") else None),
        )

    async def __call__(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], context: Any) -> str:
        instructions = messages[0]["content"]  # the store's policy and the conversation's context
        turns = [{"role": m["role"], "content": m["content"]} for m in messages[1:]]
        # A connection per turn: the SDK's MCP client belongs to the task that opened it.
        async with MCPServerStreamableHttp(params={"url": context.mcp_url}, name="store",
                                           cache_tools_list=True) as store:
            agent = Agent(name="support", instructions=instructions, model=self.model, mcp_servers=[store])
            result = await Runner.run(agent, input=turns, max_turns=20)
        return str(result.final_output)

"""The built-in ``litellm`` agent: any model litellm supports, one model call per step.

The harness runs the tool loop; the agent sends the conversation (with the store's policy
as system prompt) and the tool definitions, and returns the model's message. Choose the
model with ``--agent-model`` (and ``--agent-base-url`` for an OpenAI-compatible server).
"""

from __future__ import annotations

from typing import Any

from pytest_ecom.agents.protocol import AgentContext, Message
from pytest_ecom.agents.registry import AgentSpec
from pytest_ecom.models.llm import chat


class LitellmAgent:
    def __init__(self, context: AgentContext) -> None:
        self.model = context.options.get("agent_model")
        self.base_url = context.options.get("agent_base_url")
        if not self.model:
            raise ValueError("--agent=litellm needs --agent-model (e.g. openai/gpt-4o-mini)")

    async def __call__(self, messages: list[Message], tools: list[dict[str, Any]], context: AgentContext) -> Message:
        return await chat(self.model, messages, tools, self.base_url, seed=context.seed)


LITELLM = AgentSpec("litellm", LitellmAgent, factory=True)

"""Your agent, registered for pytest-ecom (``pytest-ecom init`` wrote this file; edit it freely).

An agent is a function (sync or async) that receives the conversation so far (OpenAI-format
messages, the first one the store's policy), the tool definitions and the trial's context, and
returns one assistant message: text, or ``tool_calls`` that the harness runs before calling it
again. It never sees the expected results.

This one is the shape most teams start from: it adds a house rule to the policy and lets a model
decide, through ``pytest_ecom.chat`` (litellm underneath, with retries, token and cost accounting
and record/replay). Replace the body with a call to your own agent. Run it with a model:

    pytest tasks/ --agent=my_agent --agent-model=openai/gpt-4o-mini --repeat=3

(add ``--agent-base-url=http://127.0.0.1:8080/v1`` for a model behind an OpenAI-compatible server).
Without a model every trial is an error; ``--agent=oracle`` checks the tasks offline.
"""

from __future__ import annotations

from typing import Any

from pytest_ecom import AgentContext, ProviderError, chat, register_agent

HOUSE_RULE = ("Before you cancel, return or exchange anything, say which order and item you will change "
              "and ask the customer to confirm. Never guess an order number: look it up.")


@register_agent("my_agent")
async def my_agent(messages: list[dict[str, Any]], tools: list[dict[str, Any]],
                   context: AgentContext) -> dict[str, Any]:
    model = context.options.get("agent_model")
    if not model:
        raise ProviderError("my_agent needs a model: add --agent-model=openai/gpt-4o-mini "
                            "(and --agent-base-url=URL for a local server)")
    policy, conversation = messages[:1], messages[1:]
    prompt = [*policy, {"role": "system", "content": HOUSE_RULE}, *conversation]
    return await chat(model, prompt, tools, base_url=context.options.get("agent_base_url"), seed=context.seed)

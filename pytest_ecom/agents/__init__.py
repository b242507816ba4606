"""Agents: the protocol, the registry behind ``--agent``, and the built-in oracle."""

from pytest_ecom.agents.protocol import Agent, AgentContext, AgentReplyError, Message, ProviderError
from pytest_ecom.agents.registry import (AgentSpec, UnknownAgent, as_agent_spec, known_agents, register_agent,
                                         resolve_agent)

__all__ = [
    "Agent", "AgentContext", "AgentReplyError", "AgentSpec", "Message", "ProviderError", "UnknownAgent", "as_agent_spec",
    "known_agents",
    "register_agent", "resolve_agent",
]

"""Resolving ``--agent`` to an agent: registered names, entry points, ``module:attr``."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, TypeVar

ENTRY_POINT_GROUP = "pytest_ecom.agents"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class AgentSpec:
    """A named agent. With ``factory=True`` the target is called once per trial with the context.

    ``needs_task`` (reference agents only, such as ``oracle``) also passes the
    prepared task to the factory; an agent under test must never use it. ``uses_mcp``: the
    agent calls the tools itself over the trial's MCP endpoint (``context.mcp_url``).
    """

    name: str
    target: Callable[..., Any]
    factory: bool = False
    needs_task: bool = False
    uses_mcp: bool = False


class UnknownAgent(LookupError):
    """``--agent`` names nothing that can be loaded as an agent."""


_REGISTRY: dict[str, AgentSpec] = {}
_BUILTIN = {"oracle": "pytest_ecom.agents.oracle:ORACLE", "litellm": "pytest_ecom.agents.litellm_agent:LITELLM"}


def register_agent(name: str, target: Callable[..., Any] | None = None, *, factory: bool = False,
                   uses_mcp: bool = False) -> Any:
    """Register an agent under ``name``; usable as a call or as a decorator (``uses_mcp``: an MCP
    agent, see :class:`AgentSpec`; an agent with a true ``uses_mcp`` attribute is one too).

    >>> @register_agent("echo")
    ... def echo(messages, tools, context):
    ...     return "You said: " + messages[-1]["content"]
    """

    def add(obj: F) -> F:
        _REGISTRY[name] = AgentSpec(name, obj, factory=factory, uses_mcp=uses_mcp or wants_mcp(obj))
        return obj

    return add(target) if target is not None else add


def as_agent_spec(name: str, obj: Any) -> AgentSpec:
    """An :class:`AgentSpec` as given, or one made of an agent callable (a class is a per-trial factory)."""
    if isinstance(obj, AgentSpec):
        return obj
    if callable(obj):
        return AgentSpec(name, obj, factory=isinstance(obj, type), uses_mcp=wants_mcp(obj))
    raise UnknownAgent(f"--agent={name}: it is a {type(obj).__name__}, not a callable agent or AgentSpec")


def wants_mcp(obj: Any) -> bool:
    """Whether an agent (or its factory, or a class) declares ``uses_mcp = True``."""
    return getattr(obj, "uses_mcp", False) is True


def _load_target(target: str) -> Any:
    module, _, attr = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def known_agents(extra: dict[str, Any] | None = None) -> list[str]:
    names = set(_BUILTIN) | set(_REGISTRY) | set(extra or {})
    names |= {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def resolve_agent(name: str, extra: dict[str, Any] | None = None) -> AgentSpec:
    """Find an agent by name (decorator, conftest hook ``extra``, entry point, built-in) or ``module:attr``."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name.startswith(("http://", "https://")):  # an agent served over HTTP (agents/http_agent.py)
        from pytest_ecom.agents.http_agent import HttpAgent

        return AgentSpec(name, functools.partial(HttpAgent, name), factory=True)  # a conversation id per trial
    if extra and name in extra:
        return as_agent_spec(name, extra[name])
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return as_agent_spec(name, ep.load())
    if name in _BUILTIN:
        return as_agent_spec(name, _load_target(_BUILTIN[name]))
    if ":" in name:
        try:
            return as_agent_spec(name, _load_target(name))
        except Exception as exc:  # any import-time failure of the user's module is a usage error
            raise UnknownAgent(f"--agent={name}: cannot load it ({type(exc).__name__}: {exc})") from None
    raise UnknownAgent(
        f"--agent={name}: no agent of that name. Known agents: {', '.join(known_agents(extra))}. "
        "Register one with @pytest_ecom.register_agent, the pytest_ecom_agents hook, the "
        f"{ENTRY_POINT_GROUP!r} entry point group, or pass module:attr."
    )

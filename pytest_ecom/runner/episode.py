"""One conversation between the simulated customer and the agent.

customer message → agent → (harness runs tool calls, feeds results back, calls
the agent again) … → agent text → next customer message; until the customer's
stop signal, the turn limit or the trial timeout. Everything is recorded with
timings. Exceptions raised by the harness, the customer or the agent become an
:class:`EpisodeError` carrying the partial trajectory: a trial error, never an
agent failure.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_ecom.agents.protocol import AgentContext, AgentReplyError, Message, as_assistant_message, call_optional, maybe_await
from pytest_ecom.scoring import MadeCall
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet
from pytest_ecom.users.scripted import CustomerTurn


class Customer(Protocol):
    async def next_message(self, agent_reply: str | None) -> CustomerTurn: ...


@dataclass
class Trajectory:
    """What happened in a trial. ``transcript`` entries carry ``t_ms`` (since start) and ``ms`` (duration)."""

    messages: list[Message] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    calls: list[MadeCall] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    end_reason: str = "running"
    turns: int = 0
    timings: dict[str, float] = field(default_factory=lambda: {"agent_s": 0.0, "tools_s": 0.0, "customer_s": 0.0})
    store: Store | None = None


class EpisodeError(Exception):
    """The trial could not be completed for a reason that is not the agent's answer."""

    def __init__(self, source: str, message: str, trajectory: Trajectory, detail: str = "") -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
        self.trajectory = trajectory
        self.detail = detail


@dataclass(frozen=True)
class EpisodeSetup:
    agent: Any  # the per-trial agent callable
    tools: ToolSet
    store: Store
    customer: Customer
    context: AgentContext
    max_turns: int
    max_steps: int
    timeout_s: float


def system_prompt(context: AgentContext) -> str:
    lines = [context.policy.strip()]
    if context.info:
        lines += ["", "## Conversation context"] + [f"- {k}: {v}" for k, v in context.info.items()]
    return "\n".join(lines).strip()


class _Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def since(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 3)


async def _conversation(setup: EpisodeSetup, traj: Trajectory, clock: _Clock) -> None:
    tools_schema = setup.tools.schemas()
    agent_reply: str | None = None
    while True:
        if traj.turns >= setup.max_turns:
            traj.end_reason = "max_turns"
            return
        t0 = time.perf_counter()
        try:
            turn = await setup.customer.next_message(agent_reply)
        except Exception as exc:
            raise EpisodeError("customer", f"{type(exc).__name__}: {exc}", traj, traceback.format_exc()) from exc
        took = time.perf_counter() - t0
        traj.timings["customer_s"] += took
        if turn.stop:
            traj.transcript.append({"role": "user", "content": turn.text, "stop": True, "t_ms": clock.since()})
            traj.end_reason = "customer_stop"
            return
        traj.turns += 1
        traj.messages.append({"role": "user", "content": turn.text})
        traj.transcript.append({"role": "user", "content": turn.text, "t_ms": clock.since(), "ms": round(took * 1000, 3)})
        agent_reply = await _agent_turn(setup, traj, clock, tools_schema)
        if agent_reply is None:
            traj.end_reason = "max_steps"
            return


async def _agent_turn(setup: EpisodeSetup, traj: Trajectory, clock: _Clock, tools_schema: list) -> str | None:
    """Call the agent until it answers in text; None when it hit the step limit."""
    for _ in range(setup.max_steps):
        t0 = time.perf_counter()
        try:
            raw = await maybe_await(setup.agent(list(traj.messages), tools_schema, setup.context))
            message = as_assistant_message(raw)
        except AgentReplyError as exc:
            raise EpisodeError("agent", str(exc), traj) from exc
        except Exception as exc:
            raise EpisodeError("agent", f"{type(exc).__name__}: {exc}", traj, traceback.format_exc()) from exc
        took = time.perf_counter() - t0
        traj.timings["agent_s"] += took
        traj.messages.append(message)
        traj.transcript.append({**message, "t_ms": clock.since(), "ms": round(took * 1000, 3)})
        calls = message.get("tool_calls")
        if not calls:
            traj.replies.append(message["content"])
            return message["content"]
        for call in calls:
            fn = call["function"]
            t0 = time.perf_counter()
            try:
                result = setup.tools.call(setup.store, fn["name"], fn["arguments"])
            except Exception as exc:
                raise EpisodeError("tool", f"{fn['name']} raised {type(exc).__name__}: {exc}", traj,
                                   traceback.format_exc()) from exc
            took = time.perf_counter() - t0
            traj.timings["tools_s"] += took
            traj.calls.append(MadeCall(result.name, result.arguments, result.ok))
            tool_msg = {"role": "tool", "tool_call_id": call["id"], "name": fn["name"], "content": result.content}
            traj.messages.append(tool_msg)
            traj.transcript.append({**tool_msg, "ok": result.ok, "t_ms": clock.since(), "ms": round(took * 1000, 3)})
    return None


async def run_episode(setup: EpisodeSetup, agent_owner: Any = None) -> Trajectory:
    """Run one conversation; returns the trajectory or raises :class:`EpisodeError`.

    ``agent_owner`` is the object whose optional ``setup``/``teardown`` wrap the trial.
    """
    traj = Trajectory(store=setup.store)
    traj.messages.append({"role": "system", "content": system_prompt(setup.context)})
    clock = _Clock()
    owner = agent_owner if agent_owner is not None else setup.agent
    try:
        try:
            await call_optional(owner, "setup")
        except Exception as exc:
            raise EpisodeError("agent", f"setup failed: {type(exc).__name__}: {exc}", traj, traceback.format_exc()) from exc
        try:
            await asyncio.wait_for(_conversation(setup, traj, clock), timeout=setup.timeout_s)
        except TimeoutError:
            traj.end_reason = "timeout"
    finally:
        traj.timings["episode_s"] = round(time.perf_counter() - clock.start, 6)
        try:
            await call_optional(owner, "teardown")
        except Exception as exc:
            if traj.end_reason != "running":
                raise EpisodeError("agent", f"teardown failed: {type(exc).__name__}: {exc}", traj,
                                   traceback.format_exc()) from exc
    return traj

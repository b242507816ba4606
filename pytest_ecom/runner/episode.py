"""One conversation between the simulated customer and the agent.

customer message → agent → (harness runs tool calls, feeds results back, calls
the agent again) … → agent text → next customer message; until the customer's
stop signal (or a request for a human, or a repeated message: ``CustomerTurn.end_reason``),
the turn limit, the trial's tool budget (``tool_budget``: a failure) or the trial timeout.
Everything is recorded with timings.

Who is at fault decides the outcome. The agent raising, or answering with
something that is not a message, is the agent's failure: the episode stops and
the trial is scored (and fails). A :class:`ProviderError` (or a connection
error or timeout) raised by the agent or the customer's model, a crash or a
fault of the simulated customer (:class:`CustomerFault`, found by the episode's
referee), a crash of a tool, or a failing agent setup are not the agent's
answer: they become an :class:`EpisodeError`, a trial error left out of pass^k.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import inspect
import json
import sys
import threading
import time
import traceback
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_ecom.agents.protocol import Agent, AgentContext, AgentReplyError, as_assistant_message
from pytest_ecom.errors import ProviderError
from pytest_ecom.results.clean import safe_str
from pytest_ecom.scoring.procedure import TOOL_BUDGET
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet
from pytest_ecom.trajectory import MadeCall, Trajectory, as_sent
from pytest_ecom.users.contracts import Customer, CustomerTurn, Referee
from pytest_ecom.users.faults import CustomerFault

# Raised by an agent, these mean the infrastructure failed, not the agent's reasoning.
INFRASTRUCTURE_ERRORS = (ProviderError, ConnectionError, TimeoutError)
TRACEBACK_FRAMES = 4


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
    agent: Agent  # the per-trial agent callable
    tools: ToolSet
    store: Store
    customer: Customer
    context: AgentContext
    max_turns: int
    max_steps: int
    timeout_s: float
    referee: Referee | None = None  # set for a model-played customer (see users/faults.py)
    max_tool_calls: int | None = None  # the trial's tool budget; going over ends it (end_reason tool_budget)
    # The trial's MCP endpoint (serving/mcp_host.py) when the agent calls the tools itself over
    # MCP; None when the harness runs the tool calls the agent returns.
    served: Any = None


def system_prompt(context: AgentContext) -> str:
    lines = [context.policy.strip()]
    if context.info:
        lines += ["", "## Conversation context"] + [f"- {k}: {v}" for k, v in context.info.items()]
    return "\n".join(lines).strip()


# pytest_ecom itself, asyncio and the thread pool: frames there are the harness's, not the user's
_HARNESS_DIRS = (str(Path(__file__).resolve().parents[1]), str(Path(asyncio.__file__).parent),
                 str(Path(concurrent.futures.__file__).parent))


def short_traceback() -> str:
    """The current exception's last frames outside the harness: where the user's code failed."""
    exc = sys.exception()
    if exc is None:
        return ""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_HARNESS_DIRS)]
    lines = traceback.format_list(frames[-TRACEBACK_FRAMES:]) + traceback.format_exception_only(exc)
    return "".join(lines).rstrip()


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception, even one whose ``str()`` itself raises."""
    return f"{type(exc).__name__}: {safe_str(exc)}"


def agents_doing(exc: BaseException) -> bool:
    """Whether an exception out of agent code is the agent's doing: anything but Ctrl-C and the
    cancellation of the trial itself (its timeout, the session ending). A ``CancelledError`` the
    agent's own code raised while nobody cancelled the trial is the agent's."""
    if isinstance(exc, KeyboardInterrupt):
        return False
    if isinstance(exc, asyncio.CancelledError):
        task = asyncio.current_task()
        return task is None or not task.cancelling()
    return True


def is_async_callable(fn: Any) -> bool:
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))


async def call_agent_code(fn: Callable[..., Any], *args: Any) -> Any:
    """Await async agent code; run sync code in a thread of its own so it cannot block other trials."""
    if is_async_callable(fn):
        return await fn(*args)
    result = await in_own_thread(fn, *args)
    return await result if inspect.isawaitable(result) else result


# Threads running sync agent code. Each call gets its own daemon thread rather than a slot of a
# shared pool: a call still running after its trial timed out (Python cannot stop a thread) then
# holds no slot a later trial needs, and the session does not wait for it at exit.
_AGENT_THREADS: set[threading.Thread] = set()


async def in_own_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a new daemon thread, with this task's context (its trial's meter)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        if done.done():  # the trial timed out and stopped waiting
            return
        if ok:
            done.set_result(value)
        else:
            done.set_exception(value)

    def work() -> None:
        try:
            outcome = (True, context.run(fn, *args))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting trial, which sorts it
            outcome = (False, exc)
        finally:
            _AGENT_THREADS.discard(threading.current_thread())
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the session's loop is closed: nobody is waiting any more
            pass

    thread = threading.Thread(target=work, name=f"pytest-ecom agent {getattr(fn, '__name__', 'call')}", daemon=True)
    _AGENT_THREADS.add(thread)
    thread.start()
    return await done


def agent_threads_running() -> int:
    """Sync agent calls still running (their trials timed out): the session reports, never joins them."""
    return sum(thread.is_alive() for thread in list(_AGENT_THREADS))


class AgentCrashed(Exception):
    """The agent's fault (see ``Trajectory.crash``): ends the conversation, the trial is scored."""


class ToolBudgetSpent(Exception):
    """The agent asked for a tool call beyond the trial's budget: the conversation ends, the trial is
    scored and fails (the procedure dimension says why)."""



class _Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def since(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 3)


async def _conversation(setup: EpisodeSetup, traj: Trajectory, clock: _Clock) -> None:
    tools_schema = [] if setup.served is not None else setup.tools.schemas()
    agent_reply: str | None = None
    while True:
        if traj.turns >= setup.max_turns:
            traj.end_reason = "max_turns"
            return
        t0 = time.perf_counter()
        turn = await _customer_turn(setup, traj, clock, agent_reply)
        took = time.perf_counter() - t0
        traj.timings["customer_s"] += took
        if turn.stop:  # the stop signal, a request for a human, a repeated message
            traj.transcript.append({"role": "user", "content": turn.text, "stop": True, "t_ms": clock.since()})
            traj.end_reason = turn.end_reason
            return
        traj.turns += 1
        traj.messages.append({"role": "user", "content": turn.text})
        traj.transcript.append({"role": "user", "content": turn.text, "t_ms": clock.since(), "ms": round(took * 1000, 3)})
        agent_reply = await _agent_turn(setup, traj, clock, tools_schema)
        if agent_reply is None:
            traj.end_reason = "max_steps"
            return


async def _customer_turn(setup: EpisodeSetup, traj: Trajectory, clock: _Clock, agent_reply: str | None) -> CustomerTurn:
    """The customer's next message, reviewed; its faults and failures become an :class:`EpisodeError`."""
    try:
        turn = await setup.customer.next_message(agent_reply)
        if setup.referee is not None:
            setup.referee(turn, traj)
        return turn
    except CustomerFault as fault:
        traj.transcript.append({"role": "user", "content": fault.text, "fault": fault.kind, "t_ms": clock.since()})
        raise EpisodeError("customer", str(fault), traj) from fault
    except INFRASTRUCTURE_ERRORS as exc:  # the customer's model provider, not the customer, failed
        raise EpisodeError("provider", f"the customer's model failed: {describe(exc)}", traj,
                           short_traceback()) from exc
    except Exception as exc:
        raise EpisodeError("customer", describe(exc), traj, short_traceback()) from exc


async def ask_agent(agent: Any, traj: Trajectory, tools_schema: list, context: AgentContext,
                    mcp: bool = False) -> dict[str, Any]:
    """One agent call on the conversation so far, with faults sorted: provider → EpisodeError,
    the agent's own → ``traj.crash`` and :class:`AgentCrashed`. An MCP agent (``mcp``) is sent
    the conversation's text (:func:`chat_view`) and must answer with text."""
    try:
        raw = await call_agent_code(agent, chat_view(traj.messages) if mcp else list(traj.messages), tools_schema,
                                    context)
        message = as_assistant_message(raw)
        if mcp and message.get("tool_calls"):
            raise AgentReplyError("an MCP agent calls the tools over its MCP endpoint (context.mcp_url); it "
                                  "returned tool_calls for the harness to run: answer with text alone")
        return message
    except INFRASTRUCTURE_ERRORS as exc:
        raise EpisodeError("provider", describe(exc), traj, short_traceback()) from exc
    except AgentReplyError as exc:
        traj.crash = {"message": safe_str(exc), "traceback": ""}
        raise AgentCrashed from exc
    except BaseException as exc:  # SystemExit or CancelledError from agent code must not end the session
        if not agents_doing(exc):
            raise
        traj.crash = {"message": f"the agent raised {describe(exc)}", "traceback": short_traceback()}
        raise AgentCrashed from exc


def chat_view(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation as the chat channel carries it: the system prompt, the customer's and the
    agent's text. What an MCP agent is sent: its tool calls were its own (over MCP), and a
    deployed agent remembers them itself (an HTTP service by its conversation id); the trajectory
    still records them, in order, for scoring."""
    return [m for m in messages if m["role"] in ("system", "user") or (m["role"] == "assistant" and not m.get("tool_calls"))]


async def _agent_turn(setup: EpisodeSetup, traj: Trajectory, clock: _Clock, tools_schema: list) -> str | None:
    """Call the agent until it answers in text; None when it hit the step limit."""
    served = setup.served
    for _ in range(setup.max_steps):
        t0 = time.perf_counter()
        tools_before = traj.timings["tools_s"]
        try:
            message = await ask_agent(setup.agent, traj, tools_schema, setup.context, mcp=served is not None)
        except (AgentCrashed, EpisodeError):
            _raise_served_failure(served, traj)
            raise
        _raise_served_failure(served, traj)
        took = time.perf_counter() - t0
        # an MCP agent's tool calls ran while it was being asked: their time is the tools'
        traj.timings["agent_s"] += took - (traj.timings["tools_s"] - tools_before)
        traj.messages.append(message)
        traj.transcript.append({**message, "t_ms": clock.since(), "ms": round(took * 1000, 3)})
        calls = message.get("tool_calls")
        if not calls:
            traj.replies.append(message["content"])
            return message["content"]
        for call in calls:
            fn = call["function"]
            run_tool_call(setup, traj, clock, call["id"], fn["name"], fn["arguments"])
    return None


def _check_budget(setup: EpisodeSetup, traj: Trajectory) -> None:
    if setup.max_tool_calls is not None and len(traj.calls) >= setup.max_tool_calls:
        raise ToolBudgetSpent


def run_tool_call(setup: EpisodeSetup, traj: Trajectory, clock: _Clock, call_id: str, name: str,
                  arguments: Any) -> tuple[dict[str, Any], bool]:
    """Run one tool call on the trial's store and record it (the call, the tool's message); a
    crash of the tool, or of a model it asks, is an :class:`EpisodeError`. Returns the tool's
    message and whether the tool ran. A call beyond the trial's tool budget is not run: it ends the
    conversation (brute force must not be free), whether the harness or an MCP agent asked for it."""
    _check_budget(setup, traj)
    t0 = time.perf_counter()
    try:
        result = setup.tools.call(setup.store, name, arguments)
    except ProviderError as exc:  # a model the tool asks (a vision model) failed, not the tool
        raise EpisodeError("provider", f"{name}: {safe_str(exc)}", traj, short_traceback()) from exc
    except Exception as exc:
        raise EpisodeError("tool", f"{name} raised {describe(exc)}", traj, short_traceback()) from exc
    took = time.perf_counter() - t0
    traj.timings["tools_s"] += took
    traj.calls.append(MadeCall(result.name, result.arguments, result.ok, as_sent(arguments)))
    tool_msg = {"role": "tool", "tool_call_id": call_id, "name": name, "content": result.content}
    traj.messages.append(tool_msg)
    traj.transcript.append({**tool_msg, "ok": result.ok, "t_ms": clock.since(), "ms": round(took * 1000, 3)})
    return tool_msg, result.ok


async def _served_call(setup: EpisodeSetup, traj: Trajectory, clock: _Clock, name: str,
                       arguments: Any) -> tuple[str, bool]:
    """A call the agent made over MCP, recorded exactly where a harness-run call would be: an
    assistant message holding the call, then the tool's message, at the moment it arrived."""
    sent = arguments if isinstance(arguments, str) else json.dumps(arguments if arguments is not None else {},
                                                                   ensure_ascii=False)
    _check_budget(setup, traj)  # before recording: a call past the budget is neither run nor recorded
    call_id = f"mcp_{len(traj.calls) + 1}"  # an MCP agent's calls all come this way
    message = {"role": "assistant", "content": None,
               "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": sent}}]}
    traj.messages.append(message)
    traj.transcript.append({**message, "t_ms": clock.since(), "via": "mcp"})
    tool_msg, ok = run_tool_call(setup, traj, clock, call_id, name, arguments)
    return tool_msg["content"], ok


def _raise_served_failure(served: Any, traj: Trajectory) -> None:
    """A tool that crashed while the agent called it over MCP ends the trial as the harness's error."""
    failure = getattr(served, "failure", None)
    if failure is None:
        return
    if isinstance(failure, (EpisodeError, ToolBudgetSpent)):
        raise failure
    raise EpisodeError("tool", describe(failure), traj) from failure


async def lifecycle(owner: Any, method: str, traj: Trajectory) -> None:
    """Run the agent's optional ``setup``/``teardown``; a failure there is a trial error."""
    fn = getattr(owner, method, None)
    if not callable(fn):
        return
    try:
        await call_agent_code(fn)
    except BaseException as exc:
        if not agents_doing(exc):
            raise
        raise EpisodeError("agent", f"{method} failed: {describe(exc)}", traj, short_traceback()) from exc


async def run_episode(setup: EpisodeSetup) -> Trajectory:
    """Run one conversation; returns the trajectory or raises :class:`EpisodeError`."""
    traj = Trajectory(store=setup.store)
    traj.messages.append({"role": "system", "content": system_prompt(setup.context)})
    clock = _Clock()
    if setup.served is not None:  # from now on, a call over MCP runs on this trial's store, recorded here
        setup.served.call = functools.partial(_served_call, setup, traj, clock)
    await lifecycle(setup.agent, "setup", traj)
    try:
        await asyncio.wait_for(_conversation(setup, traj, clock), timeout=setup.timeout_s)
    except TimeoutError:
        traj.end_reason = "timeout"
    except AgentCrashed:
        traj.end_reason = "agent_crash"
    except ToolBudgetSpent:
        traj.end_reason = TOOL_BUDGET
    finally:
        traj.timings["episode_s"] = round(time.perf_counter() - clock.start, 6)
    await lifecycle(setup.agent, "teardown", traj)
    return traj

"""An end-to-end task's trial: a prepared task × an agent × a trial index → its episode's trajectory (or
error). Scoring it is ``runner/run.py``'s job.

With a model playing the customer, a trial whose customer was at fault (an error with source
``customer``) is run again, up to ``customer_retries`` times, each attempt from scratch (a new
agent, store and customer) with the customer's seed :func:`customer_seed` of the attempt.
Only the last attempt counts; the earlier ones are kept as evidence (``TrialRun.customer_attempts``).
Agent failures and provider errors are never retried.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pytest_ecom.agents import AgentContext, AgentSpec
from pytest_ecom.agents.registry import wants_mcp
from pytest_ecom.models import llm
from pytest_ecom.models.metering import TrialMeter
from pytest_ecom.prepare.task import PreparedTask
from pytest_ecom.results.clean import safe_str
from pytest_ecom.runner.episode import EpisodeError, EpisodeSetup, agents_doing, run_episode, short_traceback
from pytest_ecom.runner.mcp_bridge import McpBridge
from pytest_ecom.trajectory import Trajectory
from pytest_ecom.users import Customer, Referee, ScriptedCustomer
from pytest_ecom.users.faults import Referee as CustomerReferee
from pytest_ecom.users.faults import CustomerFault, store_ids
from pytest_ecom.users.llm_customer import CustomerModel, LLMCustomer
from pytest_ecom.users.quality import customer_messages, unoffered_confirmations

CUSTOMER_RETRIES = 1  # --ecom-customer-retries: reruns of a trial whose (model-played) customer was at fault


def trial_seed(task_id: str, trial: int) -> int:
    """A stable seed per (task id, trial index): independent of file path and repeat count."""
    digest = hashlib.sha256(f"pytest-ecom:{task_id}:{trial}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def customer_seed(task_id: str, trial: int, attempt: int) -> int:
    """The customer model's seed on attempt ``attempt`` (0-based) of a trial: the trial's seed on the
    first, so a run without customer faults is unchanged; then a digest of (task id, trial, attempt)."""
    if attempt == 0:
        return trial_seed(task_id, trial)
    digest = hashlib.sha256(f"pytest-ecom:{task_id}:{trial}:customer-attempt:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def make_agent(agent: AgentSpec, context: AgentContext, prepared: Any, traj: Trajectory) -> Any:
    """The trial's agent: the callable itself, or what its factory builds (a failing factory is
    returned as an :class:`EpisodeError`: a trial error, the agent never started)."""
    if not agent.factory:
        return agent.target
    try:
        return agent.target(context, prepared) if agent.needs_task else agent.target(context)
    except BaseException as exc:
        if not agents_doing(exc):
            raise
        traj.end_reason = "error"
        return EpisodeError("agent", f"factory failed: {type(exc).__name__}({safe_str(exc)!r})", traj, short_traceback())


@dataclass(frozen=True)
class TrialRun:
    """The result of running one trial's episode: a trajectory, or an error with the partial one."""

    task: Any  # PreparedTask or PreparedSample
    trial: int
    seed: int
    trajectory: Trajectory
    error: EpisodeError | None = None
    meter: TrialMeter | None = None  # its model calls (tokens, cost), set by the pool that ran it
    customer: dict[str, Any] | None = None  # a model-played customer's figures (the record's ``customer``)
    customer_attempts: tuple[dict[str, Any], ...] = ()  # earlier attempts, each a customer fault


def agent_context(prepared: PreparedTask, trial: int, options: Mapping[str, Any]) -> AgentContext:
    t = prepared.task
    return AgentContext(store=t.store, policy=prepared.domain.policy, info=dict(t.agent), language=t.language,
                        trial=trial, seed=trial_seed(t.id, trial), options=dict(options))


def make_customer(prepared: PreparedTask, seed: int, user: CustomerModel | None,
                  temperature: float | None = None) -> tuple[Customer, Referee | None]:
    """The scripted customer (offline default), or with a customer model the LLM customer and the
    referee that tells its faults from the agent's."""
    t = prepared.task
    if user is None:
        return ScriptedCustomer(t.customer.script), None
    persona = prepared.persona  # with the task's overrides (and a persona-grid variant's)
    given = "\n".join([t.customer.goal, persona.description, *t.agent.values()])
    referee = CustomerReferee(given, store_ids(prepared.domain.base), bool(prepared.searches or prepared.actions))
    return LLMCustomer(user, t.customer.goal, persona, t.language, seed, temperature), referee


async def run_task(prepared: PreparedTask, agent: AgentSpec, trial: int,
                    options: Mapping[str, Any] | None = None, timeout_s: float | None = None,
                    user: CustomerModel | None = None, customer_retries: int = CUSTOMER_RETRIES,
                    mcp: bool = False) -> TrialRun:
    """Run one trial. Never raises for a failure of the agent, customer or harness: see ``TrialRun.error``.

    ``user``: the model that plays the customer; without it the task's script is spoken (and a
    trial is never retried: the script would say the same). ``customer_retries``: how many times a
    trial whose customer was at fault runs again (see the module's docstring). ``mcp``: serve the
    tools over MCP (an agent with ``uses_mcp`` always gets them so).
    """
    if user is None:
        return await _attempt(prepared, agent, trial, options, timeout_s, None, trial_seed(prepared.task.id, trial),
                              mcp=mcp)
    earlier: list[dict[str, Any]] = []
    attempt = 0
    while True:
        seed = customer_seed(prepared.task.id, trial, attempt)
        temperature = retry_temperature(attempt)
        run = await _attempt(prepared, agent, trial, options, timeout_s, user, seed, temperature, mcp=mcp)
        fault = customer_fault(run)
        if fault is None or attempt >= customer_retries:
            traj = run.trajectory
            figures = {"attempt": attempt, "seed": seed, **({} if temperature is None else {"temperature": temperature}),
                       "fault": None if fault is None else fault["fault"],
                       "messages": customer_messages(traj.transcript),
                       "unoffered_confirmations": unoffered_confirmations(traj.transcript)}
            return replace(run, customer=figures, customer_attempts=tuple(earlier))
        earlier.append({"attempt": attempt, "seed": seed, **fault})
        attempt += 1


def customer_fault(run: TrialRun) -> dict[str, Any] | None:
    """What the customer did wrong in this run (an error with source ``customer``): its fault's
    kind, evidence and offending message, and how far the conversation got; None if nothing."""
    error = run.error
    if error is None or error.source != "customer":
        return None
    cause = error.__cause__
    traj = run.trajectory
    if isinstance(cause, CustomerFault):
        found = {"fault": cause.kind, "evidence": cause.evidence, "message": cause.text}
    else:  # the customer's code raised
        found = {"fault": "customer error", "evidence": error.message, "message": None}
    return {**found, "turns": traj.turns, "tool_calls": len(traj.calls)}


RETRY_TEMPERATURE = 0.7  # at temperature 0 servers ignore the seed: a re-run would repeat the fault word for word


def retry_temperature(attempt: int) -> float | None:
    """The customer's temperature on ``attempt``: the run's on the first (None), on a re-run at least
    :data:`RETRY_TEMPERATURE`, so the new seed can change what the customer says."""
    if attempt == 0:
        return None
    return max(RETRY_TEMPERATURE, llm.settings().temperature or 0.0)


async def _attempt(prepared: PreparedTask, agent: AgentSpec, trial: int, options: Mapping[str, Any] | None,
                   timeout_s: float | None, user: CustomerModel | None, seed: int,
                   temperature: float | None = None, mcp: bool = False) -> TrialRun:
    """One attempt of a trial, from scratch: a new agent, store and customer (whose model gets ``seed``);
    with MCP, a new endpoint, closed when the attempt ends."""
    if not (mcp or agent.uses_mcp):
        return await _run_attempt(prepared, agent, trial, options, timeout_s, user, seed, temperature, None)
    from pytest_ecom.serving.mcp_host import trial_endpoint  # imports the mcp SDK: only when MCP is used

    async with trial_endpoint(prepared.domain.tools) as endpoint:
        return await _run_attempt(prepared, agent, trial, options, timeout_s, user, seed, temperature, endpoint)


async def _run_attempt(prepared: PreparedTask, agent: AgentSpec, trial: int, options: Mapping[str, Any] | None,
                       timeout_s: float | None, user: CustomerModel | None, seed: int,
                       temperature: float | None, endpoint: Any) -> TrialRun:
    t = prepared.task
    context = agent_context(prepared, trial, options or {})
    if endpoint is not None:
        context = replace(context, mcp_url=endpoint.url)
    store = prepared.new_store()
    instance = make_agent(agent, context, prepared, Trajectory(store=store))
    if isinstance(instance, EpisodeError):
        return TrialRun(prepared, trial, context.seed, instance.trajectory, instance)
    if endpoint is not None and not (agent.uses_mcp or wants_mcp(instance)):
        instance = McpBridge(instance, t.limits.max_steps)  # its tool calls go over MCP too
    customer, referee = make_customer(prepared, seed, user, temperature)
    setup = EpisodeSetup(
        agent=instance, tools=prepared.domain.tools, store=store, customer=customer,
        context=context, max_turns=t.limits.max_turns, max_steps=t.limits.max_steps,
        timeout_s=timeout_s if timeout_s is not None else t.limits.timeout_s, referee=referee,
        max_tool_calls=prepared.max_tool_calls, served=endpoint,
    )
    try:
        traj = await run_episode(setup)
    except EpisodeError as exc:
        exc.trajectory.end_reason = "error"
        return TrialRun(prepared, trial, context.seed, exc.trajectory, exc)
    finally:
        if isinstance(instance, McpBridge):
            await instance.aclose()
    return TrialRun(prepared, trial, context.seed, traj)

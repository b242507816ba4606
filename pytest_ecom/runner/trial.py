"""An end-to-end task's trial: a prepared task × an agent × a trial index → its episode's trajectory (or
error). Scoring it is ``runner/run.py``'s job."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_ecom.agents import AgentContext, AgentSpec
from pytest_ecom.models.metering import TrialMeter
from pytest_ecom.prepare.task import PreparedTask
from pytest_ecom.results.clean import safe_str
from pytest_ecom.runner.episode import EpisodeError, EpisodeSetup, agents_doing, run_episode, short_traceback
from pytest_ecom.trajectory import Trajectory
from pytest_ecom.users import Customer, Referee, ScriptedCustomer
from pytest_ecom.users.faults import Referee as CustomerReferee
from pytest_ecom.users.faults import store_ids
from pytest_ecom.users.llm_customer import CustomerModel, LLMCustomer


def trial_seed(task_id: str, trial: int) -> int:
    """A stable seed per (task id, trial index): independent of file path and repeat count."""
    digest = hashlib.sha256(f"pytest-ecom:{task_id}:{trial}".encode()).digest()
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


def agent_context(prepared: PreparedTask, trial: int, options: Mapping[str, Any]) -> AgentContext:
    t = prepared.task
    return AgentContext(store=t.store, policy=prepared.domain.policy, info=dict(t.agent), language=t.language,
                        trial=trial, seed=trial_seed(t.id, trial), options=dict(options))


def make_customer(prepared: PreparedTask, seed: int, user: CustomerModel | None) -> tuple[Customer, Referee | None]:
    """The scripted customer (offline default), or with a customer model the LLM customer and the
    referee that tells its faults from the agent's."""
    t = prepared.task
    if user is None:
        return ScriptedCustomer(t.customer.script), None
    persona = prepared.persona  # with the task's overrides (and a persona-grid variant's)
    given = "\n".join([t.customer.goal, persona.description, *t.agent.values()])
    referee = CustomerReferee(given, store_ids(prepared.domain.base), bool(prepared.searches or prepared.actions))
    return LLMCustomer(user, t.customer.goal, persona, t.language, seed), referee


async def run_task(prepared: PreparedTask, agent: AgentSpec, trial: int,
                    options: Mapping[str, Any] | None = None, timeout_s: float | None = None,
                    user: CustomerModel | None = None) -> TrialRun:
    """Run one trial. Never raises for a failure of the agent, customer or harness: see ``TrialRun.error``.

    ``user``: the model that plays the customer; without it the task's script is spoken.
    """
    t = prepared.task
    context = agent_context(prepared, trial, options or {})
    store = prepared.new_store()
    instance = make_agent(agent, context, prepared, Trajectory(store=store))
    if isinstance(instance, EpisodeError):
        return TrialRun(prepared, trial, context.seed, instance.trajectory, instance)
    customer, referee = make_customer(prepared, context.seed, user)
    setup = EpisodeSetup(
        agent=instance, tools=prepared.domain.tools, store=store, customer=customer,
        context=context, max_turns=t.limits.max_turns, max_steps=t.limits.max_steps,
        timeout_s=timeout_s if timeout_s is not None else t.limits.timeout_s, referee=referee,
    )
    try:
        traj = await run_episode(setup)
    except EpisodeError as exc:
        exc.trajectory.end_reason = "error"
        return TrialRun(prepared, trial, context.seed, exc.trajectory, exc)
    return TrialRun(prepared, trial, context.seed, traj)

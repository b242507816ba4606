"""A stage-wise sample's trial: one agent call, no tools (then the scoring model, if one is used)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from pytest_ecom.agents import AgentContext, AgentSpec
from pytest_ecom.models.llm import ModelCallError
from pytest_ecom.prepare.sample import PreparedSample
from pytest_ecom.runner.episode import AgentCrashed, EpisodeError, ask_agent, lifecycle
from pytest_ecom.runner.trial import TrialRun, make_agent, trial_seed
from pytest_ecom.scoring import model_scorers
from pytest_ecom.scoring.model_scorers import ScoringModels, model_figures
from pytest_ecom.trajectory import Trajectory

DEFAULT_TIMEOUT_S = 120.0


async def _model_score(prepared: PreparedSample, traj: Trajectory, models: ScoringModels, seed: int) -> None:
    """EComStage's figures of the reply, from each scoring model the run has (``traj.scores``)."""
    s = prepared.sample
    reply = traj.replies[-1] if traj.replies else ""
    for figure in model_figures(s, models):
        if not reply.strip():
            traj.scores[figure] = 0  # nothing to grade: the lowest score, without asking a model
            continue
        try:
            if figure == "similarity":
                traj.scores["similarity"] = await model_scorers.similarity(models, s.answer, reply)
            else:
                question = s.messages[-1].content
                traj.scores["judge"] = await model_scorers.judge(models, question, s.answer, reply, s.rubric, seed)
        except ModelCallError as exc:
            raise EpisodeError(figure, str(exc), traj) from exc


async def run_sample(prepared: PreparedSample, agent: AgentSpec, trial: int,
                     options: Mapping[str, Any] | None = None, timeout_s: float | None = None,
                     models: ScoringModels = ScoringModels()) -> TrialRun:
    """Ask the agent once (then the scoring model, if one is used). Never raises: a failure of
    the provider, the judge or the embedding model is ``TrialRun.error``."""
    s = prepared.sample
    seed = trial_seed(s.id, trial)
    context = AgentContext(store="", policy=s.system, info={}, language=s.language, trial=trial, seed=seed,
                           options=dict(options or {}))
    traj = Trajectory(messages=s.chat(), turns=1)
    traj.transcript = [{"role": m["role"], "content": m["content"]} for m in traj.messages]
    instance = make_agent(agent, context, prepared, traj)
    if isinstance(instance, EpisodeError):
        return TrialRun(prepared, trial, seed, traj, instance)
    start = time.perf_counter()
    try:
        await lifecycle(instance, "setup", traj)
        try:
            message = await asyncio.wait_for(ask_agent(instance, traj, [], context),
                                             timeout=timeout_s or DEFAULT_TIMEOUT_S)
            traj.transcript.append(message)
            traj.replies.append(message.get("content") or "")
            traj.end_reason = "answered"
            await _model_score(prepared, traj, models, seed)
        except AgentCrashed:
            traj.end_reason = "agent_crash"
        except TimeoutError:
            traj.end_reason = "timeout"
        await lifecycle(instance, "teardown", traj)
    except EpisodeError as exc:
        traj.end_reason = "error"
        return TrialRun(prepared, trial, seed, traj, exc)
    finally:
        traj.timings["agent_s"] = traj.timings["episode_s"] = round(time.perf_counter() - start, 6)
    return TrialRun(prepared, trial, seed, traj)

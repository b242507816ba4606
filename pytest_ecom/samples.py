"""Stage-wise samples: load and check a ``*.sample.yaml``, run it (one agent call, no tools),
score the reply. The pure counterpart of ``prepare.py`` and ``runner/trial.py`` for samples.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_ecom.agents import AgentContext, AgentSpec
from pytest_ecom.runner.episode import AgentCrashed, EpisodeError, ask_agent, lifecycle
from pytest_ecom.runner.trial import TrialRun, make_agent, trial_seed
from pytest_ecom.llm import ModelCallError
from pytest_ecom.scoring import model_scorers
from pytest_ecom.scoring import stage as scorers
from pytest_ecom.scoring.model_scorers import ScoringModels
from pytest_ecom.scoring.checks import Dimension
from pytest_ecom.spec.loader import parse_model
from pytest_ecom.spec.samples import LABEL_TASK_TYPES, TASK_TYPES, Sample
from pytest_ecom.trajectory import Trajectory

DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True, eq=False)
class PreparedSample:
    sample: Sample
    path: Path
    digest: str

    @property
    def id(self) -> str:
        return self.sample.id

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.sample.tags)

    def record_fields(self) -> dict[str, Any]:
        s = self.sample
        return {"kind": "sample", "scenario": s.scenario, "store": None, "orientation": s.effective_orientation,
                "stage": s.effective_stage, "task_type": s.task_type, "tags": list(s.tags)}


_MEMO: dict[Path, tuple[tuple[int, int], PreparedSample]] = {}


def load_prepared_sample(path: Path) -> PreparedSample:
    """Parse and check a sample file once per process (again when it changes)."""
    path = Path(os.path.abspath(path))
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    memo = _MEMO.get(path)
    if memo is None or memo[0] != stamp:
        sample = parse_model(path, Sample)
        memo = (stamp, PreparedSample(sample, path, hashlib.sha256(path.read_bytes()).hexdigest()[:16]))
        _MEMO[path] = memo
    return memo[1]


FREE_TEXT = tuple(t for t, spec in TASK_TYPES.items() if spec[2] == "token_f1")


def resolve_scorer(sample: Sample, models: ScoringModels) -> str:
    """The scorer that will run: model-backed scorers fall back to token F1 without their model."""
    scorer = sample.effective_scorer
    if sample.scorer is None and sample.task_type in FREE_TEXT and models.embedding_model:
        scorer = "similarity"
    if (scorer == "similarity" and not models.embedding_model) or (scorer == "judge" and not models.judge_model):
        return "token_f1"
    return scorer


async def _model_score(prepared: PreparedSample, traj: Trajectory, models: ScoringModels, seed: int) -> None:
    s = prepared.sample
    reply = traj.replies[-1] if traj.replies else ""
    scorer = resolve_scorer(s, models)
    if not reply.strip():
        traj.scores[scorer] = 0  # nothing to grade: a fail, without asking a model
        return
    try:
        if scorer == "similarity":
            traj.scores["similarity"] = await model_scorers.similarity(models, s.answer, reply)
        elif scorer == "judge":
            question = s.messages[-1].content
            traj.scores["judge"] = await model_scorers.judge(models, question, s.answer, reply, s.rubric, seed)
    except ModelCallError as exc:
        raise EpisodeError(scorer, str(exc), traj) from exc


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


def score_sample(prepared: PreparedSample, traj: Trajectory,
                 models: ScoringModels = ScoringModels()) -> tuple[Dimension, bool | None]:
    """Our verdict on the reply, and the reference's (EComStage's rule; label tasks only)."""
    s = prepared.sample
    reply = traj.replies[-1] if traj.replies else ""
    if traj.crash is not None:
        problems = [traj.crash["message"]] + ([traj.crash["traceback"]] if traj.crash["traceback"] else [])
        return Dimension("answer", False, problems), False if s.task_type in LABEL_TASK_TYPES else None
    if traj.end_reason == "timeout":
        return Dimension("answer", False, ["no reply before the time limit"]), (
            False if s.task_type in LABEL_TASK_TYPES else None)
    scorer = resolve_scorer(s, models)
    if scorer == "similarity":
        value, limit = traj.scores["similarity"], s.threshold or model_scorers.DEFAULT_SIMILARITY_THRESHOLD
        dim = Dimension("answer", value >= limit, [] if value >= limit else [f"similarity {value:.2f} below {limit:.2f}"],
                        {"similarity": value})
    elif scorer == "judge":
        value, limit = traj.scores["judge"], 1.0 if s.threshold is None else s.threshold
        ok = value / 2 >= limit
        dim = Dimension("answer", ok, [] if ok else [f"the judge gave {value}/2"], {"judge": value})
    elif scorer == "choice":
        dim = scorers.score_choice(s.answer, reply, s.labels)
    elif scorer == "exact":
        dim = scorers.score_exact(s.answer, reply)
    elif scorer == "contains":
        dim = scorers.score_contains(s.answer, reply)
    elif scorer == "regex":
        dim = scorers.score_regex(s.pattern or "", reply)
    elif scorer == "json":
        dim = scorers.score_json(s.answer, reply, s.field or "")
    else:  # token_f1; also the offline stand-in for similarity and judge without their model
        dim = scorers.score_token_f1(s.answer, reply, s.threshold)
    dim.detail = {**(dim.detail or {}), "scorer": scorer}
    reference = scorers.reference_verdict(s.answer, reply) if s.task_type in LABEL_TASK_TYPES else None
    return dim, reference

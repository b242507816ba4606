"""A finished trial's verdicts: an end-to-end task's dimensions and ECom-Bench's checks, a sample's answer
and EComStage's rule."""

from __future__ import annotations

from pytest_ecom.prepare.sample import PreparedSample
from pytest_ecom.prepare.task import PreparedTask
from pytest_ecom.scoring import model_scorers
from pytest_ecom.scoring import stage as scorers
from pytest_ecom.scoring.model_scorers import ScoringModels, resolve_scorer
from pytest_ecom.scoring.overlap import score_overlap
from pytest_ecom.scoring.checks import Dimension, check_outputs, check_searches, check_state
from pytest_ecom.scoring.procedure import ProcedureRules, check_procedure
from pytest_ecom.scoring.reference import reference_checks
from pytest_ecom.spec.samples import LABEL_TASK_TYPES
from pytest_ecom.trajectory import Trajectory

PROCEDURE = "procedure"


def score_trajectory(prepared: PreparedTask, traj: Trajectory) -> list[Dimension]:
    """state × searches × outputs × procedure; a dimension the task does not check has ``passed=None``.

    Procedure (informed and confirmed writes, the tool budget) is read from the trajectory's
    messages and calls alone, like the others: a logged trajectory scores the same again.
    A crashed agent also gets a failing ``agent`` dimension saying why.
    """
    assert traj.store is not None
    expect = prepared.task.expect
    dimensions = [
        check_state(traj.store, prepared.expected, expect.state),
        check_searches(prepared.searches, traj.calls, prepared.domain.tools),
        check_outputs(expect.outputs, traj.replies, expect.forbidden),
        check_procedure(traj.messages, traj.calls, traj.end_reason, procedure_rules(prepared), prepared.new_store()),
    ]
    if traj.crash is not None:
        dimensions.append(Dimension("agent", False, _crash_problems(traj.crash)))
    return dimensions


def procedure_rules(prepared: PreparedTask) -> ProcedureRules:
    """The task's side of the procedure check: its domain's tools, what needs confirming, its budget."""
    return ProcedureRules(prepared.domain.tools, prepared.domain.consequential, prepared.unconfirmed,
                          prepared.max_tool_calls, prepared.domain.today)


def reference_trajectory_checks(prepared: PreparedTask, traj: Trajectory) -> dict[str, bool]:
    """ECom-Bench's own checks of the same trajectory (see :mod:`pytest_ecom.scoring.reference`)."""
    assert traj.store is not None
    expect = prepared.task.expect
    return reference_checks(traj.store, prepared.expected, expect.searches, expect.outputs, traj.calls, traj.replies)


def reward(dimensions: list[Dimension]) -> int:
    """1 when every checked dimension passed, else 0 (the product of the dimensions)."""
    return int(all(d.passed is not False for d in dimensions))


def reward_without_procedure(dimensions: list[Dimension]) -> int:
    """The reward over ECom-Bench's dimensions alone (state × searches × outputs): comparable with
    published numbers, which never checked procedure."""
    return reward([d for d in dimensions if d.name != PROCEDURE])


def score_sample(prepared: PreparedSample, traj: Trajectory,
                 models: ScoringModels = ScoringModels()) -> tuple[Dimension, bool | None]:
    """Our verdict on the reply, and the reference's (EComStage's rule; label tasks only)."""
    s = prepared.sample
    reply = traj.replies[-1] if traj.replies else ""
    no_answer = False if s.task_type in LABEL_TASK_TYPES else None  # the reference's verdict without a reply
    if traj.crash is not None:
        return Dimension("answer", False, _crash_problems(traj.crash)), no_answer
    if traj.end_reason == "timeout":
        return Dimension("answer", False, ["no reply before the time limit"]), no_answer
    scorer = resolve_scorer(s, models)
    if scorer == "similarity":
        value, limit = traj.scores["similarity"], s.threshold or model_scorers.DEFAULT_SIMILARITY_THRESHOLD
        dim = Dimension("answer", value >= limit, [] if value >= limit else [f"similarity {value:.2f} below {limit:.2f}"])
    elif scorer == "judge":
        value, limit = traj.scores["judge"], 1.0 if s.threshold is None else s.threshold
        ok = value / 2 >= limit
        dim = Dimension("answer", ok, [] if ok else [f"the judge gave {value}/2"])
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
    elif scorer == "token_f1":
        dim = scorers.score_token_f1(s.answer, reply, s.threshold)
    else:  # overlap: the offline approximation of EComStage's free-text figures
        dim = score_overlap(s.answer, reply, s.threshold)
    # the figures EComStage reports (similarity, judge), whichever scorer decided
    dim.detail = {**(dim.detail or {}), **traj.scores, "scorer": scorer}
    reference = scorers.reference_verdict(s.answer, reply) if s.task_type in LABEL_TASK_TYPES else None
    return dim, reference


def _crash_problems(crash: dict[str, str]) -> list[str]:
    """What the agent's crash says: its message, then where it happened."""
    return [crash["message"]] + ([crash["traceback"]] if crash["traceback"] else [])

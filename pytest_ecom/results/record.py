"""The trial record: one compact, versioned, JSON-safe dict per finished trial.

Records travel from xdist workers to the controller on the test report, are written to the
JSON-lines log and the JSON report, and are the only input of every summary, gate, comparison
and report. :class:`TrialRecord` is their one type; ``pytest-ecom schema --report`` prints the
JSON Schema of a report, which holds a list of them.
"""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import NotRequired, TypedDict  # pydantic reads these on Python 3.11 (the report schema)

# 2: the procedure dimension, verdicts.without_procedure, failed_calls, golden; every trial keeps its
# transcript and its trajectory (the log; reports: --ecom-transcripts)
RECORD_VERSION = 2

Outcome = Literal["pass", "fail", "error"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "error")


class DimensionRecord(TypedDict):
    """One scored dimension (state, searches, outputs, procedure, agent, answer); ``passed`` None: not checked."""

    passed: bool | None
    problems: NotRequired[list[str]]
    detail: NotRequired[dict[str, Any]]


class Verdicts(TypedDict):
    """Our rule's verdict and the reference benchmark's (None where it has none)."""

    default: bool
    reference: bool | None
    reference_checks: NotRequired[dict[str, bool]]  # ECom-Bench's state / searches / outputs
    without_procedure: NotRequired[bool]  # our rule over state × searches × outputs alone (end-to-end tasks)


class GoldenRecord(TypedDict):
    """An end-to-end task's golden path, to set the trial's calls and turns against."""

    tool_calls: int  # the golden lookups, searches and actions
    turns: int  # the scripted customer's messages
    max_tool_calls: int  # the trial's tool budget (limits.max_tool_calls, or 3 × tool_calls + 10)


class TrialErrorRecord(TypedDict):
    """Why a trial could not finish: ``source`` is provider, customer, tool, agent, scoring, ..."""

    source: str
    message: str
    traceback: str


class RoleUsageRecord(TypedDict):
    calls: int
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None


class CustomerRecord(TypedDict):
    """How a model played the customer in the attempt that counts (present only with ``--user-model``)."""

    attempt: int  # which attempt counts: 0 unless earlier ones were customer faults (``customer_attempts``)
    seed: int  # the seed the customer's model got on it (the trial's ``seed`` on attempt 0)
    fault: str | None  # its customer fault's kind when it still was one (the trial is then an error)
    messages: int  # messages the customer sent, its closing and a faulty one included
    unoffered_confirmations: list[str]  # its assents to replies that asked and offered nothing (users/quality.py)


class CustomerAttemptRecord(TypedDict):
    """An earlier attempt of a trial, run again because its customer was at fault: the evidence."""

    attempt: int
    seed: int  # the customer model's seed on that attempt
    fault: str  # the fault's kind (users/faults.py), or "customer error" when the customer's code raised
    evidence: str
    message: str | None  # the offending message
    turns: int
    tool_calls: int


class CallRecord(TypedDict):
    """A tool call as executed: its normalised arguments, whether it succeeded, what the agent sent."""

    name: str
    arguments: dict[str, Any]
    ok: bool
    sent: Any


class StoreWriteRecord(TypedDict):
    """One record the trial wrote: its final value, or ``deleted``."""

    table: str
    key: str
    record: NotRequired[Any]
    deleted: NotRequired[bool]


class TrajectoryRecord(TypedDict):
    """Enough of a trial to score it again without running it (``pytest-ecom rescore``)."""

    messages: list[dict[str, Any]]  # what the agent saw and said: system prompt, customer, agent, tool results
    calls: list[CallRecord]
    replies: list[str]
    end_reason: str
    turns: int
    crash: dict[str, str] | None
    scores: dict[str, float]  # model-given scores of a free-text sample (similarity, judge)
    store_overlay: list[StoreWriteRecord] | None  # the final store = the base + these writes; None: no store


class TrialRecord(TypedDict):
    version: int
    task: str
    task_digest: str  # the task file's version
    kind: Literal["task", "sample"]
    scenario: str | None
    store: str | None
    orientation: str
    stage: str  # end_to_end, perception, planning, action
    task_type: str  # conversation for tasks
    tags: list[str]
    persona: NotRequired[str]  # tasks only
    base_task: NotRequired[str]  # persona-grid variants only
    persona_variant: NotRequired[dict[str, str]]
    trial: int
    repeat: int
    seed: int
    outcome: Outcome
    dimensions: dict[str, DimensionRecord]
    verdicts: Verdicts | None  # None for an error
    error: TrialErrorRecord | None
    end_reason: str
    turns: int
    tool_calls: int
    failed_calls: NotRequired[int]  # tool calls that returned an error (record version 2)
    golden: NotRequired[GoldenRecord]  # end-to-end tasks (record version 2)
    timings: dict[str, float]
    tokens: dict[str, RoleUsageRecord] | None  # per role (agent, customer, judge, vision)
    cost_usd: float | None  # None when unknown or no model was called
    customer: NotRequired[CustomerRecord]  # with a model playing the customer
    customer_attempts: NotRequired[list[CustomerAttemptRecord]]  # earlier attempts whose customer was at fault
    transcript: list[dict[str, Any]] | None  # None for a passing trial in a report without --ecom-transcripts=all
    trajectory: NotRequired[TrajectoryRecord]  # in the log always; in a report with --ecom-transcripts=all


def is_task(record: TrialRecord) -> bool:
    """An end-to-end task's trial (not a stage-wise sample's)."""
    return record.get("kind", "task") == "task"


def headline_properties(record: TrialRecord) -> list[tuple[str, str]]:
    """The record's headline as (name, value) pairs: junit XML ``<property>`` elements."""
    out = [("ecom.outcome", record["outcome"]), ("ecom.seed", str(record["seed"])),
           ("ecom.trial", f"{record['trial']}/{record['repeat']}")]
    verdict = {True: "pass", False: "fail", None: "not checked"}
    out += [(f"ecom.{name}", verdict[d["passed"]]) for name, d in record["dimensions"].items()]
    if record["error"]:
        out.append(("ecom.error", f"{record['error']['source']}: {record['error']['message']}"))
    return out

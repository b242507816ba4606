"""Pydantic models of the YAML files: tasks and personas.

The JSON Schema committed as ``task.schema.json`` is generated from these
models (``pytest-ecom schema``); a test fails when it is stale.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1
# Tags become markers; these names already mean something to pytest (or to us).
RESERVED_TAGS = frozenset({
    "skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings",  # pytest
    "flaky", "timeout", "order", "dependency", "anyio", "asyncio", "trio", "xdist_group",  # common plugins
    "ecom",  # ours: every trial item
})
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=80)]


def _not_a_marker_name(tag: str) -> str:
    if tag in RESERVED_TAGS:
        raise ValueError(f"tag {tag!r} is a pytest marker name and would change how the item runs; pick another tag")
    return tag


Tag = Annotated[Identifier, AfterValidator(_not_a_marker_name)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- personas -------------------------------------------------------------------


class Level(str, Enum):
    high = "high"
    medium = "medium"
    low = "low"


class Emotion(str, Enum):
    calm = "calm"
    anxious = "anxious"
    dissatisfied = "dissatisfied"
    angry = "angry"


class QuestionStyle(str, Enum):
    clear = "clear"
    vague = "vague"


class SpeakingStyle(str, Enum):
    concise = "concise"
    wordy = "wordy"


class Pace(str, Enum):
    one_at_a_time = "one_at_a_time"
    bursts = "bursts"


class PersonaDimensions(_Model):
    """ECom-Bench's nine persona dimensions; every one optional so tasks can override a few."""

    consumer_type: str | None = Field(None, description="e.g. value_seeking, quality_focused, brand_loyal")
    emotion: Emotion | None = None
    carefulness: Level | None = Field(None, description="high: asks about every detail")
    patience: Level | None = Field(None, description="low: wants it solved now")
    trust: Level | None = Field(None, description="low: wants proof for every claim")
    rights_awareness: Level | None = Field(None, description="high: cites rules and policies")
    question_style: QuestionStyle | None = None
    speaking_style: SpeakingStyle | None = None
    pace: Pace | None = Field(None, description="bursts: several short messages in a row")


class Persona(PersonaDimensions):
    """A simulated customer's character (``personas/<id>.yaml``)."""

    schema_version: Literal[1] = 1
    id: Identifier
    description: str = ""


# -- tasks ----------------------------------------------------------------------


class Customer(_Model):
    persona: Identifier = Field(description="id of a persona in personas/")
    overrides: PersonaDimensions = Field(default_factory=PersonaDimensions, description="dimensions changed for this task")
    goal: str = Field(min_length=1, description="what the customer wants, in the customer's words; ids it may reveal")
    script: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, description="the offline customer's messages, in order; the stop signal follows the last"
    )


class StateAssertion(_Model):
    """An explicit check on one record of the final store (a subset match)."""

    table: str
    key: str
    match: dict[str, Any] | None = Field(None, description="fields the record must have; omit with exists: false")
    exists: bool = True

    @model_validator(mode="after")
    def _one_of(self) -> StateAssertion:
        if self.exists and self.match is None:
            raise ValueError("give `match` (fields the record must have) or `exists: false`")
        return self


Call = dict[str, dict[str, Any]]
# A golden write may also say ``confirm: false`` with a ``confirm_reason``: it needs no confirming turn.
ActionCall = dict[str, dict[str, Any] | bool | str]
CONFIRM_KEYS = ("confirm", "confirm_reason")


class Expect(_Model):
    actions: list[ActionCall] = Field(
        default_factory=list,
        description="golden calls, replayed in order to build the expected state; a consequential one may add "
                    "`confirm: false` and `confirm_reason` when it needs no confirming turn (docs/procedure.md)")
    searches: list[Call] = Field(default_factory=list, description="calls the agent must make (each matched by a distinct call)")
    outputs: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="phrases the agent's replies must contain (case-insensitive)"
    )
    forbidden: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="phrases that must not reach the customer (case-insensitive), e.g. a claim of a change "
                    "that the task refuses; saying one fails the outputs dimension (our rule only)")
    state: list[StateAssertion] = Field(default_factory=list, description="explicit checks on the final store")
    lookups: list[Call] = Field(
        default_factory=list,
        description="reads an agent can make to find values the golden calls need (never scored); "
                    "their results count when checking that every golden call is solvable")

    @field_validator("actions")
    @classmethod
    def _confirm_opt_out(cls, calls: list[ActionCall]) -> list[ActionCall]:
        for call in calls:
            confirm, reason = call.get("confirm", True), call.get("confirm_reason")
            if not isinstance(confirm, bool):
                raise ValueError("`confirm` is true or false")
            if reason is not None and (not isinstance(reason, str) or not reason.strip()):
                raise ValueError("`confirm_reason` is a sentence saying why this write needs no confirmation")
            if confirm is False and reason is None:
                raise ValueError("`confirm: false` needs a `confirm_reason`: say why the customer need not "
                                 "confirm this write (docs/procedure.md)")
            if confirm is True and reason is not None:
                raise ValueError("`confirm_reason` goes with `confirm: false`; remove it or add `confirm: false`")
            _one_call({k: v for k, v in call.items() if k not in CONFIRM_KEYS})
        return calls

    @field_validator("searches", "lookups")
    @classmethod
    def _one_call_each(cls, calls: list[Call]) -> list[Call]:
        for call in calls:
            _one_call(call)
        return calls


def _one_call(call: dict[str, Any]) -> None:
    if len(call) != 1:
        raise ValueError("each call is one mapping `tool_name: {argument: value}`")
    (args,) = call.values()
    if not isinstance(args, dict):
        raise ValueError("a call's arguments must be a mapping (use {} for none)")


# The largest limits a task may set (docs/task-format.md): every trial must end, and the
# longest real support conversations are far shorter (ECom-Bench's take under 30 turns).
MAX_TURNS = 200
MAX_STEPS = 500  # agent calls per customer message
MAX_TIMEOUT_S = 3600.0  # an hour per trial; a run of hundreds of trials must still finish
MAX_TOOL_CALLS = 10_000


class Limits(_Model):
    max_turns: int = Field(20, ge=1, le=MAX_TURNS, description="customer messages before the episode ends")
    max_steps: int = Field(30, ge=1, le=MAX_STEPS, description="agent calls per customer message (tool loop bound)")
    max_tool_calls: int | None = Field(
        None, ge=1, le=MAX_TOOL_CALLS,
        description="tool calls the agent may make in a trial; going over ends it as a failure (end_reason "
                    "tool_budget). Default: 3 × the golden path's calls + 10")
    timeout_s: float = Field(300.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False,
                             description="wall-clock limit of one trial, in seconds")


class Task(_Model):
    """An end-to-end task: a customer with a goal talks to the agent over a store."""

    schema_version: Literal[1] = Field(description="format version of this file")
    id: Identifier
    scenario: Identifier = Field(description="situation shared by tasks and stage-wise samples")
    language: str = Field("en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    description: str = ""
    tags: list[Tag] = Field(default_factory=list, description="become pytest markers (-m)")
    orientation: Literal["customer", "merchant"] = "customer"
    store: Identifier = Field(description="domain name; data in fixtures/<store>/")
    customer: Customer
    agent: dict[str, str] = Field(
        default_factory=dict, description="context a real deployment would know (user id, shop); shown to the agent"
    )
    images: dict[Annotated[str, Field(pattern=r"^https?://")], Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict,
        description="what each image the customer links to shows: tools that look at images answer from it "
                    "when the run has no vision model")
    expect: Expect
    limits: Limits = Field(default_factory=Limits)

    @property
    def checks_something(self) -> bool:
        e = self.expect
        return bool(e.actions or e.searches or e.outputs or e.forbidden or e.state)


def call_parts(call: Call | ActionCall) -> tuple[str, dict[str, Any]]:
    """``{name: args}`` → ``(name, args)`` (a golden write's ``confirm`` keys left aside)."""
    ((name, args),) = ((k, v) for k, v in call.items() if k not in CONFIRM_KEYS)
    return name, args  # type: ignore[return-value]


def needs_confirmation(call: ActionCall) -> bool:
    """False when the golden write opted out of the confirming turn (``confirm: false``)."""
    return call.get("confirm", True) is not False

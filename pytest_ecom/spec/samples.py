"""Stage-wise samples (``*.sample.yaml``): one prompt, one expected answer, one scorer.

The seven task types of EComStage, each with its stage, side and default scorer.
A sample may override stage, orientation and scorer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from pytest_ecom.spec.errors import FieldProblem
from pytest_ecom.spec.models import Identifier, Tag, _Model
from pytest_ecom.spec.patterns import PatternTimeout, check_pattern, search

SAMPLE_SUFFIX = ".sample.yaml"

Stage = Literal["perception", "planning", "action"]
Orientation = Literal["customer", "merchant"]
TaskType = Literal["attitude_cls", "query_match", "intent_recognition", "query_rewrite", "scenario_route",
                   "solution_decision", "RAG_QA"]
ScorerName = Literal["choice", "exact", "contains", "regex", "json", "token_f1", "overlap", "similarity", "judge"]

# task type → (stage, orientation, default scorer, option labels when fixed)
TASK_TYPES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "query_rewrite": ("perception", "customer", "overlap", ()),
    "attitude_cls": ("perception", "merchant", "choice", ("0", "1")),
    "query_match": ("perception", "customer", "choice", ("A", "B", "C", "D", "E")),
    "intent_recognition": ("perception", "customer", "choice", ("1", "2", "3", "4", "5", "6", "7")),
    "scenario_route": ("planning", "merchant", "choice", ("A", "B", "C", "D", "E", "F")),
    "solution_decision": ("action", "customer", "choice", ()),  # options are given per sample
    "RAG_QA": ("action", "customer", "overlap", ()),
}
LABEL_TASK_TYPES = tuple(t for t, spec in TASK_TYPES.items() if spec[2] == "choice")
# Free-text answers: EComStage reports embedding similarity and a judge's 0-2 score for these.
FREE_TEXT_TYPES = tuple(t for t, spec in TASK_TYPES.items() if spec[2] == "overlap")


class ChatMessage(_Model):
    role: Literal["user", "assistant"]
    content: str


class Sample(_Model):
    """A stage-wise sample: the agent reads ``system`` and ``messages`` (no tools) and answers."""

    schema_version: Literal[1] = Field(description="format version of this file")
    id: Identifier
    scenario: Identifier | None = Field(None, description="links the sample to end-to-end tasks of that scenario")
    language: str = Field("en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    description: str = ""
    tags: list[Tag] = Field(default_factory=list, description="become pytest markers (-m)")
    task_type: TaskType
    stage: Stage | None = Field(None, description="default: from task_type")
    orientation: Orientation | None = Field(None, description="default: from task_type")
    system: str = ""
    messages: list[ChatMessage] = Field(min_length=1, description="the conversation the agent sees; ends with the user")
    # Field order matters below: a field's checks see the fields declared before it.
    options: list[str] | None = Field(None, description="option labels for choice scoring (default: from task_type)")
    scorer: ScorerName | None = Field(None, description="default: from task_type")
    malformed: str | None = Field(None, description="why the sample is unsound (set by importers); skipped")
    answer: str = Field(min_length=1, description="the expected answer (an option label for choice scoring)")
    pattern: str | None = Field(None, description="regex scorer: the reply must match it")
    field: str | None = Field(None, description="json scorer: the field of a JSON reply compared with answer")
    threshold: float | None = Field(None, ge=0, le=1, allow_inf_nan=False,
                                    description="token_f1 / overlap / similarity: pass at or above it")
    rubric: str | None = Field(None, description="judge scorer: what a good answer does")
    source: dict[str, Any] | None = Field(None, description="provenance, e.g. {benchmark: EComStage, id: ...}")

    @field_validator("messages")
    @classmethod
    def _ends_with_user(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if messages[-1].role != "user":
            raise ValueError("messages must end with the user's turn: the agent answers it")
        return messages

    @field_validator("answer", mode="before")
    @classmethod
    def _answer_text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("YAML read this as true/false: quote the answer, e.g. answer: \"yes\"")
        return str(value) if isinstance(value, (int, float)) else value

    @field_validator("answer")
    @classmethod
    def _answer_is_an_option(cls, answer: str, info: ValidationInfo) -> str:
        data = info.data
        if "task_type" not in data or data.get("malformed"):
            return answer
        if (data.get("scorer") or TASK_TYPES[data["task_type"]][2]) == "choice":
            labels = list(data.get("options") or TASK_TYPES[data["task_type"]][3])
            if not labels:
                raise ValueError("choice scoring needs `options` (the labels the reply may name)")
            if answer.strip() not in labels:
                raise ValueError(f"answer {answer!r} is not one of the options {labels}")
        return answer

    @field_validator("pattern")
    @classmethod
    def _pattern_matches_answer(cls, pattern: str | None, info: ValidationInfo) -> str | None:
        if pattern is None:
            return None
        check_pattern(pattern)
        try:
            matches = search(pattern, info.data.get("answer", ""))
        except PatternTimeout as exc:
            raise FieldProblem(f"{exc} (tried on the answer)", "simplify the pattern: no nested or overlapping "
                               "repeats such as (a+)+ or (a|aa)+") from None
        if "answer" in info.data and not matches:
            raise FieldProblem("the answer does not match it: the right reply could never pass",
                               "fix the pattern or the answer")
        return pattern

    @field_validator("options", mode="before")
    @classmethod
    def _option_text(cls, value: Any) -> Any:
        return [str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in value] \
            if isinstance(value, list) else value

    @model_validator(mode="after")
    def _scorer_settings(self) -> Sample:
        if self.effective_scorer == "regex" and not self.pattern:
            raise ValueError("the regex scorer needs `pattern`")
        if self.effective_scorer == "json" and not self.field:
            raise ValueError("the json scorer needs `field`")
        return self

    @property
    def effective_stage(self) -> str:
        return self.stage or TASK_TYPES[self.task_type][0]

    @property
    def effective_orientation(self) -> str:
        return self.orientation or TASK_TYPES[self.task_type][1]

    @property
    def effective_scorer(self) -> str:
        return self.scorer or TASK_TYPES[self.task_type][2]

    @property
    def labels(self) -> list[str]:
        return list(self.options) if self.options else list(TASK_TYPES[self.task_type][3])

    def chat(self) -> list[dict[str, str]]:
        """The OpenAI-format messages the agent receives."""
        head = [{"role": "system", "content": self.system}] if self.system else []
        return head + [m.model_dump() for m in self.messages]

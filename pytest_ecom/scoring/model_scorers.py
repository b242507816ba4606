"""Scorers that ask a model: embedding similarity and an LLM judge (0–2, as EComStage's)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pytest_ecom.models.llm import ModelCallError, complete, cosine, embed
from pytest_ecom.spec.samples import FREE_TEXT_TYPES, Sample

DEFAULT_SIMILARITY_THRESHOLD = 0.8
JUDGE_SYSTEM = (
    "You grade a customer-service reply against a reference answer. Score 2 if the reply is correct and "
    "good, 1 if it is partly correct or merely acceptable, 0 if it is wrong or poor. {rubric}"
    'Answer with JSON only: {{"score": 0}}, {{"score": 1}} or {{"score": 2}}.'
)


@dataclass(frozen=True)
class ScoringModels:
    """Models the harness may call to score free-text answers (from the command line)."""

    embedding_model: str | None = None
    embedding_base_url: str | None = None
    judge_model: str | None = None
    judge_base_url: str | None = None


async def similarity(models: ScoringModels, reference: str, reply: str) -> float:
    assert models.embedding_model
    a, b = await embed(models.embedding_model, [reference, reply], models.embedding_base_url)
    return round(cosine(a, b), 4)


async def judge(models: ScoringModels, question: str, reference: str, reply: str, rubric: str | None,
                seed: int | None = None) -> int:
    assert models.judge_model
    system = JUDGE_SYSTEM.format(rubric=f"Rubric: {rubric.strip()} " if rubric else "")
    user = f"Question:\n{question}\n\nReference answer:\n{reference}\n\nReply to grade:\n{reply}"
    text = await complete(models.judge_model, [{"role": "system", "content": system},
                                               {"role": "user", "content": user}], models.judge_base_url, seed,
                          temperature=0.0)  # as EComStage's judge script, whatever the run's temperature
    found = re.search(r"\{[^{}]*\}", text)
    try:
        score = json.loads(found.group(0))["score"] if found else None
    except (json.JSONDecodeError, KeyError):
        score = None
    if type(score) is not int or score not in (0, 1, 2):
        raise ModelCallError(f"the judge {models.judge_model} did not answer with a score 0-2: {text[:200]!r}")
    return int(score)


def resolve_scorer(sample: Sample, models: ScoringModels) -> str:
    """The scorer whose verdict decides. A free-text sample without a scorer of its own is graded
    by the judge when a judge model is given, else by embedding similarity when an embedding model
    is, else by the offline approximation (``overlap``); a sample asking for a model-backed scorer
    whose model is not given falls back to that approximation too."""
    if sample.scorer is None and sample.task_type in FREE_TEXT_TYPES:
        return "judge" if models.judge_model else "similarity" if models.embedding_model else "overlap"
    scorer = sample.effective_scorer
    if (scorer == "similarity" and not models.embedding_model) or (scorer == "judge" and not models.judge_model):
        return "overlap"
    return scorer


def model_figures(sample: Sample, models: ScoringModels) -> list[str]:
    """The model-given figures to compute for a sample: for every free-text sample, each one the run
    has a model for (EComStage reports both per task type); otherwise the one its scorer needs."""
    free = sample.task_type in FREE_TEXT_TYPES
    out = []
    if models.embedding_model and (free or sample.scorer == "similarity"):
        out.append("similarity")
    if models.judge_model and (free or sample.scorer == "judge"):
        out.append("judge")
    return out

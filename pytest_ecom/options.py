"""Command-line options, parsed once into a frozen :class:`Settings` kept in ``config.stash``."""

from __future__ import annotations

import argparse
import hashlib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_ecom.gates import Gate, GateSyntaxError
from pytest_ecom.scoring.model_scorers import ScoringModels

SETTINGS = pytest.StashKey["Settings"]()


@dataclass(frozen=True)
class Settings:
    agent: str | None
    repeat: int
    report: Path | None
    concurrency: int
    timeout: float | None
    scoring: str = "default"
    include_malformed: bool = False
    models: ScoringModels = ScoringModels()
    agent_model: str | None = None
    agent_base_url: str | None = None
    vision_model: str | None = None  # --vision-model: tools that look at images ask it
    vision_base_url: str | None = None
    gates: tuple[Gate, ...] = ()
    max_errors: int = 0
    log: Path | None = None
    shard: tuple[int, int] | None = None  # (i, n): this run takes share i of n

    def rerun_command(self, nodeid: str) -> str:
        """A one-line command that reruns exactly one trial (same id, same seed)."""
        parts = ["pytest", nodeid, f"--agent={self.agent}", f"--repeat={self.repeat}"]
        if self.agent_model:
            parts.append(f"--agent-model={self.agent_model}")
        if self.agent_base_url:
            parts.append(f"--agent-base-url={self.agent_base_url}")
        if self.vision_model:
            parts.append(f"--vision-model={self.vision_model}")
        if self.vision_base_url:
            parts.append(f"--vision-base-url={self.vision_base_url}")
        if self.timeout is not None:
            parts.append(f"--ecom-timeout={self.timeout:g}")
        if self.scoring != "default":
            parts.append(f"--ecom-scoring={self.scoring}")
        if self.include_malformed:
            parts.append("--ecom-include-malformed")
        for option, value in (("--embedding-model", self.models.embedding_model),
                              ("--embedding-base-url", self.models.embedding_base_url),
                              ("--judge-model", self.models.judge_model),
                              ("--judge-base-url", self.models.judge_base_url)):
            if value:
                parts.append(f"{option}={value}")
        return shlex.join(parts)

    def fingerprint_options(self) -> dict[str, object]:
        return {"repeat": self.repeat, "timeout": self.timeout, "scoring": self.scoring,
                "include_malformed": self.include_malformed, "agent_model": self.agent_model,
                "vision_model": self.vision_model,
                "embedding_model": self.models.embedding_model,
                "judge_model": self.models.judge_model}


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``, with a readable refusal."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def _gate(text: str) -> Gate:
    try:
        return Gate.parse(text)
    except GateSyntaxError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _shard(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m[1]) <= int(m[2]):
        raise argparse.ArgumentTypeError(f"{text!r}: write i/n with 1 <= i <= n, e.g. 2/4")
    return int(m[1]), int(m[2])


def shard_of(task_id: str, count: int) -> int:
    """The share (1..count) a task belongs to: stable across machines, all its trials together."""
    return int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:8], "big") % count + 1


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("ecom", "pytest-ecom: benchmark e-commerce agents")
    group.addoption("--agent", default=None, metavar="NAME",
                    help="agent under test: a registered name (e.g. oracle) or module:attr. "
                         "Without it, tasks are collected and validated but skipped.")
    group.addoption("--repeat", type=_positive_int, default=None, metavar="N",
                    help="trials per task (items id[1-N] .. id[N-N]); pass^k is reported for k <= N. Default 1, "
                         "or N when the arguments name trials like 'file::id[2-N]'")
    group.addoption("--ecom-report", default=None, metavar="PATH", help="write the versioned JSON report here")
    group.addoption("--ecom-concurrency", type=_positive_int, default=4, metavar="N",
                    help="trials of one task run concurrently in a process (default 4)")
    group.addoption("--ecom-scoring", choices=("default", "reference"), default="default",
                    help="how trials pass: our rules (default) or the reference benchmarks' (ECom-Bench's reward "
                         "for tasks, EComStage's substring rule for label samples); the report shows both")
    group.addoption("--agent-model", default=None, metavar="MODEL",
                    help="the model of --agent=litellm (any litellm model, e.g. openai/gpt-4o-mini)")
    group.addoption("--agent-base-url", default=None, metavar="URL",
                    help="OpenAI-compatible endpoint serving --agent-model")
    group.addoption("--vision-model", default=None, metavar="MODEL",
                    help="a litellm vision model for tools that look at images (ECom-Bench's get_image_info); "
                         "without it they answer from the task's `images:` notes")
    group.addoption("--vision-base-url", default=None, metavar="URL",
                    help="OpenAI-compatible endpoint serving --vision-model")
    group.addoption("--embedding-model", default=None, metavar="MODEL",
                    help="litellm model for embedding similarity of free-text samples (default: token F1)")
    group.addoption("--embedding-base-url", default=None, metavar="URL",
                    help="OpenAI-compatible endpoint serving --embedding-model")
    group.addoption("--judge-model", default=None, metavar="MODEL",
                    help="litellm model grading samples whose scorer is judge (0-2)")
    group.addoption("--judge-base-url", default=None, metavar="URL",
                    help="OpenAI-compatible endpoint serving --judge-model")
    group.addoption("--ecom-include-malformed", action="store_true",
                    help="also run samples an importer flagged as malformed (skipped by default)")
    group.addoption("--ecom-gate", type=_gate, action="append", default=[], metavar="GATE",
                    help="decide the exit code by a threshold, e.g. 'pass^3>=0.6', 'returns:pass^1>=0.8', "
                         "'perception:accuracy>=0.9' (repeatable); with gates, failed trials alone do not fail the run")
    group.addoption("--ecom-max-errors", type=_non_negative_int, default=0, metavar="N",
                    help="with gates: trial errors allowed before the run fails (default 0)")
    group.addoption("--ecom-log", default=None, metavar="PATH",
                    help="append every finished trial's record to this JSON-lines file as it ends")
    group.addoption("--ecom-shard", type=_shard, default=None, metavar="I/N",
                    help="run share I of N of the tasks (stable across machines; a task's trials stay together); "
                         "merge the shards' reports with `pytest-ecom merge`")
    group.addoption("--ecom-timeout", type=_positive_seconds, default=None, metavar="SECONDS",
                    help="per-trial wall-clock limit, overriding each task's limits.timeout_s")


_TRIAL_ID = re.compile(r"::[^:]+\[\d+-(\d+)\]$")


def _repeat(config: pytest.Config) -> int:
    """``--repeat``, or the N of trial ids given as arguments, so a pasted id just works."""
    given = config.getoption("--repeat")
    if given is not None:
        return given
    counts = {int(m.group(1)) for arg in config.args if (m := _TRIAL_ID.search(arg))}
    return counts.pop() if len(counts) == 1 else 1


def read_settings(config: pytest.Config) -> Settings:
    report = config.getoption("--ecom-report")
    return Settings(
        agent=config.getoption("--agent"),
        repeat=_repeat(config),
        report=Path(report) if report else None,
        concurrency=config.getoption("--ecom-concurrency"),
        timeout=config.getoption("--ecom-timeout"),
        scoring=config.getoption("--ecom-scoring"),
        include_malformed=config.getoption("--ecom-include-malformed"),
        models=ScoringModels(config.getoption("--embedding-model"), config.getoption("--embedding-base-url"),
                             config.getoption("--judge-model"), config.getoption("--judge-base-url")),
        agent_model=config.getoption("--agent-model"),
        agent_base_url=config.getoption("--agent-base-url"),
        vision_model=config.getoption("--vision-model"),
        vision_base_url=config.getoption("--vision-base-url"),
        gates=tuple(config.getoption("--ecom-gate")),
        max_errors=config.getoption("--ecom-max-errors"),
        log=Path(log) if (log := config.getoption("--ecom-log")) else None,
        shard=config.getoption("--ecom-shard"),
    )

"""Command-line options, parsed once into a frozen :class:`Settings` (kept in the run's state,
``config.stash[STATE].settings``)."""

from __future__ import annotations

import argparse
import hashlib
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_ecom.models.limits import LimitSyntaxError, ModelLimit, parse_limit
from pytest_ecom.models.llm import CallSettings
from pytest_ecom.prepare.persona_grid import GridSyntaxError, PersonaGrid, parse_grid
from pytest_ecom.results.gates import Gate, GateSyntaxError
from pytest_ecom.runner import TrialSettings
from pytest_ecom.runner.pool import DEFAULT_CONCURRENCY
from pytest_ecom.scoring.model_scorers import ScoringModels
from pytest_ecom.users.llm_customer import CustomerModel

@dataclass(frozen=True)
class Settings:
    agent: str | None
    repeat: int
    report: Path | None
    concurrency: int
    timeout: float | None
    scoring: str = "default"
    include_malformed: bool = False
    html: Path | None = None  # --ecom-html: the self-contained HTML report
    models: ScoringModels = ScoringModels()
    agent_model: str | None = None
    agent_base_url: str | None = None
    vision_model: str | None = None  # --vision-model: tools that look at images ask it
    max_cost: float | None = None  # --ecom-max-cost: USD after which no new trial starts
    calls: CallSettings = CallSettings()  # retries, sampling, prices and cassettes of every model call
    vision_base_url: str | None = None
    user_model: str | None = None  # --user-model: a model plays the customer (default: its script)
    user_base_url: str | None = None
    persona_grid: PersonaGrid | None = None  # --ecom-persona-grid: every task once per persona variant
    gates: tuple[Gate, ...] = ()
    max_errors: int = 0
    log: Path | None = None
    shard: tuple[int, int] | None = None  # (i, n): this run takes share i of n
    resume: Path | None = None  # --ecom-resume: a log whose trials are not run again
    baseline: Path | None = None  # --ecom-baseline: gate on regression against this report
    max_drop: float = 0.05  # --ecom-max-drop: the drop of pass^k the baseline gate tolerates
    progress: float = 10.0  # --ecom-progress: seconds between progress lines (0: none)
    customer_retries: int = 1  # --ecom-customer-retries: reruns of a trial whose customer model was at fault
    mcp: bool = False  # --ecom-mcp: each trial's tools served over MCP
    transcripts: str = "failed"  # --ecom-transcripts: whose conversation the JSON report keeps (the log: all)

    @property
    def customer_model(self) -> CustomerModel | None:
        """The model playing the customer, or None for the scripted customer."""
        return CustomerModel(self.user_model, self.user_base_url) if self.user_model else None

    @property
    def trial(self) -> TrialSettings:
        """What each trial's run and score take from these options."""
        return TrialSettings(timeout_s=self.timeout, scoring=self.scoring, models=self.models,
                             customer=self.customer_model, customer_retries=self.customer_retries,
                             agent_options={"agent_model": self.agent_model, "agent_base_url": self.agent_base_url},
                             mcp=self.mcp)

    def rerun_command(self, nodeid: str) -> str:
        """A one-line command that reruns exactly one trial (same id, same seed)."""
        parts = ["pytest", nodeid, f"--agent={self.agent}", f"--repeat={self.repeat}"]
        parts += _valued(("--agent-model", self.agent_model), ("--agent-base-url", self.agent_base_url),
                         ("--vision-model", self.vision_model), ("--vision-base-url", self.vision_base_url),
                         ("--user-model", self.user_model), ("--user-base-url", self.user_base_url))
        if self.user_model and self.customer_retries != 1:
            parts.append(f"--ecom-customer-retries={self.customer_retries}")
        if self.persona_grid is not None:  # the variant's item exists only with the grid
            parts.append(f"--ecom-persona-grid={self.persona_grid.expression}")
        if self.timeout is not None:
            parts.append(f"--ecom-timeout={self.timeout:g}")
        if self.scoring != "default":
            parts.append(f"--ecom-scoring={self.scoring}")
        if self.include_malformed:
            parts.append("--ecom-include-malformed")
        if self.mcp:
            parts.append("--ecom-mcp")
        parts += _valued(("--embedding-model", self.models.embedding_model),
                         ("--embedding-base-url", self.models.embedding_base_url),
                         ("--judge-model", self.models.judge_model),
                         ("--judge-base-url", self.models.judge_base_url),
                         ("--model-temperature", f"{self.calls.temperature:g}" if self.calls.temperature else None),
                         ("--model-max-tokens", self.calls.max_tokens),
                         ("--ecom-replay", self.calls.replay))  # the same answers, offline
        calls, usual = self.calls, CallSettings()  # what changes a model call's outcome or timing
        parts += _valued(("--ecom-call-timeout", f"{calls.timeout_s:g}" if calls.timeout_s != usual.timeout_s else None),
                         ("--ecom-retries", calls.retries if calls.retries != usual.retries else None),
                         ("--ecom-backoff", f"{calls.backoff_s:g}" if calls.backoff_s != usual.backoff_s else None))
        parts += [f"--ecom-price={model}={given:g},{out:g}" for model, (given, out) in sorted(calls.prices.items())]
        return shlex.join(parts)

    def fingerprint_options(self) -> dict[str, object]:
        return {"repeat": self.repeat, "timeout": self.timeout, "scoring": self.scoring,
                "include_malformed": self.include_malformed, "agent_model": self.agent_model,
                "vision_model": self.vision_model, "temperature": self.calls.temperature,
                "max_tokens": self.calls.max_tokens,
                "user_model": self.user_model,
                # only a model-played customer is retried (None otherwise, like user_model)
                "customer_retries": self.customer_retries if self.user_model else None,
                "persona_grid": self.persona_grid.expression if self.persona_grid is not None else None,
                "embedding_model": self.models.embedding_model,
                "judge_model": self.models.judge_model,
                "mcp": self.mcp}


def _valued(*options: tuple[str, object]) -> list[str]:
    """``--option=value`` for each option that has a value."""
    return [f"{option}={value}" for option, value in options if value is not None and value != ""]


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


def _model_options(group: _Grouped, role: str, help: str) -> None:
    """``--<role>-model`` and ``--<role>-base-url`` (an OpenAI-compatible endpoint serving it)."""
    group.addoption(f"--{role}-model", default=None, metavar="MODEL", help=help)
    group.addoption(f"--{role}-base-url", default=None, metavar="URL",
                    help=f"OpenAI-compatible endpoint serving --{role}-model")


def _positive_usd(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount of USD") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _price(text: str) -> tuple[str, tuple[float, float]]:
    model, _, prices = text.rpartition("=")
    try:
        given, out = (float(p) for p in prices.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MODEL=INPUT,OUTPUT in USD per million tokens, "
                                         "e.g. openai/my-bot=0.15,0.6") from None
    if not model or given < 0 or out < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MODEL=INPUT,OUTPUT (non-negative USD per million tokens)")
    return model, (given, out)


def _rate_limit(text: str) -> ModelLimit:
    try:
        return parse_limit(text)
    except LimitSyntaxError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _persona_grid(text: str) -> PersonaGrid:
    try:
        return parse_grid(text)
    except GridSyntaxError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number between 0 and 1") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (a drop of pass^k), got {text}")
    return value


def _shard(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m[1]) <= int(m[2]):
        raise argparse.ArgumentTypeError(f"{text!r}: write i/n with 1 <= i <= n, e.g. 2/4")
    return int(m[1]), int(m[2])


def shard_of(task_id: str, count: int) -> int:
    """The share (1..count) a task belongs to: stable across machines, all its trials together."""
    return int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:8], "big") % count + 1


def _seconds(minimum_excluded: bool) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds, more than 0 (or at least 0), at most a day."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not (value > 0 if minimum_excluded else value >= 0):
            raise argparse.ArgumentTypeError(f"must be {'more than' if minimum_excluded else 'at least'} 0 seconds, "
                                             f"got {text}")
        if not value <= MAX_SECONDS:  # also refuses inf and nan
            raise argparse.ArgumentTypeError(f"must be at most {MAX_SECONDS:g} seconds (a day), got {text}")
        return value

    return parse


MAX_SECONDS = 86_400.0
_positive_seconds = _seconds(minimum_excluded=True)
_non_negative_seconds = _seconds(minimum_excluded=False)


# `pytest --help` shows our options in these groups, in this order. Every option is placed by the
# table below (a new option: one line in OPTION_GROUP, then `group.addoption(...)` in add_options as
# usual); an option missing from it fails at start-up, so none lands in a stray group.
GROUPS: tuple[tuple[str, str], ...] = (
    ("run", "pytest-ecom: run (agent, trials, scoring)"),
    ("models", "pytest-ecom: models (who plays agent, customer, judge; calls, cost, cassettes)"),
    ("reports", "pytest-ecom: reports (JSON, HTML, log, progress)"),
    ("ci", "pytest-ecom: CI (gates, baseline, shards, resume)"),
)
OPTION_GROUP: dict[str, str] = {
    "--agent": "run", "--repeat": "run", "--ecom-concurrency": "run", "--ecom-timeout": "run",
    "--ecom-scoring": "run", "--ecom-persona-grid": "run", "--ecom-include-malformed": "run",
    "--agent-model": "models", "--agent-base-url": "models", "--user-model": "models", "--user-base-url": "models",
    "--ecom-customer-retries": "models", "--vision-model": "models", "--vision-base-url": "models",
    "--embedding-model": "models", "--embedding-base-url": "models", "--judge-model": "models",
    "--judge-base-url": "models", "--ecom-retries": "models", "--ecom-call-timeout": "models",
    "--ecom-backoff": "models", "--model-temperature": "models", "--model-max-tokens": "models",
    "--ecom-price": "models", "--ecom-max-cost": "models", "--ecom-record": "models", "--ecom-replay": "models",
    "--ecom-report": "reports", "--ecom-html": "reports", "--ecom-log": "reports", "--ecom-progress": "reports",
    "--ecom-gate": "ci", "--ecom-max-errors": "ci", "--ecom-baseline": "ci", "--ecom-max-drop": "ci",
    "--ecom-shard": "ci", "--ecom-resume": "ci",
    "--ecom-mcp": "run", "--ecom-transcripts": "reports", "--ecom-rate-limit": "models",
}


class _Grouped:
    """``addoption`` that puts each option into its group of :data:`OPTION_GROUP`."""

    def __init__(self, parser: pytest.Parser) -> None:
        self._groups = {key: parser.getgroup(f"ecom-{key}", title) for key, title in GROUPS}

    def addoption(self, *names: str, **kwargs: object) -> None:
        long_name = next((n for n in names if n.startswith("--")), names[0])
        if long_name not in OPTION_GROUP:
            raise KeyError(f"pytest-ecom option {long_name} has no group: add it to OPTION_GROUP in "
                           f"pytest_ecom/pytest_plugin/options.py (one of {', '.join(k for k, _ in GROUPS)})")
        self._groups[OPTION_GROUP[long_name]].addoption(*names, **kwargs)  # type: ignore[arg-type]


def add_options(parser: pytest.Parser) -> None:
    group = _Grouped(parser)
    group.addoption("--agent", default=None, metavar="NAME",
                    help="agent under test: a registered name (e.g. oracle) or module:attr. "
                         "Without it, tasks are collected and validated but skipped.")
    group.addoption("--repeat", type=_positive_int, default=None, metavar="N",
                    help="trials per task (items id[1-N] .. id[N-N]); pass^k is reported for k <= N. Default 1, "
                         "or N when the arguments name trials like 'file::id[2-N]'")
    group.addoption("--ecom-report", default=None, metavar="PATH", help="write the versioned JSON report here")
    group.addoption("--ecom-html", default=None, metavar="PATH",
                    help="write a self-contained HTML report here (pass^k curve, breakdowns, every trial)")
    group.addoption("--ecom-transcripts", choices=("failed", "all"), default="failed",
                    help="whose conversation and trajectory the JSON and HTML reports keep: failed and errored "
                         "trials (default) or all; the --ecom-log file always keeps every trial's")
    group.addoption("--ecom-concurrency", type=_positive_int, default=DEFAULT_CONCURRENCY, metavar="N",
                    help="trials in flight at once in a process, across tasks, started in collection order "
                         f"(default {DEFAULT_CONCURRENCY}; a sync agent then runs in up to N threads at once)")
    group.addoption("--ecom-scoring", choices=("default", "reference"), default="default",
                    help="how trials pass: our rules (default) or the reference benchmarks' (ECom-Bench's reward "
                         "for tasks, EComStage's substring rule for label samples); the report shows both")
    _model_options(group, "agent", "the model of --agent=litellm (any litellm model, e.g. openai/gpt-4o-mini)")
    group.addoption("--ecom-retries", type=_non_negative_int, default=3, metavar="N",
                    help="retries of a model call after a rate limit, timeout, connection failure or 5xx "
                         "(default 3; then the trial is an error)")
    group.addoption("--ecom-call-timeout", type=_positive_seconds, default=60.0, metavar="S",
                    help="time limit of one attempt of a model call (default 60 s); a call that hangs is "
                         "retried, then a trial error")
    group.addoption("--ecom-backoff", type=_positive_seconds, default=1.0, metavar="S",
                    help="first wait before a retry, doubled each time, with jitter (default 1 s)")
    group.addoption("--model-temperature", type=float, default=0.0, metavar="T",
                    help="sampling temperature of every model call (default 0; recorded in the report)")
    group.addoption("--model-max-tokens", type=_positive_int, default=None, metavar="N",
                    help="max tokens of every model reply (default: the model's)")
    group.addoption("--ecom-max-cost", type=_positive_usd, default=None, metavar="USD",
                    help="stop starting trials once the run's model calls cost this much (across xdist "
                         "workers); trials not started are reported as not run, their tasks incomplete")
    group.addoption("--ecom-price", type=_price, action="append", default=None, metavar="MODEL=IN,OUT",
                    help="USD per million input and output tokens of a model litellm has no price for "
                         "(repeatable); without one its cost is reported as unknown")
    group.addoption("--ecom-rate-limit", type=_rate_limit, action="append", default=None,
                    metavar="MODEL=RATE/UNIT,inflight=N",
                    help="cap a model's requests per time and in flight, shared by all xdist workers, e.g. "
                         "openai/gpt-4o=500/min,inflight=32 (repeatable; MODEL * for every other model). "
                         "A 429 halves the model's calls in flight and honours Retry-After for all")
    group.addoption("--ecom-record", default=None, metavar="DIR",
                    help="write every model call of the run to cassettes in DIR")
    group.addoption("--ecom-replay", default=None, metavar="DIR",
                    help="answer every model call from the cassettes in DIR (no network; a missing or "
                         "changed call is a trial error)")
    _model_options(group, "vision", "a litellm vision model for tools that look at images (ECom-Bench's "
                                    "get_image_info); without it they answer from the task's `images:` notes")
    _model_options(group, "user", "a litellm model plays the customer from the task's goal and persona "
                                  "(default: the offline scripted customer)")
    group.addoption("--ecom-customer-retries", type=_non_negative_int, default=1, metavar="N",
                    help="with --user-model: run a trial again, up to N times (default 1), when the customer "
                         "model was at fault (a customer error); only the last attempt counts, the earlier "
                         "ones are kept in the record")
    group.addoption("--ecom-persona-grid", type=_persona_grid, default=None, metavar="GRID",
                    help="run every task once per persona variant, e.g. "
                         "'emotion=calm,angry patience=high,low style=clear,vague' (ids task[calm-high-clear-1-N]); "
                         "the summary adds pass^k per dimension value. Meant for --user-model")
    _model_options(group, "embedding",
                   "litellm model for embedding similarity of free-text samples (default: token F1)")
    _model_options(group, "judge", "litellm model grading samples whose scorer is judge (0-2)")
    group.addoption("--ecom-include-malformed", action="store_true",
                    help="also run samples an importer flagged as malformed (skipped by default)")
    group.addoption("--ecom-gate", type=_gate, action="append", default=[], metavar="GATE",
                    help="decide the exit code by a threshold, e.g. 'pass^3>=0.6', 'returns:pass^1>=0.8', "
                         "'perception:accuracy>=0.9' (repeatable); with gates, failed trials alone do not fail the run")
    group.addoption("--ecom-max-errors", type=_non_negative_int, default=0, metavar="N",
                    help="with gates: trial errors allowed before the run fails (default 0)")
    group.addoption("--ecom-log", default=None, metavar="PATH",
                    help="append every finished trial's record to this JSON-lines file as it ends, with its full "
                         "trajectory (`pytest-ecom rescore` scores it again)")
    group.addoption("--ecom-baseline", default=None, metavar="REPORT",
                    help="gate on regression against a saved JSON report: fail when pass^k dropped by more than "
                         "--ecom-max-drop and a paired bootstrap over the shared tasks says the drop is real")
    group.addoption("--ecom-max-drop", type=_fraction, default=None, metavar="DROP",
                    help="with --ecom-baseline: the drop of pass^k tolerated (default 0.05)")
    group.addoption("--ecom-progress", type=_non_negative_seconds, default=10.0, metavar="SECONDS",
                    help="print trials done / total (and cost so far) at most every SECONDS on long runs "
                         "(default 10; 0: never; never with -q)")
    group.addoption("--ecom-resume", default=None, metavar="PATH",
                    help="resume a stopped run from its --ecom-log file: run only the trials not yet in it; "
                         "the summary and report cover all (give --ecom-log=PATH too to keep logging there)")
    group.addoption("--ecom-shard", type=_shard, default=None, metavar="I/N",
                    help="run share I of N of the tasks (stable across machines; a task's trials stay together); "
                         "merge the shards' reports with `pytest-ecom merge`")
    group.addoption("--ecom-mcp", action="store_true",
                    help="serve each trial's tools over MCP (streamable HTTP on 127.0.0.1, URL in "
                         "context.mcp_url); needs the mcp extra: pip install 'pytest-ecom[mcp]'")
    group.addoption("--ecom-timeout", type=_positive_seconds, default=None, metavar="SECONDS",
                    help="per-trial wall-clock limit, overriding each task's limits.timeout_s (at most 86400)")


_TRIAL_ID = re.compile(r"::[^:]+\[(?:[^\[\]]*-)?\d+-(\d+)\]$")  # id[2-3], or with a persona variant id[calm-2-3]


def _repeat(config: pytest.Config) -> int:
    """``--repeat``, or the N of trial ids given as arguments, so a pasted id just works."""
    given = config.getoption("--repeat")
    if given is not None:
        return given
    counts = {int(m.group(1)) for arg in config.args if (m := _TRIAL_ID.search(arg))}
    return counts.pop() if len(counts) == 1 else 1


def _max_drop(config: pytest.Config) -> float:
    given = config.getoption("--ecom-max-drop")
    if given is not None and not config.getoption("--ecom-baseline"):
        raise pytest.UsageError("--ecom-max-drop needs --ecom-baseline=REPORT: the report to compare with")
    return 0.05 if given is None else given


def read_settings(config: pytest.Config) -> Settings:
    report = config.getoption("--ecom-report")
    return Settings(
        agent=config.getoption("--agent"),
        repeat=_repeat(config),
        report=Path(report) if report else None,
        html=Path(html) if (html := config.getoption("--ecom-html")) else None,
        concurrency=config.getoption("--ecom-concurrency"),
        timeout=config.getoption("--ecom-timeout"),
        scoring=config.getoption("--ecom-scoring"),
        include_malformed=config.getoption("--ecom-include-malformed"),
        models=ScoringModels(config.getoption("--embedding-model"), config.getoption("--embedding-base-url"),
                             config.getoption("--judge-model"), config.getoption("--judge-base-url")),
        agent_model=config.getoption("--agent-model"),
        agent_base_url=config.getoption("--agent-base-url"),
        vision_model=config.getoption("--vision-model"),
        max_cost=config.getoption("--ecom-max-cost"),
        calls=CallSettings(
            retries=config.getoption("--ecom-retries"), backoff_s=config.getoption("--ecom-backoff"),
            timeout_s=config.getoption("--ecom-call-timeout"),
            temperature=config.getoption("--model-temperature"), max_tokens=config.getoption("--model-max-tokens"),
            prices=dict(config.getoption("--ecom-price") or ()),
            record=Path(record) if (record := config.getoption("--ecom-record")) else None,
            replay=Path(replay) if (replay := config.getoption("--ecom-replay")) else None,
            limits=tuple(config.getoption("--ecom-rate-limit") or ())),
        vision_base_url=config.getoption("--vision-base-url"),
        user_model=config.getoption("--user-model"),
        user_base_url=config.getoption("--user-base-url"),
        persona_grid=config.getoption("--ecom-persona-grid"),
        gates=tuple(config.getoption("--ecom-gate")),
        max_errors=config.getoption("--ecom-max-errors"),
        log=Path(log) if (log := config.getoption("--ecom-log")) else None,
        shard=config.getoption("--ecom-shard"),
        resume=Path(resume) if (resume := config.getoption("--ecom-resume")) else None,
        baseline=Path(baseline) if (baseline := config.getoption("--ecom-baseline")) else None,
        max_drop=_max_drop(config),
        progress=config.getoption("--ecom-progress"),
        customer_retries=config.getoption("--ecom-customer-retries"),
        mcp=config.getoption("--ecom-mcp"),
        transcripts=config.getoption("--ecom-transcripts"),
    )

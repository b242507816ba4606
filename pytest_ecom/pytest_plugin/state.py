"""What the plugin keeps for one pytest session (in ``config.stash``, never in globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

import pytest

from pytest_ecom.agents import AgentSpec
from pytest_ecom.models.budget import Budget
from pytest_ecom.prepare.spec_cache import SpecCache
from pytest_ecom.pytest_plugin.lookahead import Lookahead
from pytest_ecom.pytest_plugin.options import Settings
from pytest_ecom.pytest_plugin.progress import Progress
from pytest_ecom.results.compare import Comparison
from pytest_ecom.results.gates import Verdict
from pytest_ecom.results.log import ResumeLog, TrialKey
from pytest_ecom.results.record import TrialRecord
from pytest_ecom.results.report import Report
from pytest_ecom.runner import TrialPool


@dataclass
class RunState:
    settings: Settings
    agent: AgentSpec | None
    pool: TrialPool | None = None
    lookahead: Lookahead | None = None  # the trials after the running item, for the pool to start
    records: list[TrialRecord] = field(default_factory=list)
    # tasks with trials deselected by -k/-m/--lf (reported: pass^k then covers a subset)
    deselected: set[str] = field(default_factory=set)
    spec_cache: SpecCache | None = None
    log: TextIO | None = None  # --ecom-log, appended as trials finish
    verdicts: list[Verdict] = field(default_factory=list)
    # --ecom-resume: the log (read by the controller only), the logged trials as
    # (task, trial, digest) for every process, and what the collection made of them
    resume_log: ResumeLog | None = None
    resume_done: list[tuple[str, int, str]] = field(default_factory=list)
    resumed: set[TrialKey] = field(default_factory=set)  # collected trials taken from the log
    stale: set[str] = field(default_factory=set)  # tasks changed since logged: run again
    baseline: Report | None = None  # --ecom-baseline: the saved report (controller only)
    comparison: Comparison | None = None  # this run against the baseline, once it is gated
    progress: Progress | None = None  # the progress line (controller only)
    budget: Budget | None = None  # --ecom-max-cost: the run's shared spending ledger
    not_run_budget: int = 0  # trials skipped because the budget was spent (controller's count)
    not_run_tasks: set[str] = field(default_factory=set)  # their tasks


STATE = pytest.StashKey[RunState]()

"""pytest hooks of pytest-ecom (entry point ``pytest11: ecom``)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom.agents import UnknownAgent, resolve_agent
from pytest_ecom.models import llm, vision
from pytest_ecom.models.budget import Budget
from pytest_ecom.prepare.spec_cache import SpecCache
from pytest_ecom.prepare.task import forget_dependency_stamps
from pytest_ecom.pytest_plugin import hookspecs
from pytest_ecom.pytest_plugin.accounting import Accounting
from pytest_ecom.pytest_plugin.collect import MisspeltFile, SampleFile, TaskFile
from pytest_ecom.pytest_plugin.items import TrialItem
from pytest_ecom.pytest_plugin.lookahead import Lookahead
from pytest_ecom.pytest_plugin.options import add_options, read_settings, shard_of
from pytest_ecom.pytest_plugin.progress import Progress, ProgressHooks
from pytest_ecom.pytest_plugin.state import STATE, RunState
from pytest_ecom.pytest_plugin.xdist import (XdistHooks, budget_ledger_from_controller, limits_folder_from_controller,
                                             resume_done_from_controller, send_deselected, send_resumed)
from pytest_ecom.reporting.html import write_html
from pytest_ecom.reporting.json_report import write_report
from pytest_ecom.reporting.terminal import summary_lines
from pytest_ecom.results.clean import forget_secrets
from pytest_ecom.results.compare import common_k, compare_records, incomparable, refused_verdict, regression_verdict
from pytest_ecom.results.fingerprint import run_fingerprint, scored_differently
from pytest_ecom.results.gates import Verdict, evaluate_all
from pytest_ecom.results.log import ResumeError, ResumeLog, open_log, read_log
from pytest_ecom.results.log import plan as resume_plan
from pytest_ecom.results.record import headline_properties
from pytest_ecom.results.report import Report, ReportError, build_report, keep_transcripts, load_report
from pytest_ecom.runner import TrialPool
from pytest_ecom.runner.episode import agent_threads_running
from pytest_ecom.spec import TASK_SUFFIX
from pytest_ecom.spec.samples import SAMPLE_SUFFIX
from pytest_ecom.spec.task_files import MISSPELT


def _need_mcp(why: str) -> None:
    """MCP needs the ``mcp`` extra: say so before any trial runs."""
    import importlib.metadata

    try:
        major = int(importlib.metadata.version("mcp").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        major = 0
    if major != 2:
        raise pytest.UsageError(f"{why} serves the tools over MCP, which needs version 2 of the mcp SDK: "
                                "pip install 'pytest-ecom[mcp]'")


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def selection_options(config: pytest.Config, stopped_early: bool = False) -> list[str]:
    """The options in use that run only part of the collected items (``-x``/``--maxfail`` only when
    they did stop the run)."""
    used = []
    for option, flag in (("keyword", "-k"), ("markexpr", "-m"), ("lf", "--lf"), ("deselect", "--deselect")):
        if getattr(config.option, option, None):
            used.append(flag)
    if config.stash[STATE].settings.shard is not None:
        used.append("--ecom-shard")
    if stopped_early:
        maxfail = config.option.maxfail
        used.append("-x" if maxfail == 1 else f"--maxfail={maxfail}")
    return used


def stopped_by_maxfail(session: pytest.Session) -> bool:
    """Whether ``-x``/``--maxfail`` ended the run before every selected item ran (with xdist the
    controller's scheduler, not the session, notes the stop)."""
    if not session.config.option.maxfail:
        return False
    dsession = session.config.pluginmanager.getplugin("dsession")
    return bool(session.shouldfail or session.shouldstop or getattr(dsession, "shouldstop", False))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "reruns", 0):
        raise pytest.UsageError(
            "pytest-ecom refuses --reruns: rerunning failed trials until they pass would inflate pass^k. "
            "Use --repeat=N to run every trial N times and read pass^k."
        )
    settings = read_settings(config)
    if settings.calls.limits:  # every process of the run shares the caps through one folder
        folder = limits_folder_from_controller(config) if _is_worker(config) else None
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="pytest-ecom-limits-"))
        settings = dataclasses.replace(settings, calls=dataclasses.replace(settings.calls, limits_folder=folder))
    forget_dependency_stamps()
    forget_secrets()  # this session's environment decides what is redacted
    config.addinivalue_line("markers", "ecom: a pytest-ecom trial item")
    agent = None
    if settings.agent is not None:
        extra: dict[str, Any] = {}
        for found in config.hook.pytest_ecom_agents():
            extra.update(found or {})
        here = str(config.invocation_params.dir)
        if ":" in settings.agent and here not in sys.path:
            sys.path.append(here)  # like `python -m`: a module beside you can be the agent
        try:
            agent = resolve_agent(settings.agent, extra)
        except UnknownAgent as exc:
            raise pytest.UsageError(str(exc)) from None
    if settings.mcp or (agent is not None and agent.uses_mcp):
        _need_mcp("--ecom-mcp" if settings.mcp else f"--agent={settings.agent} (an MCP agent)")
    if settings.vision_base_url and not settings.vision_model:
        raise pytest.UsageError("--vision-base-url needs --vision-model")
    vision.configure(settings.vision_model, settings.vision_base_url)
    if settings.calls.record and settings.calls.replay:
        raise pytest.UsageError("--ecom-record and --ecom-replay exclude each other: record once, then replay")
    if settings.calls.replay and not settings.calls.replay.is_dir():
        raise pytest.UsageError(f"--ecom-replay: no cassette folder {settings.calls.replay} "
                                "(record one first with --ecom-record)")
    llm.configure(settings.calls)
    if settings.agent == "litellm" and not settings.agent_model:
        raise pytest.UsageError("--agent=litellm needs --agent-model, e.g. --agent-model=openai/gpt-4o-mini")
    if settings.user_base_url and not settings.user_model:
        raise pytest.UsageError("--user-base-url needs --user-model (the model that plays the customer)")
    fingerprint = run_fingerprint(settings.agent, settings.fingerprint_options())
    controller = not _is_worker(config)  # reads the files once (the resumed log before --ecom-log appends)
    resume_log = _read_resume_log(config, settings.resume, fingerprint) if settings.resume and controller else None
    baseline = _load_baseline(settings.baseline, settings.fingerprint_options()) if settings.baseline and controller \
        else None
    state = RunState(settings, agent, TrialPool(settings.concurrency) if agent else None)
    state.resume_log = resume_log
    state.baseline = baseline
    if resume_log is not None:
        state.resume_done = resume_log.done()
    elif settings.resume is not None:  # an xdist worker: the controller read the log
        state.resume_done = resume_done_from_controller(config)
    if settings.max_cost is not None:
        ledger = budget_ledger_from_controller(config) if _is_worker(config) else None
        if ledger is None:  # the controller, or a run without xdist: the run's ledger starts here
            ledger = Path(tempfile.mkdtemp(prefix="pytest-ecom-budget-")) / "spent.txt"
        state.budget = Budget(settings.max_cost, ledger)
        for logged in (resume_log.records.values() if resume_log is not None else ()):
            if logged.get("tokens"):  # what the resumed run already spent counts against the budget
                state.budget.spend(logged.get("cost_usd"))
    if settings.log is not None and not _is_worker(config):
        state.log = open_log(settings.log, fingerprint, resumed=resume_log is not None)
    if not _is_worker(config) and settings.progress > 0 and config.get_verbosity() >= 0:
        state.progress = Progress(settings.progress, lambda line: _write_line(config, line))
        config.pluginmanager.register(ProgressHooks(state.progress), "ecom-progress")
    if getattr(config, "cache", None) is not None:  # pytest's cacheprovider is active
        state.spec_cache = SpecCache(config.cache.mkdir("pytest-ecom") / "specs.pickle")
    config.stash[STATE] = state
    config.pluginmanager.register(EcomSession(config, state), "ecom-session")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(config), "ecom-xdist")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name.endswith(TASK_SUFFIX):
        return TaskFile.from_parent(parent, path=file_path)
    if file_path.name.endswith(SAMPLE_SUFFIX):
        return SampleFile.from_parent(parent, path=file_path)
    if file_path.name.endswith(tuple(MISSPELT)):
        return MisspeltFile.from_parent(parent, path=file_path)
    return None


def _write_line(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    reporter.ensure_newline()
    if getattr(getattr(reporter, "_tw", None), "width_of_current_line", 0):
        reporter.write("\n")  # xdist's letters leave the line open without telling the reporter
    reporter.write_line(line)


def _read_resume_log(config: pytest.Config, path: Path, fingerprint: dict[str, Any]) -> ResumeLog:
    try:
        log = read_log(path, fingerprint)
    except ResumeError as exc:
        raise pytest.UsageError(str(exc)) from None
    for problem in log.skipped:  # a line cut short by the interruption: warned about, the rest kept
        config.issue_config_time_warning(pytest.PytestWarning(problem), stacklevel=2)
    return log


def _load_baseline(path: Path, options: dict[str, Any]) -> Report:
    """The baseline report, refused before anything runs when it is unreadable or scored otherwise."""
    try:
        baseline = load_report(path)
    except ReportError as exc:
        raise pytest.UsageError(f"--ecom-baseline: {exc}") from None
    problem = scored_differently(baseline["fingerprint"]["options"], options)
    if problem:
        raise pytest.UsageError(f"--ecom-baseline: {path} cannot be compared with this run: {problem}")
    return baseline


class EcomSession:
    """Per-session hooks, registered in ``pytest_configure`` (the pattern of pytest's junitxml)."""

    def __init__(self, config: pytest.Config, state: RunState) -> None:
        self.config = config
        self.state = state
        self._built: Report | None = None
        self.accounting = Accounting()  # every trial that ran leaves exactly one record (controller)
        self.problems: list[str] = []
        self.stopped_early = False  # -x / --maxfail stopped the run: pass^k covers a subset

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Remember the session's order, for the pool to start trials ahead of the running item."""
        if self.state.spec_cache is not None:
            problem = self.state.spec_cache.save()
            if problem:
                warnings.warn(pytest.PytestWarning(problem), stacklevel=1)
        if self.state.progress is not None:
            self.state.progress.total = sum(isinstance(item, TrialItem) for item in session.items)
        self.state.lookahead = Lookahead(self.config, lambda item: isinstance(item, TrialItem),
                                         lambda item: (item.key, item.start_trial))
        self.state.lookahead.collected(session.items)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if isinstance(item, TrialItem) and item.not_run and report.when == "setup":
            report.ecom_not_run = item.not_run  # travels to the xdist controller, which counts it
            report.ecom_task = item.prepared.id
        if isinstance(item, TrialItem) and item.record is not None:
            if report.when == "call" or (report.when == "setup" and report.failed):
                # A report attribute travels to the xdist controller (user_properties would put the
                # whole record into junit XML); junit gets the headline, read from the teardown report.
                report.ecom_record = item.record
                item.user_properties.extend(headline_properties(item.record))
            if report.when == "setup" and report.failed and call.excinfo is not None:
                # pytest formats setup errors without repr_failure; show the trial's story instead.
                report.longrepr = item.repr_failure(call.excinfo)
        return report

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.state.deselected.update(i.prepared.id for i in items if isinstance(i, TrialItem))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.state.resume_done:
            self._deselect_resumed(config, items)
        shard = self.state.settings.shard
        if shard is None:
            return
        index, count = shard
        keep, drop = [], []
        for item in items:
            own = not isinstance(item, TrialItem) or shard_of(item.prepared.id, count) == index
            (keep if own else drop).append(item)
        if drop:
            items[:] = keep
            config.hook.pytest_deselected(items=drop)

    def _deselect_resumed(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Leave out the trials the resumed log already has (the same on every xdist worker)."""
        trials = [i for i in items if isinstance(i, TrialItem)]
        found = resume_plan(((i.prepared.id, i.trial, i.prepared.digest) for i in trials), self.state.resume_done)
        self.state.resumed, self.state.stale = set(found.resumed), set(found.stale)
        drop = [i for i in trials if (i.prepared.id, i.trial) in found.resumed]
        if drop:
            dropped = set(map(id, drop))
            items[:] = [i for i in items if id(i) not in dropped]
            config.hook.pytest_deselected(items=drop)

    def _add_resumed(self, session: pytest.Session) -> None:
        """Put the logged trials into this run's records; without gates, the exit code is
        then the one the whole run would have had."""
        assert self.state.resume_log is not None
        logged = [self.state.resume_log.records[key] for key in sorted(self.state.resumed)]
        self.state.records[:0] = logged
        if logged and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            bad = any(r["outcome"] != "pass" for r in logged)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED if bad else pytest.ExitCode.OK

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "ecom_record", None)
        if getattr(report, "ecom_not_run", None) == "budget" and not _is_worker(self.config):
            self.state.not_run_budget += 1
            self.state.not_run_tasks.add(report.ecom_task)
        if _is_worker(self.config):
            return
        self.accounting.saw(report)
        if record is not None:
            self.state.records.append(record)
            if self.state.log is not None:  # each finished trial is on disk at once
                self.state.log.write(json.dumps(record, ensure_ascii=False) + "\n")
                self.state.log.flush()
                self.accounting.logged += 1

    def _report(self) -> Report:
        """The run's report, built once at the end (JSON, HTML and the terminal summary share it)."""
        if self._built is None:
            self._built = self._build_report()
        return self._built

    def _build_report(self) -> Report:
        s = self.state.settings
        report = build_report(keep_transcripts(self.state.records, s.transcripts), s.agent, s.repeat,
                              s.fingerprint_options(), self.state.deselected,
                              selection_options(self.config, self.stopped_early), self.state.verdicts,
                              self.state.not_run_tasks)
        if self.state.budget is not None:
            spent = self.state.budget.spent()
            report["budget"] = {"max_cost_usd": self.state.budget.limit_usd, "spent_usd": round(spent.usd, 8),
                                "unknown_cost_trials": spent.unknown, "not_run": self.state.not_run_budget}
        if self.state.comparison is not None:  # only with --ecom-baseline: the per-task changes
            report["baseline"] = {"report": str(s.baseline), **self.state.comparison.as_dict()}
        return report

    def _baseline_verdict(self) -> Verdict:
        """This run against ``--ecom-baseline`` (see pytest_ecom.results.compare for the rule)."""
        s, baseline = self.state.settings, self.state.baseline
        assert baseline is not None and s.baseline is not None
        k = common_k(baseline["fingerprint"]["options"]["repeat"], s.repeat)
        problem = incomparable(baseline["fingerprint"]["options"], s.fingerprint_options(), baseline["trials"],
                               self.state.records)
        if problem:
            return refused_verdict(s.max_drop, k, problem, str(s.baseline))
        self.state.comparison = compare_records(baseline["trials"], self.state.records, k)
        return regression_verdict(self.state.comparison, s.max_drop, str(s.baseline))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.state.pool is not None:
            self.state.pool.close()
            self.state.pool = None
        if _is_worker(self.config):
            send_deselected(self.config, self.state.deselected)
            send_resumed(self.config, self.state.resumed, self.state.stale)
            return
        if self.state.log is not None:
            self.state.log.close()
        if stopped_by_maxfail(session):
            self.stopped_early = True
            # Tasks collected here but never reached are "not run", like deselected ones (without
            # xdist; the xdist controller collects nothing, and says "may not be all" instead).
            self.state.deselected.update(i.prepared.id for i in session.items if isinstance(i, TrialItem))
        if self.state.resume_log is not None:
            self._add_resumed(session)
        s = self.state.settings
        if s.gates or self.state.baseline is not None:
            self.state.verdicts = evaluate_all(s.gates, self.state.records)
            if self.state.baseline is not None:
                self.state.verdicts.append(self._baseline_verdict())
            self.state.verdicts += evaluate_all((), self.state.records, s.max_errors)  # the errors gate, last
            if self.state.not_run_budget:  # a partial run cannot pass a gate
                self.state.verdicts.append(Verdict(
                    "budget", False, self.state.not_run_budget,
                    f"refused: --ecom-max-cost kept {self.state.not_run_budget} trial(s) of "
                    f"{len(self.state.not_run_tasks)} task(s) from running; gate the whole run"))
            if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
                # Gates decide: failed trials alone do not fail the run (an agent fails some).
                passed = all(v.passed for v in self.state.verdicts)
                session.exitstatus = pytest.ExitCode.OK if passed else pytest.ExitCode.TESTS_FAILED
        if s.report is not None:
            write_report(s.report, self._report())
        if s.html is not None:
            write_html(s.html, self._report())
        self.problems = self.accounting.problems(
            len(self._report()["trials"]) if s.report is not None else None, len(self.state.resumed),
            self.state.log is not None)
        if self.problems and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a run that lost a trial cannot pass
        threads = agent_threads_running()
        if threads:
            self.problems.append(f"{threads} sync agent call(s) still running after their trial timed out: the "
                                 "session does not wait for them (make the agent honour a timeout, or make it async)")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.state.records and not self.problems:
            return
        s = self.state.settings
        terminalreporter.write_sep("=", "pytest-ecom")
        for line in summary_lines(self._report()["summary"], s.agent):
            terminalreporter.write_line(line)
        if self.state.resume_log is not None:
            for line in self._resume_lines():
                terminalreporter.write_line(line)
        if self.state.budget is not None:
            terminalreporter.write_line(budget_line(self.state.budget, self.state.not_run_budget))
        for verdict in self.state.verdicts:
            terminalreporter.write_line(f"gate {verdict.gate}: {'PASS' if verdict.passed else 'FAIL'} — {verdict.reason}")
        for problem in self.problems:
            terminalreporter.write_line(f"pytest-ecom: {problem}", red=True, bold=True)
        if s.report is not None:
            terminalreporter.write_line(f"JSON report: {s.report}")
        if s.html is not None:
            terminalreporter.write_line(f"HTML report: {s.html}")

    def _resume_lines(self) -> list[str]:
        assert self.state.resume_log is not None
        resumed = len(self.state.resumed)
        lines = [f"resumed from {self.state.settings.resume}: {resumed} logged trial(s) taken from the log, "
                 f"{len(self.state.records) - resumed} run now"]
        if self.state.stale:
            lines.append(f"resumed: {len(self.state.stale)} task(s) changed since they were logged, all their "
                         f"trials ran again: {', '.join(sorted(self.state.stale))}")
        return lines


def budget_line(budget: Budget, not_run: int) -> str:
    spent = budget.spent()
    line = f"budget: ${spent.usd:.4f} spent of ${budget.limit_usd:g}"
    if not_run:
        line += f"; {not_run} trial(s) not run, their tasks left incomplete"
    if spent.unknown:
        line += f"; {spent.unknown} trial(s) of unknown cost not counted (give prices with --ecom-price)"
    return line


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None and state.budget is not None and not _is_worker(config):
        shutil.rmtree(state.budget.ledger.parent, ignore_errors=True)
    if state is not None and state.settings.calls.limits_folder is not None and not _is_worker(config):
        shutil.rmtree(state.settings.calls.limits_folder, ignore_errors=True)
    vision.configure(None)
    llm.configure(llm.CallSettings())
    for name in ("ecom-session", "ecom-xdist", "ecom-progress"):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)

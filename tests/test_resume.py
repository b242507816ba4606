"""Resuming a stopped run from its JSON-lines log (``--ecom-resume``): no finished trial is
lost, none is run twice, and the report is the one a single uninterrupted run gives."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import UNRELATED_PLUGINS
from pytest_ecom.results.fingerprint import run_fingerprint
from pytest_ecom.results.log import ResumeError, log_header, plan, read_log
from test_run import summary_block
from test_selection import _comparable

HALF = ("--agent=mini_agents:half_oracle", "--repeat=3")
ALL_TRIALS = {(t, i) for t in ("cancel_kettle", "change_address", "order_status") for i in (1, 2, 3)}

# A half_oracle whose every step waits a little: a run long enough to be stopped mid-way.
SLOW_AGENTS = '''
import os, time
from pytest_ecom.agents import AgentSpec
from mini_agents import _half

DELAY = float(os.environ.get("SLOW_AGENT_DELAY", "0"))

def _slow_half(context, task):
    inner = _half(context, task)
    def agent(messages, tools, ctx):
        time.sleep(DELAY)
        return inner(messages, tools, ctx)
    return agent

slow_half = AgentSpec("slow_half", _slow_half, factory=True, needs_task=True)
'''


def log_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def logged_trials(path: Path) -> list[tuple[str, int]]:
    """The (task, trial) of each record in the log, skipping lines cut short."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "task" in entry:
            found.append((entry["task"], entry["trial"]))
    return found


def record(task: str, trial: int, outcome: str = "pass", digest: str = "d1") -> dict:
    return {"version": 1, "task": task, "trial": trial, "repeat": 3, "outcome": outcome, "task_digest": digest}


FINGERPRINT = run_fingerprint("oracle", {"repeat": 3})


def write_log(path: Path, *entries: dict | str) -> Path:
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entries), encoding="utf-8")
    return path


# -- the log, read alone -------------------------------------------------------------


def test_the_last_record_of_each_trial_counts(tmp_path):
    path = write_log(tmp_path / "run.jsonl", log_header(FINGERPRINT), record("a", 1, "fail"), record("a", 2),
                     log_header(FINGERPRINT, resumed=True), record("a", 1, "pass"))
    log = read_log(path, FINGERPRINT)
    assert {k: r["outcome"] for k, r in log.records.items()} == {("a", 1): "pass", ("a", 2): "pass"}
    assert log.skipped == [] and log.done() == [("a", 1, "d1"), ("a", 2, "d1")]


def test_only_the_last_run_in_the_log_counts(tmp_path):
    other = run_fingerprint("other", {"repeat": 3})
    path = write_log(tmp_path / "run.jsonl", log_header(other), record("a", 1), "{cut", log_header(FINGERPRINT),
                     record("a", 1, "fail"), record("b", 1), log_header(FINGERPRINT), record("b", 2),
                     log_header(FINGERPRINT, resumed=True), record("c", 1))
    log = read_log(path, FINGERPRINT)  # the older runs are left alone, their cut line too
    assert sorted(log.records) == [("b", 2), ("c", 1)] and log.skipped == []


def test_a_cut_or_foreign_line_is_skipped_with_its_number_and_the_rest_kept(tmp_path):
    whole = json.dumps(record("a", 2))
    path = write_log(tmp_path / "run.jsonl", log_header(FINGERPRINT), record("a", 1), whole[: len(whole) // 2],
                     "[1, 2]", record("a", 3))
    log = read_log(path, FINGERPRINT)
    assert sorted(log.records) == [("a", 1), ("a", 3)]
    assert len(log.skipped) == 2
    assert log.skipped[0].startswith(f"{path}:3: skipped a line that is not valid JSON")
    assert log.skipped[1] == f"{path}:4: skipped a line that is not a trial record"


@pytest.mark.parametrize(("header", "message"), [
    (log_header(run_fingerprint("other", {"repeat": 3})),
     "the last run in this log is a different run (agent: 'other' in the log, 'oracle' now)"),
    (log_header(run_fingerprint("oracle", {"repeat": 2}), resumed=True), "options.repeat: 2 in the log, 3 now"),
    ({**log_header(FINGERPRINT), "version": 99}, "a log of version 99"),
])
def test_a_log_of_another_run_is_refused(tmp_path, header, message):
    path = write_log(tmp_path / "run.jsonl", log_header(FINGERPRINT), record("a", 1), header, record("a", 2))
    with pytest.raises(ResumeError, match=r":3: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        read_log(path, FINGERPRINT)


def test_a_log_without_a_run_header_or_file_is_refused(tmp_path):
    with pytest.raises(ResumeError, match=r"run\.jsonl:1: a trial record before any run header"):
        read_log(write_log(tmp_path / "run.jsonl", record("a", 1)), FINGERPRINT)
    with pytest.raises(ResumeError, match=r"missing\.jsonl: cannot read the log to resume from"):
        read_log(tmp_path / "missing.jsonl", FINGERPRINT)


def test_the_plan_takes_logged_trials_and_reruns_tasks_that_changed():
    collected = [("a", 1, "d1"), ("a", 2, "d1"), ("b", 1, "new"), ("b", 2, "new")]
    found = plan(collected, [("a", 1, "d1"), ("b", 1, "old"), ("c", 1, "d1")])
    assert found.resumed == {("a", 1)} and found.stale == {"b"}


# -- through pytest --------------------------------------------------------------------


def cut_log(path: Path, keep: int) -> list[tuple[str, int]]:
    """Keep the header and ``keep`` records, then half of the next line (a run killed mid-write)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: 1 + keep]) + lines[1 + keep][:40], encoding="utf-8")
    return logged_trials_of(lines[1: 1 + keep])


def logged_trials_of(lines: list[str]) -> list[tuple[str, int]]:
    return [(json.loads(line)["task"], json.loads(line)["trial"]) for line in lines]


def test_resume_runs_only_what_the_log_lacks_and_reports_the_whole_run(mini_project):
    mini_project.run(*HALF, "--ecom-report=single.json").assert_outcomes(passed=6, failed=3)
    mini_project.run(*HALF, "--ecom-log=run.jsonl")
    kept = cut_log(mini_project.path / "run.jsonl", 4)
    result = mini_project.run(*HALF, "--ecom-log=run.jsonl", "--ecom-resume=run.jsonl", "--ecom-report=resumed.json")
    ran = Counter(r["outcome"] for r in mini_project.report("resumed.json")["trials"]
                  if (r["task"], r["trial"]) not in kept)
    result.assert_outcomes(passed=ran["pass"], failed=ran["fail"], deselected=4)  # warnings: see below
    assert "run.jsonl:6: skipped a line that is not valid JSON" in result.stdout.str()
    assert "resumed from run.jsonl: 4 logged trial(s) taken from the log, 5 run now" in summary_block(result)
    assert _comparable(mini_project.report("resumed.json")) == _comparable(mini_project.report("single.json"))
    trials = logged_trials(mini_project.path / "run.jsonl")
    assert Counter(trials) == Counter(ALL_TRIALS)  # the log is whole now, each trial once
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # half_oracle fails trials, as in a single run


def test_resuming_a_finished_run_runs_nothing_and_keeps_its_exit_code(mini_project):
    mini_project.run("--agent=oracle", "--ecom-log=run.jsonl").assert_outcomes(passed=3)
    again = mini_project.run("--agent=oracle", "--ecom-resume=run.jsonl", "--ecom-report=report.json")
    again.assert_outcomes(deselected=3)
    assert again.ret == pytest.ExitCode.OK
    assert mini_project.report()["summary"]["trials"] == {"pass": 3, "fail": 0, "error": 0}
    failing = mini_project.run("--agent=mini_agents:do_nothing", "--ecom-log=fail.jsonl")
    assert failing.ret == pytest.ExitCode.TESTS_FAILED
    resumed = mini_project.run("--agent=mini_agents:do_nothing", "--ecom-resume=fail.jsonl")
    assert resumed.ret == pytest.ExitCode.TESTS_FAILED  # the logged failures still count
    gated = mini_project.run("--agent=mini_agents:do_nothing", "--ecom-resume=fail.jsonl", "--ecom-gate=pass^1>=0")
    assert gated.ret == pytest.ExitCode.OK  # gates decide, over all trials
    assert "gate pass^1>=0: PASS — pass^1 = 0.000, meets >= 0" in summary_block(gated)


def test_a_task_changed_since_it_was_logged_runs_all_its_trials_again(mini_project):
    mini_project.run(*HALF, "--ecom-log=run.jsonl")
    text = mini_project.task_text("status")
    mini_project.write("tasks/status.task.yaml", text.replace("description: A read-only", "description: A"))
    result = mini_project.run(*HALF, "--ecom-resume=run.jsonl", "--ecom-report=report.json")
    result.assert_outcomes(passed=2, failed=1, deselected=6)
    assert ("resumed: 1 task(s) changed since they were logged, all their trials ran again: order_status"
            in summary_block(result))
    old = {e["task_digest"] for e in log_lines(mini_project.path / "run.jsonl") if e.get("task") == "order_status"}
    new = {t["task_digest"] for t in mini_project.report()["trials"] if t["task"] == "order_status"}
    assert len(mini_project.report()["trials"]) == 9 and len(old) == len(new) == 1 and old != new


def test_a_log_of_several_runs_resumes_the_last_one_with_its_resumed_sessions(mini_project):
    mini_project.run("--agent=oracle", "--repeat=3", "--ecom-log=run.jsonl").assert_outcomes(passed=9)
    mini_project.run(*HALF, "-k", "cancel", "--ecom-log=run.jsonl")  # a new run, stopped after one task
    first = mini_project.run(*HALF, "--ecom-log=run.jsonl", "--ecom-resume=run.jsonl")
    first.assert_outcomes(passed=4, failed=2, deselected=3)  # the oracle's older run is not this run
    again = mini_project.run(*HALF, "--ecom-log=run.jsonl", "--ecom-resume=run.jsonl", "--ecom-report=report.json")
    again.assert_outcomes(deselected=9)
    assert "resumed from run.jsonl: 9 logged trial(s) taken from the log, 0 run now" in summary_block(again)
    assert mini_project.report()["summary"]["trials"] == {"pass": 6, "fail": 3, "error": 0}
    headers = [e["resumed"] for e in log_lines(mini_project.path / "run.jsonl") if "format" in e]
    assert headers == [False, False, True, True]


def test_resume_refuses_another_runs_log_and_a_missing_one(mini_project):
    mini_project.run(*HALF, "--ecom-log=run.jsonl")
    other = mini_project.run("--agent=oracle", "--repeat=3", "--ecom-resume=run.jsonl")
    assert other.ret == pytest.ExitCode.USAGE_ERROR
    assert ("run.jsonl:1: the last run in this log is a different run (agent: 'mini_agents:half_oracle' in the "
            "log, 'oracle' now); refusing to mix them") in other.stderr.str()
    fewer = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=2", "--ecom-resume=run.jsonl")
    assert "options.repeat: 3 in the log, 2 now" in fewer.stderr.str()
    missing = mini_project.run(*HALF, "--ecom-resume=nowhere.jsonl")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    assert "nowhere.jsonl: cannot read the log to resume from" in missing.stderr.str()


def test_resume_under_xdist_deselects_the_same_trials_on_every_worker(mini_project):
    mini_project.run(*HALF, "--ecom-report=single.json")
    mini_project.run(*HALF, "--ecom-log=run.jsonl")
    kept = cut_log(mini_project.path / "run.jsonl", 5)
    result = mini_project.run_subprocess("-n", "2", *HALF, "--ecom-log=run.jsonl", "--ecom-resume=run.jsonl",
                                         "--ecom-report=resumed.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    ran = Counter(r["outcome"] for r in mini_project.report("resumed.json")["trials"]
                  if (r["task"], r["trial"]) not in kept)
    result.assert_outcomes(passed=ran["pass"], failed=ran["fail"])
    assert sum(ran.values()) == 4
    assert "resumed from run.jsonl: 5 logged trial(s) taken from the log, 4 run now" in summary_block(result)
    assert _comparable(mini_project.report("resumed.json")) == _comparable(mini_project.report("single.json"))
    assert Counter(logged_trials(mini_project.path / "run.jsonl")) == Counter(ALL_TRIALS)


# -- a real interruption ---------------------------------------------------------------


def start_slow_run(project, *args: str, delay: float) -> subprocess.Popen:
    project.write("slow_agents.py", SLOW_AGENTS)
    env = {**__import__("os").environ, "SLOW_AGENT_DELAY": str(delay)}
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *UNRELATED_PLUGINS,
         "--agent=slow_agents:slow_half", "--repeat=3", *args],
        cwd=project.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        # a shell may start background jobs ignoring SIGINT; Python then never raises KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_records(path: Path, count: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(logged_trials(path)) >= count:
            return
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "run ended"
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"{path} never reached {count} records")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_a_run_stopped_mid_way_resumes_without_losing_or_repeating_a_trial(mini_project, stop):
    mini_project.run(*HALF, "--ecom-report=single.json").assert_outcomes(passed=6, failed=3)
    log = mini_project.path / "run.jsonl"
    proc = start_slow_run(mini_project, "--ecom-log=run.jsonl", "--ecom-concurrency=1", delay=0.2)
    wait_for_records(log, 3, proc)
    proc.send_signal(stop)
    output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode != 0, output
    before = logged_trials(log)
    assert 3 <= len(before) < 9 and len(set(before)) == len(before), output
    resumed = start_slow_run(mini_project, "--ecom-log=run.jsonl", "--ecom-resume=run.jsonl",
                             "--ecom-report=resumed.json", delay=0)
    output = resumed.communicate(timeout=120)[0].decode()
    assert resumed.returncode == pytest.ExitCode.TESTS_FAILED, output
    assert f"{len(before)} logged trial(s) taken from the log, {9 - len(before)} run now" in output
    after = logged_trials(log)
    assert after[: len(before)] == before  # nothing finished was lost
    assert Counter(after) == Counter(ALL_TRIALS)  # and nothing ran twice
    report = mini_project.report("resumed.json")
    single = mini_project.report("single.json")
    assert report["summary"]["pass_hat_k"] == single["summary"]["pass_hat_k"]
    comparable = _comparable(report)
    expected = _comparable(single)
    comparable["fingerprint"]["agent"] = expected["fingerprint"]["agent"]  # the slow twin of half_oracle
    assert comparable == expected


def test_errored_trials_run_again_on_resume(mini_project):
    """A provider outage is the usual reason to resume: its errors must not count as done."""
    first = mini_project.run("--agent=mini_agents:provider_down", "--ecom-log=run.jsonl")
    first.assert_outcomes(errors=3)
    again = mini_project.run("--agent=mini_agents:provider_down", "--ecom-log=run.jsonl", "--ecom-resume=run.jsonl")
    again.assert_outcomes(errors=3)  # nothing was taken from the log: every errored trial ran again
    assert "resumed from run.jsonl: 0 logged trial(s) taken from the log, 3 run now" in summary_block(again)

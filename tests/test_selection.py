"""Subsets, xdist grouping and pasted trial ids: pass^k never quietly covers a biased subset."""

from __future__ import annotations

import re

import pytest

from test_run import summary_block


def _comparable(report: dict) -> dict:
    """The report without what legitimately differs between runs (timings, transcript timings)."""
    trials = [{k: v for k, v in t.items() if k not in ("timings", "transcript")} for t in report["trials"]]
    return {"summary": report["summary"], "tasks": report["tasks"], "trials": trials,
            "fingerprint": report["fingerprint"]}


def test_xdist_keeps_a_tasks_trials_on_one_worker_and_reports_like_a_serial_run(mini_project):
    serial = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=3", "--ecom-report=serial.json")
    serial.assert_outcomes(passed=6, failed=3)
    parallel = mini_project.run_subprocess("-n", "2", "-v", "--agent=mini_agents:half_oracle", "--repeat=3",
                                           "--ecom-report=parallel.json")
    parallel.assert_outcomes(passed=6, failed=3)
    workers: dict[str, set[str]] = {}
    for line in parallel.stdout.lines:
        found = re.match(r"\[(gw\d)\].*?(\w+)\[\d-3\]", line)
        if found:
            workers.setdefault(found.group(2), set()).add(found.group(1))
    assert sorted(workers) == ["cancel_kettle", "change_address", "order_status"]
    assert all(len(ws) == 1 for ws in workers.values()), workers
    assert _comparable(mini_project.report("serial.json")) == _comparable(mini_project.report("parallel.json"))


def test_a_k_selection_says_pass_hat_k_covers_a_subset(mini_project):
    result = mini_project.run("--agent=oracle", "--repeat=2", "-k", "cancel_kettle")
    result.assert_outcomes(passed=2, deselected=4)
    assert "subset: 2 collected task(s) deselected (-k); pass^k covers the 1 task(s) run" in (
        summary_block(result))


def test_a_subset_is_reported_under_xdist_too(mini_project):
    result = mini_project.run_subprocess("-n", "2", "--agent=oracle", "-k", "cancel_kettle",
                                         "--ecom-report=report.json")
    result.assert_outcomes(passed=1)
    assert mini_project.report()["summary"]["not_run"] == ["change_address", "order_status"]


def test_a_pasted_trial_id_runs_without_repeating_repeat(mini_project):
    result = mini_project.run("--agent=oracle", "tasks/cancel.task.yaml::cancel_kettle[2-3]",
                              "--ecom-report=report.json")
    result.assert_outcomes(passed=1)
    [trial] = mini_project.report()["trials"]
    assert (trial["trial"], trial["repeat"]) == (2, 3)


def test_every_trial_carries_the_ecom_marker(mini_project):
    mini_project.run("--agent=oracle", "-m", "ecom", "--strict-markers").assert_outcomes(passed=3)


@pytest.mark.parametrize(("option", "message"), [
    ("--repeat=0", "argument --repeat: must be 1 or more, got 0"),
    ("--repeat=two", "argument --repeat: 'two' is not a whole number"),
    ("--ecom-timeout=0", "argument --ecom-timeout: must be more than 0 seconds, got 0"),
])
def test_bad_option_values_are_usage_errors(mini_project, option, message):
    result = mini_project.run("--agent=oracle", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_exitfirst_stops_after_the_first_failed_trial_and_reports_the_rest_as_incomplete(mini_project):
    result = mini_project.run("--agent=mini_agents:do_nothing", "--repeat=3", "-x")
    result.assert_outcomes(failed=1)
    block = summary_block(result)
    assert block[0].endswith("1 trials: 0 passed, 1 failed, 0 errors")
    assert block[2].startswith("incomplete: 1 task(s) with fewer than 3 scored trials")


def test_last_failed_says_pass_hat_k_covers_only_what_it_reran(mini_project):
    mini_project.run("--agent=mini_agents:solve_cancel", "--repeat=2", cache=True)
    again = mini_project.run("--agent=mini_agents:solve_cancel", "--repeat=2", "--lf", cache=True)
    # --lf skips the file whose trials all passed: it is never collected, so never deselected
    assert "subset: selected with --lf; pass^k covers the 2 task(s) run, which may not be all" in (
        summary_block(again))


def test_a_shard_says_it_was_the_shard_that_left_tasks_out(mini_project):
    result = mini_project.run("--agent=oracle", "--ecom-shard=1/2")
    lines = [line for line in summary_block(result) if line.startswith("subset:")]
    assert lines and "deselected (--ecom-shard)" in lines[0], summary_block(result)


@pytest.mark.parametrize(("flag", "shown"), [("-x", "-x"), ("--maxfail=2", "--maxfail=2")])
def test_a_run_stopped_by_maxfail_says_pass_hat_k_covers_a_subset(mini_project, flag, shown):
    # do_nothing fails every task; the stop leaves tasks collected but never run
    result = mini_project.run("--agent=mini_agents:do_nothing", flag, "--ecom-report=report.json")
    failed = result.parseoutcomes()["failed"]
    assert failed == (1 if flag == "-x" else 2)
    summary = mini_project.report()["summary"]
    assert summary["selection"] == [shown]
    assert len(summary["not_run"]) == 3 - failed
    assert f"subset: {3 - failed} collected task(s) deselected ({shown}); pass^k covers the {failed} task(s) run" in (
        summary_block(result))


def test_maxfail_that_never_stops_the_run_is_no_subset(mini_project):
    result = mini_project.run("--agent=oracle", "--maxfail=1", "--ecom-report=report.json")
    result.assert_outcomes(passed=3)
    assert mini_project.report()["summary"]["selection"] == []
    assert not [line for line in summary_block(result) if line.startswith("subset:")]


def test_a_run_stopped_by_x_under_xdist_says_it_may_not_cover_all(mini_project):
    result = mini_project.run_subprocess("-n", "2", "--agent=mini_agents:do_nothing", "-x",
                                         "--ecom-report=report.json")
    assert result.ret != 0
    assert mini_project.report()["summary"]["selection"] == ["-x"]
    assert any(line.startswith("subset:") and "(-x)" in line or "selected with -x" in line
               for line in result.stdout.lines), result.stdout.str()

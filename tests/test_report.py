"""The versioned JSON report (``--ecom-report``): one record per trial, summary, fingerprint."""

from __future__ import annotations

import json

import pytest

from pytest_ecom.reporting.json_report import write_report
from pytest_ecom.results.report import build_report
from pytest_ecom.runner import trial_seed

TASKS = ("cancel_kettle", "change_address", "order_status")


@pytest.fixture
def half_report(mini_project) -> dict:
    result = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=3", "--ecom-report=out/report.json")
    result.assert_outcomes(passed=6, failed=3)
    result.stdout.fnmatch_lines(["JSON report: out/report.json"])
    return mini_project.report("out/report.json")


def test_report_layout_and_fingerprint(half_report):
    assert half_report["format"] == "pytest-ecom/report"
    assert half_report["version"] == 1
    fingerprint = half_report["fingerprint"]
    assert fingerprint["agent"] == "mini_agents:half_oracle"
    assert fingerprint["options"]["repeat"] == 3
    assert isinstance(fingerprint["task_set"], str) and len(fingerprint["task_set"]) == 16
    assert set(half_report) == {"format", "version", "fingerprint", "summary", "gates", "tasks", "trials"}
    assert half_report["gates"] == []  # no --ecom-gate given


def test_report_summary_and_task_table(half_report):
    summary = half_report["summary"]
    assert summary["k"] == 3
    assert summary["pass_hat_k"] == pytest.approx({"1": 2 / 3, "2": 1 / 3, "3": 0.0})
    assert summary["pass_at_k"] == 1.0
    assert summary["trials"] == {"pass": 6, "fail": 3, "error": 0}
    assert summary["incomplete"] == []
    assert list(half_report["tasks"]) == list(TASKS)
    cancel = half_report["tasks"]["cancel_kettle"]
    assert (cancel["pass"], cancel["fail"], cancel["error"], cancel["scored"]) == (2, 1, 0, 3)
    assert cancel["failing"] == {"outputs": 1, "searches": 1, "state": 1}
    assert cancel["tags"] == ["cancellation"] and cancel["scenario"] == "cancel_before_shipping"


def test_one_record_per_trial_with_seed_outcome_and_dimensions(half_report):
    trials = half_report["trials"]
    assert [(t["task"], t["trial"]) for t in trials] == [(task, i) for task in TASKS for i in (1, 2, 3)]
    for t in trials:
        assert t["version"] == 2 and t["repeat"] == 3 and t["store"] == "mini"
        assert t["seed"] == trial_seed(t["task"], t["trial"])
        assert t["outcome"] == ("fail" if t["trial"] == 2 else "pass")
        assert t["error"] is None
        assert set(t["timings"]) >= {"agent_s", "tools_s", "customer_s", "episode_s"}
    status_pass, status_fail = trials[6], trials[7]
    assert status_pass["dimensions"] == {
        "state": {"passed": True}, "searches": {"passed": True}, "outputs": {"passed": True},
        "procedure": {"passed": True, "detail": {"writes": [], "tool_calls": 1, "failed_calls": 0,
                                                 "max_tool_calls": 13}}}  # 3 × 1 golden call + 10
    assert (status_pass["failed_calls"], status_pass["golden"]) == (0, {"tool_calls": 1, "turns": 1,
                                                                         "max_tool_calls": 13})
    assert status_pass["transcript"] is None  # passing trials stay compact (without --ecom-transcripts=all)
    assert "trajectory" not in status_pass and "trajectory" not in status_fail
    assert status_fail["dimensions"]["searches"] == {
        "passed": False, "problems": ['missing call: get_order(order_id="100003")']}
    assert status_fail["dimensions"]["outputs"] == {"passed": False, "problems": ["missing phrase: 'TRK42'"]}
    assert [e["role"] for e in status_fail["transcript"]] == ["user", "assistant", "user"]
    assert status_fail["end_reason"] == "customer_stop" and status_fail["turns"] == 1


def test_errored_trials_are_recorded_as_errors(mini_project):
    result = mini_project.run("--agent=mini_agents:provider_down", "-k", "order_status", "--ecom-report=report.json")
    result.assert_outcomes(errors=1)
    [trial] = mini_project.report()["trials"]
    assert trial["outcome"] == "error"
    assert trial["error"]["source"] == "provider"
    assert trial["error"]["message"] == "ProviderError: model endpoint returned 503"
    assert 'raise ProviderError("model endpoint returned 503")' in trial["error"]["traceback"]
    assert trial["dimensions"] == {}
    assert mini_project.report()["summary"]["incomplete"] == ["order_status"]


def test_the_task_set_fingerprint_follows_the_task_files(mini_project):
    mini_project.run("--agent=oracle", "--ecom-report=a.json").assert_outcomes(passed=3)
    mini_project.run("--agent=oracle", "--ecom-report=b.json").assert_outcomes(passed=3)
    text = mini_project.task_text("status")
    mini_project.write("tasks/status.task.yaml", text.replace("description: A read-only", "description: A"))
    mini_project.run("--agent=oracle", "--ecom-report=c.json").assert_outcomes(passed=3)
    a, b, c = (mini_project.report(f"{n}.json")["fingerprint"]["task_set"] for n in "abc")
    assert a == b != c


def test_no_report_is_written_without_the_option(mini_project):
    mini_project.run("--agent=oracle").assert_outcomes(passed=3)
    assert not list(mini_project.path.rglob("*.json.tmp"))
    assert "JSON report" not in mini_project.run("--agent=oracle").stdout.str()


def test_build_report_keeps_the_last_record_of_each_trial(tmp_path):
    def rec(outcome):
        return {"task": "t", "trial": 1, "repeat": 1, "outcome": outcome, "dimensions": {}, "tags": [],
                "scenario": "s", "task_digest": "d"}

    report = build_report([rec("fail"), rec("pass")], "agent", 1, {"repeat": 1})
    assert [t["outcome"] for t in report["trials"]] == ["pass"]
    path = tmp_path / "deep" / "er" / "report.json"
    write_report(path, report)
    assert json.loads(path.read_text(encoding="utf-8")) == report
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]

"""CI gates, the JSON-lines log, shards and merging: what a CI pipeline relies on."""

from __future__ import annotations

import json

import pytest

from pytest_ecom.cli import main
from pytest_ecom.results.gates import Gate, GateSyntaxError
from test_run import summary_block
from test_selection import _comparable


@pytest.mark.parametrize("text", ["pass^3 >= 0.6", "returns:pass^1>=0.8", "perception:accuracy>=0.9", "pass@2>0.5"])
def test_gates_parse(text):
    gate = Gate.parse(text)
    assert gate.metric in ("pass^3", "pass^1", "accuracy", "pass@2")


@pytest.mark.parametrize("text", ["pass^3", "pass^3>=60%", "speed>=1", "pass^3>=1.5", "a b:pass^1>=0.1"])
def test_bad_gates_are_refused_with_the_syntax(text):
    with pytest.raises(GateSyntaxError, match="METRIC OP VALUE|between 0 and 1"):
        Gate.parse(text)


def test_a_gate_decides_the_exit_code_not_the_failed_trials(mini_project):
    # half_oracle passes odd trials only: pass^1 = 0.5 over the three tasks
    passing = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=2", "--ecom-gate=pass^1>=0.4")
    passing.assert_outcomes(passed=3, failed=3)
    assert passing.ret == pytest.ExitCode.OK
    assert "gate pass^1>=0.4: PASS — pass^1 = 0.500, meets >= 0.4" in summary_block(passing)
    failing = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=2", "--ecom-gate=pass^1>=0.4",
                               "--ecom-gate=cancellation:pass^2>=0.5", "--ecom-report=report.json")
    assert failing.ret == pytest.ExitCode.TESTS_FAILED
    assert "gate cancellation:pass^2>=0.5: FAIL — pass^2 for cancellation = 0.000, misses >= 0.5" in (
        summary_block(failing))
    assert [g["passed"] for g in mini_project.report()["gates"]] == [True, False, True]


def test_a_gate_on_incomplete_tasks_is_refused_and_errors_count(mini_project):
    args = ("--agent=mini_agents:provider_down_on_trial_2", "--repeat=3", "-k", "cancel_kettle")
    refused = mini_project.run(*args, "--ecom-gate=pass^3>=0.1")
    assert refused.ret == pytest.ExitCode.TESTS_FAILED
    assert any("refused: 1 task(s) have fewer than 3 scored trials" in line for line in summary_block(refused))
    errors = mini_project.run(*args, "--ecom-gate=pass^2>=0.5")
    assert errors.ret == pytest.ExitCode.TESTS_FAILED  # one trial error, none allowed
    assert "gate errors<=0: FAIL — 1 trial error(s), at most 0 allowed (--ecom-max-errors)" in summary_block(errors)
    allowed = mini_project.run(*args, "--ecom-gate=pass^2>=0.5", "--ecom-max-errors=1")
    assert allowed.ret == pytest.ExitCode.OK


def test_a_bad_gate_is_a_usage_error(mini_project):
    result = mini_project.run("--agent=oracle", "--ecom-gate=pass^3 > sixty")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "write [SCOPE:]METRIC OP VALUE" in result.stderr.str()


def test_every_finished_trial_is_appended_to_the_log(mini_project):
    mini_project.run("--agent=oracle", "--repeat=2", "--ecom-log=logs/run.jsonl").assert_outcomes(passed=6)
    mini_project.run("--agent=oracle", "-k", "cancel_kettle", "--ecom-log=logs/run.jsonl")
    lines = (mini_project.path / "logs" / "run.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    headers = [e for e in entries if e.get("format") == "pytest-ecom/log"]  # one per session: the run's fingerprint
    assert [h["fingerprint"]["agent"] for h in headers] == ["oracle", "oracle"] and "format" in entries[0]
    records = [e for e in entries if "task" in e]
    assert len(records) == 7 and all(r["outcome"] == "pass" for r in records)
    assert {(r["task"], r["trial"]) for r in records[:6]} == {
        (t, i) for t in ("cancel_kettle", "change_address", "order_status") for i in (1, 2)}


def test_shards_cover_every_task_once_and_merge_into_the_single_run_report(mini_project, capsys):
    mini_project.run("--agent=mini_agents:half_oracle", "--repeat=2", "--ecom-report=single.json")
    shards = []
    for i in (1, 2):
        mini_project.run("--agent=mini_agents:half_oracle", "--repeat=2", f"--ecom-shard={i}/2",
                         f"--ecom-report=shard{i}.json")
        shards.append({t["task"] for t in mini_project.report(f"shard{i}.json")["trials"]})
    assert shards[0].isdisjoint(shards[1])
    assert shards[0] | shards[1] == {"cancel_kettle", "change_address", "order_status"}
    paths = [str(mini_project.path / f"shard{i}.json") for i in (1, 2)]
    out = str(mini_project.path / "merged.json")
    assert main(["merge", *paths, "--out", out, "--gate", "pass^1>=0.4"]) == 0
    assert "gate pass^1>=0.4: PASS" in capsys.readouterr().out
    assert _comparable(mini_project.report("merged.json")) == _comparable(mini_project.report("single.json"))
    assert main(["merge", *paths, "--out", out, "--gate", "pass^2>=0.5"]) == 1


def test_merge_refuses_reports_of_different_runs(mini_project, capsys):
    mini_project.run("--agent=oracle", "--ecom-shard=1/2", "--ecom-report=a.json")
    mini_project.run("--agent=mini_agents:half_oracle", "--ecom-shard=2/2", "--ecom-report=b.json")
    code = main(["merge", str(mini_project.path / "a.json"), str(mini_project.path / "b.json"),
                 "--out", str(mini_project.path / "m.json")])
    assert code == 2 and "refusing to mix them" in capsys.readouterr().err

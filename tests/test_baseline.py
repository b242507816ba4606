"""Confidence intervals, the regression gate (``--ecom-baseline``), ``pytest-ecom compare`` and
the progress line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pytest_ecom.cli import main
from pytest_ecom.results.compare import compare_records, regression_verdict
from pytest_ecom.pytest_plugin.progress import Progress
from pytest_ecom.results.stats import bootstrap_mean, paired_bootstrap
from pytest_ecom.results.summary import summarize
from test_run import summary_block


def rec(task: str, trial: int, outcome: str, repeat: int = 2, digest: str = "d") -> dict:
    return {"task": task, "trial": trial, "repeat": repeat, "outcome": outcome, "dimensions": {}, "tags": [],
            "scenario": "s", "task_digest": digest}


def run_of(passes: dict[str, int], repeat: int = 2) -> list[dict]:
    """Records of a run where task t passed its first passes[t] trials out of ``repeat``."""
    return [rec(t, i, "pass" if i <= c else "fail", repeat) for t, c in passes.items() for i in range(1, repeat + 1)]


# -- intervals ---------------------------------------------------------------------------


def test_the_bootstrap_interval_is_deterministic_and_around_the_mean():
    values = [0.0, 1.0] * 20
    first = bootstrap_mean(values)
    assert first == bootstrap_mean(list(values))  # a fixed seed: the same report twice
    assert first.estimate == 0.5 and first.tasks == 40
    # the normal approximation: 0.5 ± 1.96 * 0.5 / sqrt(40) = [0.345, 0.655]
    assert first.low == pytest.approx(0.345, abs=0.03) and first.high == pytest.approx(0.655, abs=0.03)
    assert bootstrap_mean([0.7] * 5).as_dict() == {"estimate": 0.7, "low": 0.7, "high": 0.7, "tasks": 5,
                                                   "level": 0.95}
    assert bootstrap_mean([]) is None
    narrow = bootstrap_mean(values, level=0.5)
    assert first.low < narrow.low < narrow.high < first.high
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        bootstrap_mean(values, level=95)


def test_the_paired_interval_uses_shared_tasks_and_cancels_their_difficulty():
    old = {f"t{i}": i / 40 for i in range(40)}  # tasks of very different difficulty
    better = {t: v + 0.1 for t, v in old.items()}
    better["only_new"] = 0.0
    paired = paired_bootstrap(old, better)
    assert paired.tasks == 40 and paired.estimate == pytest.approx(0.1)
    assert paired.low == pytest.approx(0.1) and paired.high == pytest.approx(0.1) and paired.excludes_zero()
    # unpaired, the same +0.1 would drown in the spread of difficulty
    assert bootstrap_mean(list(better.values())[:40]).low < bootstrap_mean(list(old.values())).high
    assert paired_bootstrap(old, old).as_dict()["high"] == 0 and not paired_bootstrap(old, old).excludes_zero()
    assert paired_bootstrap({"a": 1.0}, {"b": 1.0}) is None


def test_the_summary_carries_an_interval_for_each_pass_hat_k():
    summary = summarize(run_of({"a": 2, "b": 1, "c": 0, "d": 2}) + [rec("e", 1, "pass")], 2)
    ci = summary["pass_hat_k_ci"]
    assert set(ci) == {"1", "2"}
    assert ci["1"]["tasks"] == 5 and ci["2"]["tasks"] == 4  # e has one trial: no pass^2
    for k in ("1", "2"):
        assert 0 <= ci[k]["low"] <= summary["pass_hat_k"][k] <= ci[k]["high"] <= 1
    assert summary["ci_method"] == {"method": "percentile bootstrap over tasks", "level": 0.95,
                                    "resamples": 2000, "seed": summary["ci_method"]["seed"]}
    assert summarize([rec("a", 1, "error")], 1)["pass_hat_k_ci"] == {"1": None}


def test_the_json_report_carries_the_intervals(mini_project):
    mini_project.run("--agent=mini_agents:solve_cancel", "--repeat=2", "--ecom-report=report.json")
    summary = mini_project.report()["summary"]
    assert summary["pass_hat_k"] == pytest.approx({"1": 1 / 3, "2": 1 / 3})
    # one task of three always passes: a resample holds it 0 to 3 times
    assert summary["pass_hat_k_ci"]["2"] == {"low": 0.0, "high": 1.0, "tasks": 3}


# -- the regression gate -----------------------------------------------------------------


def test_the_rule_fails_only_a_drop_beyond_the_allowed_one_that_the_interval_confirms():
    before = {f"t{i:02}": 2 for i in range(40)}
    small = compare_records(run_of(before), run_of({**before, "t00": 0}), 2)  # one task of 40 fails: -0.025
    verdict = regression_verdict(small, 0.05, "old.json")
    assert verdict.passed and verdict.value == -0.025
    assert verdict.reason.startswith("pass^2 0.975 vs 1.000 in old.json over 40 shared task(s): change -0.025, "
                                     "95% interval [")
    assert verdict.reason.endswith("within the allowed drop of 0.05; newly failing: t00")
    big = compare_records(run_of(before), run_of({**before, **{f"t{i:02}": 0 for i in range(10)}}), 2)
    verdict = regression_verdict(big, 0.05, "old.json")
    assert not verdict.passed and verdict.value == -0.25
    assert "a drop of more than 0.05 that the interval confirms; newly failing: t00, t01, t02 …" in verdict.reason
    few = compare_records(run_of({"a": 2, "b": 2}), run_of({"a": 0, "b": 2}), 2)  # -0.5, but 2 tasks
    verdict = regression_verdict(few, 0.05, "old.json")
    assert verdict.passed and "95% interval [-1.000, +0.000]" in verdict.reason
    assert verdict.reason.endswith("a drop of more than 0.05, but the interval reaches 0: not significant; "
                                   "newly failing: a")


def test_tasks_in_one_run_only_or_incomplete_are_left_out():
    comparison = compare_records(run_of({"a": 2, "b": 2, "gone": 2}), run_of({"a": 1, "b": 2, "new": 0})
                                 + [rec("b", 3, "error")] + [rec("c", 1, "pass")], 2)
    assert [t.task for t in comparison.compared] == ["a", "b"]
    assert comparison.only_before == ["gone"] and comparison.only_after == ["c", "new"]
    assert comparison.changed("newly failing") == ["a"]
    summary = comparison.as_dict()
    assert summary["pass_hat_2_before"] == 1.0 and summary["pass_hat_2_after"] == 0.5
    assert summary["tasks"][0] == {"task": "a", "passed_before": [2, 2], "passed_after": [1, 2],
                                   "pass_hat_before": 1.0, "pass_hat_after": 0.0, "change": "newly failing"}


@pytest.fixture
def oracle_baseline(mini_project) -> Path:
    mini_project.run("--agent=oracle", "--repeat=3", "--ecom-report=old.json").assert_outcomes(passed=9)
    return mini_project.path / "old.json"


def verdict_line(result: pytest.RunResult) -> str:
    [line] = [line for line in summary_block(result) if line.startswith("gate baseline")]
    return line


def test_a_significant_regression_fails_the_run_and_says_the_interval(mini_project, oracle_baseline):
    result = mini_project.run("--agent=mini_agents:do_nothing", "--repeat=3", "--ecom-baseline=old.json",
                              "--ecom-report=new.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert verdict_line(result) == (
        "gate baseline pass^3 drop<=0.05: FAIL — pass^3 0.000 vs 1.000 in old.json over 3 shared task(s): "
        "change -1.000, 95% interval [-1.000, -1.000]: a drop of more than 0.05 that the interval confirms; "
        "newly failing: cancel_kettle, change_address, order_status")
    assert "gate errors<=0: PASS — 0 trial error(s), at most 0 allowed (--ecom-max-errors)" in summary_block(result)
    report = mini_project.report("new.json")
    assert [g["passed"] for g in report["gates"]] == [False, True]
    assert report["baseline"]["report"] == "old.json" and report["baseline"]["k"] == 3
    assert report["baseline"]["change"]["high"] == -1.0
    assert report["baseline"]["newly_failing"] == ["cancel_kettle", "change_address", "order_status"]


def test_a_drop_the_interval_does_not_confirm_passes(mini_project, oracle_baseline):
    result = mini_project.run("--agent=mini_agents:solve_cancel", "--repeat=3", "--ecom-baseline=old.json",
                              "--ecom-max-drop=0.1")
    result.assert_outcomes(passed=3, failed=6)
    assert result.ret == pytest.ExitCode.OK  # the gate decides, and three tasks cannot prove a drop
    assert verdict_line(result).startswith("gate baseline pass^3 drop<=0.1: PASS — pass^3 0.333 vs 1.000 in "
                                           "old.json over 3 shared task(s): change -0.667, 95% interval [-1.000, "
                                           "+0.000]: a drop of more than 0.1, but the interval reaches 0")


def test_fewer_repeats_on_either_side_compare_the_smaller_k(mini_project, oracle_baseline):
    result = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=2", "--ecom-baseline=old.json",
                              "--ecom-gate=pass^1>=0.5")
    assert verdict_line(result).startswith("gate baseline pass^2 drop<=0.05: FAIL — pass^2 0.000 vs 1.000")
    assert [line.split(":")[0] for line in summary_block(result) if line.startswith("gate")] == [
        "gate pass^1>=0.5", "gate baseline pass^2 drop<=0.05", "gate errors<=0"]


def test_the_gate_works_under_xdist(mini_project, oracle_baseline):
    result = mini_project.run_subprocess("-n", "2", "--agent=mini_agents:do_nothing", "--repeat=3",
                                         "--ecom-baseline=old.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "change -1.000, 95% interval [-1.000, -1.000]" in verdict_line(result)


def test_a_baseline_of_other_task_versions_or_no_shared_task_is_refused(mini_project, oracle_baseline):
    text = mini_project.task_text("status")
    mini_project.write("tasks/status.task.yaml", text.replace("description: A read-only", "description: A"))
    changed = mini_project.run("--agent=oracle", "--repeat=3", "--ecom-baseline=old.json")
    assert changed.ret == pytest.ExitCode.TESTS_FAILED
    assert verdict_line(changed) == (
        "gate baseline pass^3 drop<=0.05: FAIL — refused: 1 task(s) are different versions of their file in the "
        "two runs (order_status) (old.json)")
    mini_project.run("--agent=oracle", "--repeat=3", "-k", "cancel", "--ecom-report=cancel.json")
    other = mini_project.run("--agent=oracle", "--repeat=3", "-k", "address", "--ecom-baseline=cancel.json")
    assert "refused: the runs share no task (a different task set)" in verdict_line(other)


def _write(path: Path, content: object) -> str:
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path.name


@pytest.mark.parametrize(("content", "message"), [
    (None, "missing.json: no such file"),
    ('{"format": "pytest-ecom/report", ', "bad.json: not valid JSON (line 1: Expecting property name"),
    ({"hello": 1}, "bad.json: not a pytest-ecom report (written with --ecom-report)"),
    ({"format": "pytest-ecom/report", "version": 2}, "bad.json: a report of version 2; this pytest-ecom reads "
                                                     "version 1"),
    ({"format": "pytest-ecom/report", "version": 1, "fingerprint": {}, "trials": []},
     "bad.json: the report has no fingerprint with the run's options"),
    ({"format": "pytest-ecom/report", "version": 1, "fingerprint": {"options": {"repeat": 1}},
      "trials": [{"task": "t", "trial": 1, "repeat": 1, "task_digest": "d"}]}, "bad.json: trial #1 of the report lacks 'outcome'"),
])
def test_a_bad_baseline_stops_the_run_before_it_starts(mini_project, content, message):
    name = "missing.json" if content is None else _write(mini_project.path / "bad.json", content)
    result = mini_project.run("--agent=oracle", f"--ecom-baseline={name}", "--ecom-report=report.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"--ecom-baseline: {message}" in result.stderr.str()
    assert not (mini_project.path / "report.json").exists()


def test_a_baseline_scored_differently_and_lone_max_drop_are_refused(mini_project, oracle_baseline):
    result = mini_project.run("--agent=oracle", "--repeat=3", "--ecom-baseline=old.json", "--ecom-scoring=reference")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert ("--ecom-baseline: old.json cannot be compared with this run: the runs were scored differently "
            "(scoring 'default' vs 'reference')") in result.stderr.str()
    alone = mini_project.run("--agent=oracle", "--ecom-max-drop=0.1")
    assert alone.ret == pytest.ExitCode.USAGE_ERROR
    assert "--ecom-max-drop needs --ecom-baseline=REPORT" in alone.stderr.str()
    too_big = mini_project.run("--agent=oracle", "--ecom-baseline=old.json", "--ecom-max-drop=5")
    assert "argument --ecom-max-drop: must be between 0 and 1 (a drop of pass^k), got 5" in too_big.stderr.str()


# -- pytest-ecom compare ------------------------------------------------------------------


def test_compare_shows_per_task_changes_and_the_overall_change(mini_project, oracle_baseline, capsys):
    mini_project.run("--agent=mini_agents:solve_cancel", "--repeat=2", "--ecom-report=new.json")
    new = str(mini_project.path / "new.json")
    capsys.readouterr()
    assert main(["compare", str(oracle_baseline), new]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"before: {oracle_baseline} (agent oracle, 3 trial(s) per task)"
    assert out[1] == f"after:  {new} (agent mini_agents:solve_cancel, 2 trial(s) per task)"
    rows = {line.split()[0]: line.split()[1:] for line in out[4:6]}
    assert rows == {"change_address": ["3/3", "0/2", "1.000", "0.000", "newly", "failing"],
                    "order_status": ["3/3", "0/2", "1.000", "0.000", "newly", "failing"]}
    assert out[6] == "  … and 1 task(s) unchanged (--all lists them)"
    assert out[7] == ("pass^2 over 3 shared task(s): 1.000 → 0.333, change -0.667, 95% interval [-1.000, +0.000] "
                      "(paired bootstrap over tasks)")
    assert out[8:] == ["newly failing: 2 task(s): change_address, order_status", "newly passing: 0 task(s)"]
    assert main(["compare", str(oracle_baseline), new, "--all"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[4].split() == ["cancel_kettle", "3/3", "2/2", "1.000", "1.000"] and "unchanged" not in out[7]
    assert main(["compare", new, str(oracle_baseline)]) == 0
    assert "newly passing: 2 task(s): change_address, order_status" in capsys.readouterr().out


def test_compare_refuses_bad_or_incomparable_reports_naming_the_file(mini_project, oracle_baseline, capsys):
    old = str(oracle_baseline)
    capsys.readouterr()
    assert main(["compare", old, str(mini_project.path / "nope.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and re.search(r"error: .*nope\.json: no such file", captured.err)
    report = json.loads(oracle_baseline.read_text(encoding="utf-8"))
    _write(mini_project.path / "v2.json", {**report, "version": 2})
    assert main(["compare", old, str(mini_project.path / "v2.json")]) == 2
    assert "v2.json: a report of version 2" in capsys.readouterr().err
    for trial in report["trials"]:
        if trial["task"] == "order_status":
            trial["task_digest"] = "0" * 16
    _write(mini_project.path / "edited.json", report)
    assert main(["compare", old, str(mini_project.path / "edited.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "cannot be compared: 1 task(s) are different versions" in captured.err


# -- the progress line ------------------------------------------------------------------


def test_the_progress_line_comes_at_most_every_interval_and_never_last():
    now, lines = [0.0], []
    progress = Progress(10, lines.append, clock=lambda: now[0])
    progress.total = 4
    for seconds, outcome, cost in ((3, "pass", None), (11, "fail", 0.25), (12, "error", None), (30, "pass", 0.5)):
        now[0] = seconds
        progress.add({"outcome": outcome, "cost_usd": cost})
    assert lines == ["pytest-ecom: 2/4 trials done (1 passed, 1 failed, 0 errors), $0.2500 so far"]


def test_progress_lines_on_the_terminal(mini_project):
    often = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=3", "--ecom-progress=0.000001")
    shown = re.findall(r"^pytest-ecom: (\d)/9 trials done \(\d passed, \d failed, 0 errors\)$", often.stdout.str(),
                       re.M)
    assert shown and "9" not in shown
    for quiet in (("--ecom-progress=0.000001", "-q"), ("--ecom-progress=0",), ()):
        result = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=3", *quiet)
        assert "trials done" not in result.stdout.str()

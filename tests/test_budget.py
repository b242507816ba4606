"""--ecom-max-cost: no trial starts once the run has spent its budget, across xdist workers; the
trials not run are skipped (no record), so their tasks are incomplete, not failed."""

from __future__ import annotations

import pytest

from pytest_ecom.models.budget import Budget
from pytest_ecom.models.metering import TrialMeter

# Each stub-agent trial of the mini tasks makes two calls of one prompt token: $1 each at this price.
PRICED = ("--agent=litellm", "--agent-model=openai/stub-agent", "--ecom-price=openai/stub-agent=1000000,0",
          "--ecom-concurrency=1")


@pytest.fixture(scope="module")
def stub(model_server):
    return model_server


def test_trials_stop_starting_once_the_budget_is_spent(mini_project, stub):
    result = mini_project.run(*PRICED, f"--agent-base-url={stub.base_url}", "-k", "order_status", "--repeat=3",
                              "--ecom-max-cost=3", "--ecom-report=report.json", "-rs")
    result.assert_outcomes(passed=2, skipped=1)  # $2, then $4 >= $3: the third trial never starts
    report = mini_project.report()
    assert [t["trial"] for t in report["trials"]] == [1, 2]
    assert report["summary"]["incomplete"] == ["order_status"]  # not failed: pass^3 cannot be computed
    assert report["budget"] == {"max_cost_usd": 3.0, "spent_usd": 4.0, "unknown_cost_trials": 0, "not_run": 1}
    out = result.stdout.str()
    assert "budget: $4.0000 spent of $3; 1 trial(s) not run, their tasks left incomplete" in out
    assert "not run (budget): $4.0000 spent of --ecom-max-cost $3" in out  # the skip reason (-rs)


def test_the_budget_is_shared_by_xdist_workers(mini_project, stub):
    result = mini_project.run_subprocess(*PRICED, f"--agent-base-url={stub.base_url}", "--repeat=2", "-n", "2",
                                         "--ecom-max-cost=5", "--ecom-report=report.json", "-rs")
    outcomes = result.parseoutcomes()
    ran = outcomes.get("passed", 0) + outcomes.get("failed", 0)
    assert 0 < ran < 6 and outcomes.get("skipped", 0) == 6 - ran, outcomes
    report = mini_project.report()
    assert report["budget"]["not_run"] == 6 - ran
    # the controller reads the one ledger the workers wrote: it holds every trial's cost
    spent = sum(t["cost_usd"] for t in report["trials"])
    assert report["budget"]["spent_usd"] == spent >= 5
    assert spent - max(t["cost_usd"] for t in report["trials"]) * 2 < 5  # at most one trial per worker started late


def test_unknown_costs_are_said_not_counted(mini_project, stub):
    result = mini_project.run("--agent=litellm", "--agent-model=openai/stub-agent", f"--agent-base-url={stub.base_url}",
                              "-k", "order_status", "--ecom-max-cost=1")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["budget: $0.0000 spent of $1; 1 trial(s) of unknown cost not counted "
                                 "(give prices with --ecom-price)"])


def test_bill_adds_only_what_was_not_billed(tmp_path):
    budget = Budget(10.0, tmp_path / "spent.txt")
    meter = TrialMeter(("t", 1))
    budget.bill(meter)  # no calls yet: nothing
    meter.add("agent", 1, 1, 1.5)
    budget.bill(meter)
    meter.add("judge", 1, 0, 0.5)
    budget.bill(meter)
    budget.bill(meter)
    assert budget.spent().usd == 2.0 and not budget.exhausted()
    other = TrialMeter(("t", 2))
    other.add("agent", 1, 1, None)
    budget.bill(other)
    budget.bill(other)
    assert budget.spent().unknown == 1


def test_a_non_positive_budget_is_a_usage_error(mini_project):
    result = mini_project.run("--agent=oracle", "--ecom-max-cost=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--ecom-max-cost: must be more than 0" in result.stderr.str()


def test_tasks_the_budget_kept_from_running_are_incomplete_and_gates_refuse(mini_project, stub):
    result = mini_project.run(*PRICED, f"--agent-base-url={stub.base_url}", "--ecom-max-cost=1",
                              "--ecom-gate", "pass^1>=0", "--ecom-report=report.json")
    assert result.parseoutcomes()["skipped"] == 2  # the first trial spends $2 or more: no other task starts
    summary = mini_project.report()["summary"]
    ran = {t["task"] for t in mini_project.report()["trials"]}
    assert len(ran) == 1 and set(summary["incomplete"]) == {"cancel_kettle", "change_address", "order_status"} - ran
    result.stdout.fnmatch_lines(["gate budget: FAIL — refused: --ecom-max-cost kept 2 trial(s) of 2 task(s) "
                                 "from running; gate the whole run"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_resumed_run_keeps_counting_what_it_spent_before(mini_project, stub):
    args = (*PRICED, f"--agent-base-url={stub.base_url}", "-k", "order_status", "--repeat=3", "--ecom-log=run.jsonl")
    mini_project.run(*args, "--ecom-max-cost=3").assert_outcomes(passed=2, skipped=1)  # $4 spent
    again = mini_project.run(*args, "--ecom-max-cost=3", "--ecom-resume=run.jsonl", "-rs")
    again.assert_outcomes(skipped=1, deselected=8)  # 2 logged trials and -k; the logged $4 exceed the budget
    assert "not run (budget): $4.0000 spent of --ecom-max-cost $3" in again.stdout.str()

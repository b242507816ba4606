"""--ecom-max-cost: a trial starts only while spent + held by running trials + its expected cost fit
in the budget, across xdist workers; the trials not run are skipped (no record), so their tasks are
incomplete, not failed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pytest_ecom.models import budget as budget_module
from pytest_ecom.models.budget import Budget
from pytest_ecom.models.metering import TrialMeter

# Each stub-agent trial of the mini tasks makes two calls of one prompt token: $1 each at this price.
PRICED = ("--agent=litellm", "--agent-model=openai/stub-agent", "--ecom-price=openai/stub-agent=1000000,0",
          "--ecom-concurrency=1")


def test_trials_stop_starting_once_the_next_would_pass_the_budget(mini_project, stub):
    result = mini_project.run(*PRICED, f"--agent-base-url={stub.base_url}", "-k", "order_status", "--repeat=3",
                              "--ecom-max-cost=5", "--ecom-report=report.json", "-rs")
    # $2 (nothing known yet), then $2 + the expected $2 <= $5, then $4 + the expected $2 > $5: refused
    result.assert_outcomes(passed=2, skipped=1)
    report = mini_project.report()
    assert [t["trial"] for t in report["trials"]] == [1, 2]
    assert report["summary"]["incomplete"] == ["order_status"]  # not failed: pass^3 cannot be computed
    assert report["budget"] == {"max_cost_usd": 5.0, "spent_usd": 4.0, "unknown_cost_trials": 0, "not_run": 1}
    out = result.stdout.str()
    assert "budget: $4.0000 spent of $5; 1 trial(s) not run, their tasks left incomplete" in out
    assert ("not run (budget): $4.0000 spent of --ecom-max-cost $5, $0.0000 held by 0 trial(s) running, "
            "$2.0000 expected of the next") in out  # the skip reason (-rs)


def test_a_trial_whose_expected_cost_does_not_fit_does_not_start(mini_project, stub):
    result = mini_project.run(*PRICED, f"--agent-base-url={stub.base_url}", "-k", "order_status", "--repeat=3",
                              "--ecom-max-cost=3", "--ecom-report=report.json")
    result.assert_outcomes(passed=1, skipped=2)  # $2 spent, $1 left: a $2 trial would pass the budget
    assert mini_project.report()["budget"]["spent_usd"] == 2.0


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
    assert report["budget"]["spent_usd"] == spent
    assert spent - max(t["cost_usd"] for t in report["trials"]) * 2 <= 5  # at most one trial per worker over


WORKERS, CONCURRENCY = 2, 2


def budget_run(mini_project, stub, limit: float, *args: str) -> tuple[float, list[dict]]:
    stub.server.latency_s = 0.05  # the trials of both workers overlap
    try:
        result = mini_project.run_subprocess(*PRICED, f"--ecom-concurrency={CONCURRENCY}", "-n", str(WORKERS),
                                             f"--agent-base-url={stub.base_url}", f"--ecom-max-cost={limit:g}",
                                             "--ecom-report=report.json", *args)
    finally:
        stub.server.latency_s = 0.0
    report = mini_project.report()
    trials = report["trials"]
    outcomes = result.parseoutcomes()
    assert trials and outcomes.get("skipped", 0) == report["budget"]["not_run"] > 0, result.stdout.str()
    assert report["budget"]["spent_usd"] == pytest.approx(sum(t["cost_usd"] for t in trials))
    return report["budget"]["spent_usd"], trials


def test_overshoot_is_bounded_by_the_trials_in_flight(mini_project, stub):
    """README's bound, with in_flight at most the workers times --ecom-concurrency: spent <= limit +
    in_flight * max_trial_cost, and max(in_flight * max, limit + in_flight * (max - min)) once one
    trial finished (the mini tasks cost $2 and $3 a trial here)."""
    limit = 9.0
    spent, trials = budget_run(mini_project, stub, limit, "--repeat=4")
    in_flight = WORKERS * CONCURRENCY
    costs = [t["cost_usd"] for t in trials]
    most, least = max(costs), min(costs)
    print(f"spent ${spent:g} of ${limit:g} in {len(trials)} trial(s) costing ${least:g}-${most:g}; "
          f"bounds ${limit + in_flight * most:g}, ${max(in_flight * most, limit + in_flight * (most - least)):g}")
    assert spent <= limit + in_flight * most
    assert spent <= max(in_flight * most, limit + in_flight * (most - least))


def test_trials_of_one_cost_never_pass_a_budget_their_first_wave_fits(mini_project, stub):
    """Every trial here costs $2: once one has finished the estimate is exact, so the run ends within
    its budget (checking only what was spent, it would end at $10 or more: a trial starts at $8)."""
    limit = 9.0
    spent, trials = budget_run(mini_project, stub, limit, "--repeat=6", "-k", "order_status or change_address")
    [cost] = {t["cost_usd"] for t in trials}
    assert WORKERS * CONCURRENCY * cost <= limit  # the trials that start before any has finished fit
    print(f"spent ${spent:g} of ${limit:g} in {len(trials)} trial(s) of ${cost:g}")
    assert spent <= limit


RACER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from pytest_ecom.models.budget import Budget
    from pytest_ecom.models.metering import TrialMeter

    budget, n = Budget(float(sys.argv[2]), Path(sys.argv[1])), 0
    while budget.reserve(("t", n)):
        meter = TrialMeter(("t", n))
        meter.add("agent", 1, 0, float(sys.argv[3]))
        budget.bill(meter)
        n += 1
    print(n)
""")


@pytest.mark.skipif(budget_module.fcntl is None, reason="no advisory file locks here (fcntl)")
def test_processes_never_both_take_the_last_room(tmp_path):
    """Eight processes start $1 trials on one ledger as fast as they can. The expected cost is
    known from the start (one finished trial), and deciding and holding is one step under the
    ledger's lock: the run ends exactly at its budget, never over (without the lock, two processes
    now and then both see the last dollar free, and the run ends a dollar or more over)."""
    ledger, limit = tmp_path / "spent.txt", 200
    Budget(limit, ledger).spend(1.0)  # a trial that finished before: the estimate is $1
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(ledger), str(limit), "1.0"], stdout=subprocess.PIPE,
                               text=True) for _ in range(8)]
    started = sum(int(racer.communicate(timeout=120)[0]) for racer in racers)
    assert all(racer.returncode == 0 for racer in racers)
    assert started == limit - 1 and Budget(limit, ledger).spent().usd == limit


def test_a_running_trial_holds_its_expected_cost_for_the_others(tmp_path):
    """Two workers on one ledger: what one holds while running keeps the other from starting a
    trial that would pass the limit (checking what was spent alone would start it)."""
    ledger = tmp_path / "spent.txt"
    one, two = Budget(5.0, ledger), Budget(5.0, ledger)
    first = TrialMeter(("a", 1))
    assert one.reserve(first.key)  # nothing known: holds $0
    first.add("agent", 2, 0, 2.0)
    one.bill(first)
    assert one.state().estimate_usd == 2.0 and one.state().running == 0
    assert two.reserve(("b", 1))  # $2 spent + $2 expected <= $5: starts, holding $2
    assert not one.reserve(("a", 2))  # $2 spent + $2 held + $2 expected > $5 although only $2 is spent
    assert "$2.0000 spent of --ecom-max-cost $5, $2.0000 held by 1 trial(s) running" in one.reason()
    cheap = TrialMeter(("b", 1))
    cheap.add("agent", 1, 0, 0.5)
    two.bill(cheap)  # it cost less than it held: the hold is released, $0.50 spent
    state = one.state()
    assert (state.spent_usd, state.held_usd, state.running, state.estimate_usd) == (2.5, 0.0, 0, 1.25)
    assert one.reserve(("a", 2))  # $2.50 + $1.25 <= $5


def test_a_trial_that_started_knowing_nothing_holds_the_mean_once_known(tmp_path):
    ledger = tmp_path / "spent.txt"
    one, two = Budget(10.0, ledger), Budget(10.0, ledger)
    assert one.reserve(("a", 1)) and two.reserve(("b", 1))  # both hold $0: nothing is known yet
    finished = TrialMeter(("b", 1))
    finished.add("agent", 1, 0, 3.0)
    two.bill(finished)
    state = one.state()
    assert (state.spent_usd, state.held_usd, state.running) == (3.0, 3.0, 1)  # ("a", 1) now counts $3


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
    mini_project.run(*args, "--ecom-max-cost=5").assert_outcomes(passed=2, skipped=1)  # $4 spent
    again = mini_project.run(*args, "--ecom-max-cost=5", "--ecom-resume=run.jsonl", "-rs")
    # 2 logged trials and -k; the logged $4 and the $2 they make the next trial expected to cost exceed $5
    again.assert_outcomes(skipped=1, deselected=8)
    assert "not run (budget): $4.0000 spent of --ecom-max-cost $5, $0.0000 held by 0 trial(s) running, " \
           "$2.0000 expected of the next" in again.stdout.str()

"""Running trials through pytest: outcomes, the pass^k summary, failure stories, reruns, errors."""

from __future__ import annotations

import asyncio
import re
import shlex

import pytest

from pytest_ecom.runner import TrialPool


def summary_block(result: pytest.RunResult) -> list[str]:
    """The lines of the pytest-ecom section of the terminal summary."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"=+ pytest-ecom =+", line))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("==")), len(lines))
    return lines[start + 1:end]


def section(result: pytest.RunResult, title: str) -> str:
    """The text pytest prints under ``___ <title> ___`` (a failure or an error)."""
    text = result.stdout.str()
    match = re.search(r"_+ " + re.escape(title) + r" _+\n(.*?)(?=\n_{3,} |\n={3,} )", text, re.S)
    assert match, f"no section {title!r} in:\n{text}"
    return match.group(1)


def test_oracle_passes_every_trial(mini_project):
    result = mini_project.run("--agent=oracle", "--repeat=3")
    result.assert_outcomes(passed=9)
    assert summary_block(result) == [
        "agent oracle: 3 tasks, 9 trials: 9 passed, 0 failed, 0 errors",
        "pass^1 1.000  pass^2 1.000  pass^3 1.000  pass@3 1.000",
        "incomplete: 0 tasks (pass^k counts all 3)",
        "state × searches × outputs alone (ECom-Bench's dimensions, no procedure): "
        "pass^1 1.000  pass^2 1.000  pass^3 1.000  (0 trial(s) failed on procedure alone)",
        # per trial: (2 + 2 + 1 calls) / 3 tasks; (1 + 2 + 1 turns) / 3 tasks, as on the golden path
        "per trial: 1.667 tool calls (0 failed), 1.333 turns; golden path: 1.667 calls, 1.333 turns",
    ]


def test_do_nothing_agent_fails_every_trial_and_the_worst_tasks_name_the_dimension(mini_project):
    result = mini_project.run("--agent=mini_agents:do_nothing", "--repeat=3")
    result.assert_outcomes(failed=9)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert summary_block(result) == [
        "agent mini_agents:do_nothing: 3 tasks, 9 trials: 0 passed, 9 failed, 0 errors",
        "pass^1 0.000  pass^2 0.000  pass^3 0.000  pass@3 0.000",
        "incomplete: 0 tasks (pass^k counts all 3)",
        "state × searches × outputs alone (ECom-Bench's dimensions, no procedure): "
        "pass^1 0.000  pass^2 0.000  pass^3 0.000  (0 trial(s) failed on procedure alone)",
        "per trial: 0 tool calls (0 failed), 1.333 turns; golden path: 1.667 calls, 1.333 turns",
        "worst tasks:",
        "  cancel_kettle   0/3 passed  failing: outputs ×3, searches ×3, state ×3",
        "  change_address  0/3 passed  failing: outputs ×3, searches ×3, state ×3",
        "  order_status    0/3 passed  failing: outputs ×3, searches ×3",
    ]


def test_pass_hat_k_of_an_agent_that_solves_two_trials_in_three(mini_project):
    result = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=3")
    result.assert_outcomes(passed=6, failed=3)
    # every task: n=3, c=2 → pass^1 = 2/3, pass^2 = C(2,2)/C(3,2) = 1/3, pass^3 = 0, pass@3 = 1
    assert summary_block(result)[:3] == [
        "agent mini_agents:half_oracle: 3 tasks, 9 trials: 6 passed, 3 failed, 0 errors",
        "pass^1 0.667  pass^2 0.333  pass^3 0.000  pass@3 1.000",
        "incomplete: 0 tasks (pass^k counts all 3)",
    ]


def test_a_failing_trial_explains_itself_and_reruns_alone_with_its_seed(mini_project):
    result = mini_project.run("--agent=mini_agents:do_nothing", "--repeat=3", "--ecom-report=first.json",
                              "tasks/cancel.task.yaml")
    result.assert_outcomes(failed=3)
    story = section(result, "trial cancel_kettle[2-3]")
    # what differed: the state field, the missing call, the missing phrase
    assert "  state: FAILED" in story
    assert 'orders/100001: history: expected [{"event": "paid"}, {"event": "cancelled", ' in story
    assert 'status: expected "cancelled", got "paid"' in story
    assert "  searches: FAILED\n    - missing call: get_order(order_id=\"100001\")" in story
    assert "  outputs: FAILED\n    - missing phrase: 'cancelled'" in story
    # the last turns
    assert "last turns (5 of 5):" in story
    assert "  customer: Hi, please cancel my order 100001.\n  agent: Sorry, I cannot help with that." in story
    # and how to rerun exactly this trial
    command = "pytest 'tasks/cancel.task.yaml::cancel_kettle[2-3]' --agent=mini_agents:do_nothing --repeat=3"
    assert f"rerun this trial: {command}" in story
    assert mini_project.rerun_commands(result) == [command.replace("[2-3]", f"[{i}-3]") for i in (1, 2, 3)]

    rerun = mini_project.run(*shlex.split(command)[1:], "--ecom-report=rerun.json")
    rerun.assert_outcomes(failed=1)
    [again] = mini_project.report("rerun.json")["trials"]
    [before] = [t for t in mini_project.report("first.json")["trials"] if t["trial"] == 2]
    assert (again["task"], again["trial"], again["repeat"]) == ("cancel_kettle", 2, 3)
    assert again["seed"] == before["seed"]
    assert again["dimensions"] == before["dimensions"]


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_the_short_summary_keeps_one_line_per_trial_on_ci_machines(mini_project, monkeypatch, workers):
    """pytest does not trim summary lines when CI is set: the story must not be repeated there."""
    monkeypatch.setenv("CI", "true")
    result = mini_project.run_subprocess("--agent=mini_agents:do_nothing", "--repeat=2", *workers,
                                         "tasks/cancel.task.yaml")
    result.assert_outcomes(failed=2)
    summary = result.stdout.str().split("short test summary info")[1].splitlines()[1:-1]
    assert sorted(summary) == [
        f"FAILED tasks/cancel.task.yaml::cancel_kettle[{i}-2] - trial failed "
        "(ended by customer_stop, 2 customer turns, 0 tool calls)" for i in (1, 2)]
    assert len(mini_project.rerun_commands(result)) == 2


def test_the_rerun_command_works_from_the_directory_pytest_was_run_in(mini_project, monkeypatch):
    """The rootdir (here set by pytest.ini) is not always the invocation directory."""
    mini_project.write("pytest.ini", "[pytest]\n")
    monkeypatch.chdir(mini_project.path / "tasks")
    result = mini_project.run("--agent=mini_agents:do_nothing", "cancel.task.yaml")
    result.assert_outcomes(failed=1)
    [command] = mini_project.rerun_commands(result)
    mini_project.run(*shlex.split(command)[1:]).assert_outcomes(failed=1)


def test_an_agent_that_raises_fails_with_its_traceback(mini_project):
    """A bug in the agent is the agent's failure: counting it as an error would inflate pass^k."""
    result = mini_project.run("--agent=mini_agents:crash", "--repeat=2")
    result.assert_outcomes(failed=6)
    story = section(result, "trial cancel_kettle[1-2]")
    assert "trial failed (ended by agent_crash" in story
    assert "  agent: FAILED" in story
    assert "    - the agent raised RuntimeError: agent exploded" in story
    assert 'mini_agents.py", line' in story and 'raise RuntimeError("agent exploded")' in story
    assert summary_block(result)[0] == "agent mini_agents:crash: 3 tasks, 6 trials: 0 passed, 6 failed, 0 errors"


def test_a_provider_failure_is_an_error_not_a_failure(mini_project):
    result = mini_project.run("--agent=mini_agents:provider_down", "--repeat=2")
    result.assert_outcomes(errors=6)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    story = section(result, "ERROR at setup of trial cancel_kettle[1-2]")
    assert "trial error (provider): ProviderError: model endpoint returned 503" in story
    assert "errors are not agent failures" in story
    assert ("rerun this trial: pytest 'tasks/cancel.task.yaml::cancel_kettle[1-2]' "
            "--agent=mini_agents:provider_down") in story
    assert summary_block(result) == [
        "agent mini_agents:provider_down: 3 tasks, 6 trials: 0 passed, 0 failed, 6 errors",
        "pass^1 n/a  pass^2 n/a  pass@2 n/a",
        "incomplete: 3 task(s) with fewer than 2 scored trials, left out of pass^2: "
        "cancel_kettle, change_address, order_status",
        "errors: 6 trial(s) could not finish (provider, tool, customer or agent setup); not counted as failures",
        "worst tasks:",
        "  cancel_kettle   0/0 passed, 2 error(s)  failing: -",
        "  change_address  0/0 passed, 2 error(s)  failing: -",
        "  order_status    0/0 passed, 2 error(s)  failing: -",
    ]


def test_an_errored_trial_makes_its_task_incomplete_for_pass_hat_k(mini_project):
    result = mini_project.run("--agent=mini_agents:provider_down_on_trial_2", "--repeat=3", "-k", "cancel_kettle")
    result.assert_outcomes(passed=2, errors=1)
    block = summary_block(result)
    assert block[:3] == [
        "agent mini_agents:provider_down_on_trial_2: 1 tasks, 3 trials: 2 passed, 0 failed, 1 errors",
        "pass^1 1.000  pass^2 1.000  pass^3 n/a  pass@3 n/a",
        "incomplete: 1 task(s) with fewer than 3 scored trials, left out of pass^3: cancel_kettle",
    ]


def test_a_partial_selection_reports_the_unselected_trials_as_incomplete(mini_project):
    result = mini_project.run("--agent=oracle", "--repeat=3", "-k", "1-3 or 2-3")
    result.assert_outcomes(passed=6, deselected=3)
    assert summary_block(result)[1:3] == [
        "pass^1 1.000  pass^2 1.000  pass^3 n/a  pass@3 n/a",
        "incomplete: 3 task(s) with fewer than 3 scored trials, left out of pass^3: "
        "cancel_kettle, change_address, order_status",
    ]


def test_last_failed_reruns_only_the_failed_trials(mini_project):
    first = mini_project.run("--agent=mini_agents:solve_cancel", "--repeat=2", cache=True)
    first.assert_outcomes(passed=2, failed=4)
    again = mini_project.run("--agent=mini_agents:solve_cancel", "--repeat=2", "--lf", cache=True)
    again.assert_outcomes(failed=4)  # cancel_kettle's file is skipped by --lf
    assert summary_block(again)[0] == "agent mini_agents:solve_cancel: 2 tasks, 4 trials: 0 passed, 4 failed, 0 errors"


RERUNS_OPTION = """
def pytest_addoption(parser):
    parser.addoption("--reruns", type=int, default=0)  # as pytest-rerunfailures does
"""


def test_reruns_are_refused(mini_project):
    mini_project.add_conftest(RERUNS_OPTION)
    result = mini_project.run("--agent=oracle", "--reruns=2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "refuses --reruns" in result.stderr.str() and "pass^k" in result.stderr.str()
    mini_project.run("--agent=oracle", "--reruns=0").assert_outcomes(passed=3)


def test_junit_xml_reports_errors_and_failures_without_leaking_records(mini_project):
    result = mini_project.run("--agent=mini_agents:provider_down_on_trial_2", "--repeat=2", "--junitxml=junit.xml")
    result.assert_outcomes(passed=3, errors=3)
    xml = (mini_project.path / "junit.xml").read_text(encoding="utf-8")
    assert xml.count("<error ") == 3 and "<failure" not in xml
    assert 'name="cancel_kettle[2-2]"' in xml
    assert '"transcript"' not in xml  # the record itself stays out of junit


def test_junit_xml_carries_each_trials_outcome_dimensions_and_seed(mini_project):
    import xml.etree.ElementTree as ET

    from pytest_ecom.runner import trial_seed

    mini_project.run("--agent=mini_agents:half_oracle", "--repeat=2", "-k", "cancel_kettle", "--junitxml=junit.xml")
    cases = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")}
             for c in ET.parse(mini_project.path / "junit.xml").getroot().iter("testcase")}
    assert cases["cancel_kettle[1-2]"] == {
        "ecom.outcome": "pass", "ecom.seed": str(trial_seed("cancel_kettle", 1)), "ecom.trial": "1/2",
        "ecom.state": "pass", "ecom.searches": "pass", "ecom.outputs": "pass", "ecom.procedure": "pass"}
    assert cases["cancel_kettle[2-2]"]["ecom.outcome"] == "fail"
    assert cases["cancel_kettle[2-2]"]["ecom.state"] == "fail"
    assert cases["cancel_kettle[2-2]"]["ecom.seed"] == str(trial_seed("cancel_kettle", 2))


def test_trials_run_under_xdist_report_back_to_the_controller(mini_project):
    result = mini_project.run_subprocess("-n", "2", "--agent=mini_agents:half_oracle", "--repeat=2",
                                         "--ecom-report=report.json")
    result.assert_outcomes(passed=3, failed=3)
    assert summary_block(result)[:2] == [
        "agent mini_agents:half_oracle: 3 tasks, 6 trials: 3 passed, 3 failed, 0 errors",
        "pass^1 0.500  pass^2 0.000  pass@2 1.000",
    ]
    trials = mini_project.report()["trials"]
    assert [(t["task"], t["trial"], t["outcome"]) for t in trials] == [
        (task, trial, "pass" if trial == 1 else "fail")
        for task in ("cancel_kettle", "change_address", "order_status") for trial in (1, 2)
    ]


def _plan(keys, start):
    """The pool's view of a session: (key, starter) in order, and the trials after a given one."""
    entries = [(key, (lambda key=key: start(key))) for key in keys]

    def after(key):
        here = keys.index(key)
        return lambda: iter(entries[here + 1:])
    return entries, after


def test_the_trial_pool_starts_each_selected_trial_exactly_once():
    """Items reuse the runs the pool started ahead of them, across tasks: each start is a paid
    episode, so none is started twice."""
    started: list[tuple[str, int]] = []

    async def start(key):
        started.append(key)
        return f"run {key[0]} {key[1]}"

    keys = [("a", 1), ("a", 2), ("b", 1), ("c", 1), ("c", 2)]
    entries, after = _plan(keys, start)
    pool = TrialPool(concurrency=2)
    try:
        got = [pool.get(key, starter, after(key)) for key, starter in entries]
    finally:
        pool.close()
    assert got == [f"run {task} {trial}" for task, trial in keys]
    assert sorted(started) == sorted(keys)


def test_the_trial_pool_bounds_concurrency_and_starts_trials_in_order_across_tasks():
    running, peak, order = 0, 0, []

    async def start(key):
        nonlocal running, peak
        order.append(key)
        running += 1
        peak = max(peak, running)
        for _ in range(5):
            await asyncio.sleep(0)  # yield to the other trials, no waiting
        running -= 1
        return key

    keys = [(task, 1) for task in "abcdefg"]
    entries, after = _plan(keys, start)
    pool = TrialPool(concurrency=3)
    try:
        assert pool.get(keys[0], entries[0][1], after(keys[0])) == keys[0]
        assert peak == 3  # one task's single trial did not hold the others back
        assert [pool.get(key, starter, after(key)) for key, starter in entries[1:]] == keys[1:]
    finally:
        pool.close()
    assert peak == 3 and order == keys


def test_the_trial_pool_looks_no_further_ahead_than_its_window():
    started, collected, most_ahead = [], [], 0

    def start(key):
        nonlocal most_ahead
        started.append(key)  # when the pool starts the trial (its coroutine is made then)
        most_ahead = max(most_ahead, len(started) - len(collected))
        return asyncio.sleep(0, key)

    keys = [(task, 1) for task in "abcdefghij"]
    entries, after = _plan(keys, start)
    pool = TrialPool(concurrency=2, window=4)
    try:
        for key, starter in entries:
            collected.append(pool.get(key, starter, after(key)))
    finally:
        pool.close()
    assert collected == keys and started == keys
    assert most_ahead == 4  # started and not yet collected: never more than the window


def test_the_trial_pool_starts_nothing_new_once_told_to_stop():
    """-x / --maxfail: after a failure ahead is known, trials behind it do not start."""
    started = []

    async def start(key):
        started.append(key)
        await asyncio.sleep(0)
        return {"outcome": "fail" if key[0] == "b" else "pass", "error": None}

    keys = [(task, 1) for task in "abcdef"]
    entries, after = _plan(keys, start)
    pool = TrialPool(concurrency=1)
    try:
        pool.get(keys[0], entries[0][1], after(keys[0]), stop=lambda: pool.failures_ahead >= 1)
        assert pool.get(keys[1], entries[1][1], after(keys[1]), stop=lambda: pool.failures_ahead >= 1)["outcome"] \
            == "fail"
    finally:
        pool.close()
    assert started == [("a", 1), ("b", 1)]  # b's failure was known when it finished: c never started


def test_closing_the_pool_cancels_trials_nobody_asked_for():
    cancelled: list[int] = []

    async def start(key):
        if key[1] == 1:
            return "done"
        try:
            await asyncio.Event().wait()  # would never finish (e.g. after -x stopped the session)
        except asyncio.CancelledError:
            cancelled.append(key[1])
            raise

    keys = [("task", 1), ("task", 2), ("task", 3)]
    entries, after = _plan(keys, start)
    pool = TrialPool()
    assert pool.get(keys[0], entries[0][1], after(keys[0])) == "done"
    pool.close()
    assert sorted(cancelled) == [2, 3]
    assert pool.loop.is_closed()

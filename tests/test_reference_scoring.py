"""ECom-Bench's own reward (``--ecom-scoring=reference``) on hand-built trajectories.

Each case states what the reference's rules give (../shared/ecom-bench/README.md: whole-store
equality after normalisation × exact-JSON searches × exact substrings) and what our default
gives, where the two differ on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom.prepare.task import load_prepared
from pytest_ecom.scoring.reference import normalise
from pytest_ecom.runner.score import reference_trajectory_checks, score_trajectory, reward

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "tasks" / "ecom-bench"


def agent(calls: list[tuple[str, Any]], reply: str = "好的，已为您处理。"):
    """Makes ``calls`` one per step (arguments sent as given: a dict or raw JSON text), then replies."""

    def act(messages: list[dict[str, Any]], tools: list[dict[str, Any]], context: Any) -> dict[str, Any]:
        made = sum(1 for m in messages if m["role"] == "assistant" and m.get("tool_calls"))
        if made < len(calls):
            name, args = calls[made]
            text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
            return {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"c{made}", "type": "function", "function": {"name": name, "arguments": text}}]}
        return {"role": "assistant", "content": reply}

    return act


def golden(prepared, kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [next(iter(call.items())) for call in getattr(prepared.task.expect, kind)]


def verdicts(run_agent, prepared, act) -> tuple[dict[str, bool], bool, dict[str, bool | None]]:
    """(reference checks, reference reward, our dimensions)."""
    run = run_agent(prepared, act)
    assert run.error is None, run.error
    checks = reference_trajectory_checks(prepared, run.trajectory)
    ours = score_trajectory(prepared, run.trajectory)
    assert bool(reward(ours)) == all(d.passed is not False for d in ours)
    return checks, all(checks.values()), {d.name: d.passed for d in ours}


@pytest.fixture(scope="module")
def change_address():
    """032: change an order's address and phone (one write), after reading its logistics (one search)."""
    return load_prepared(TASKS / "032_manage_order.task.yaml")


@pytest.fixture(scope="module")
def gift_question():
    """039: no golden actions; two required reads."""
    return load_prepared(TASKS / "039_get_gift_info.task.yaml")


def test_the_golden_trajectory_passes_both(run_agent, change_address):
    act = agent(golden(change_address, "searches") + golden(change_address, "actions"))
    checks, ref, ours = verdicts(run_agent, change_address, act)
    assert checks == {"actions": True, "searches": True, "outputs": True} and ref
    assert ours == {"state": True, "searches": True, "outputs": None}


def test_doing_nothing_fails_both(run_agent, change_address):
    checks, ref, ours = verdicts(run_agent, change_address, agent([]))
    assert checks == {"actions": False, "searches": False, "outputs": True} and not ref
    assert ours == {"state": False, "searches": False, "outputs": None}


def test_the_wrong_order_fails_both(run_agent, change_address):
    [(search, search_args)] = golden(change_address, "searches")
    [(action, action_args)] = golden(change_address, "actions")
    other = "999999999999"
    act = agent([(search, search_args | {"order_id": other}), (action, action_args | {"order_id": other})])
    checks, ref, ours = verdicts(run_agent, change_address, act)
    assert checks == {"actions": False, "searches": False, "outputs": True} and not ref
    assert ours["state"] is False and ours["searches"] is False


def test_the_right_write_plus_a_harmful_one_fails_both(run_agent, change_address):
    [(action, action_args)] = golden(change_address, "actions")
    cancel = {k: action_args[k] for k in ("platform", "shop_id", "user_id", "order_id")} | {"action": "取消"}
    act = agent(golden(change_address, "searches") + [(action, action_args), (action, cancel)])
    checks, ref, ours = verdicts(run_agent, change_address, act)
    assert checks == {"actions": False, "searches": True, "outputs": True} and not ref
    assert ours == {"state": False, "searches": True, "outputs": None}


def test_a_missing_search_fails_both(run_agent, change_address):
    checks, ref, ours = verdicts(run_agent, change_address, agent(golden(change_address, "actions")))
    assert checks == {"actions": True, "searches": False, "outputs": True} and not ref
    assert ours == {"state": True, "searches": False, "outputs": None}


def test_a_number_for_a_string_fails_the_reference_but_not_ours(run_agent, change_address):
    """The reference matches searches as exact JSON ("2" ≠ 2); we check against the tool's schema."""
    [(search, search_args)] = golden(change_address, "searches")
    as_number = search_args | {"order_id": int(search_args["order_id"])}
    act = agent([(search, as_number)] + golden(change_address, "actions"))
    checks, ref, ours = verdicts(run_agent, change_address, act)
    assert checks == {"actions": True, "searches": False, "outputs": True} and not ref
    assert ours == {"state": True, "searches": True, "outputs": None}


def test_argument_order_and_spacing_do_not_matter_to_either(run_agent, change_address):
    [(search, search_args)] = golden(change_address, "searches")
    reordered = json.dumps(dict(reversed(list(search_args.items()))), ensure_ascii=False, indent=2)
    checks, ref, ours = verdicts(run_agent, change_address,
                                 agent([(search, reordered)] + golden(change_address, "actions")))
    assert ref and ours == {"state": True, "searches": True, "outputs": None}


def test_without_golden_actions_writing_nothing_passes_the_write_check_in_both(run_agent, gift_question):
    """The reference's quirk: a do-nothing agent passes its action check. Ours agrees on the
    state (nothing was to be written); the task is lost on its required reads in both."""
    checks, ref, ours = verdicts(run_agent, gift_question, agent([]))
    assert checks == {"actions": True, "searches": False, "outputs": True} and not ref
    assert ours == {"state": True, "searches": False, "outputs": None}
    checks, ref, ours = verdicts(run_agent, gift_question, agent(golden(gift_question, "searches")))
    assert ref and ours == {"state": True, "searches": True, "outputs": None}


def test_one_call_satisfies_two_identical_golden_searches_only_in_the_reference(tmp_path, run_agent, gift_question):
    path = tmp_path / "twice.task.yaml"
    text = (TASKS / "039_get_gift_info.task.yaml").read_text(encoding="utf-8")
    first = text.index("  - get_gift_info_tool:")
    block = text[first:text.index("  - register_cashback_by_review_tool:")]
    path.write_text(text.replace(block, block + block, 1).replace("id: ecombench_039", "id: twice"), encoding="utf-8")
    prepared = load_prepared(path)
    assert len(prepared.task.expect.searches) == 3
    checks, ref, ours = verdicts(run_agent, prepared, agent(golden(gift_question, "searches")))
    assert ref and ours["searches"] is False


def test_outputs_are_exact_substrings_for_the_reference(run_agent, mini_task):
    """The mini cancel task wants 'cancelled'; "CANCELLED" is that phrase for us, not for the reference."""
    cancel = mini_task("cancel")
    calls = [("get_order", {"order_id": "100001"}), ("cancel_order", {"order_id": "100001"})]
    checks, ref, ours = verdicts(run_agent, cancel, agent(calls, "Your order 100001 is CANCELLED."))
    assert checks == {"actions": True, "searches": True, "outputs": False} and not ref
    assert ours["outputs"] is True
    checks, ref, _ = verdicts(run_agent, cancel, agent(calls, "Your order 100001 is cancelled."))
    assert ref


def test_normal_form_sorts_keys_and_lists():
    assert normalise({"b": [3, 1, 2], "a": [{"y": 1}, {"x": 2}]}) == {"a": [{"x": 2}, {"y": 1}], "b": [1, 2, 3]}
    assert list(normalise({"b": 1, "a": 2})) == ["a", "b"]


@pytest.mark.parametrize("scoring, outcome", [("default", "passed"), ("reference", "failed")])
def test_the_run_reports_both_rules_and_the_chosen_one_decides(mini_project, scoring, outcome):
    """solve_cancel sends the order id as a number and shouts CANCELLED: right for us, wrong for the reference."""
    result = mini_project.run("--agent=mini_agents:solve_cancel", "--repeat=2", f"--ecom-scoring={scoring}",
                              "--ecom-report=report.json", "tasks/cancel.task.yaml")
    result.assert_outcomes(**{outcome: 2})
    result.stdout.fnmatch_lines(["reference rules disagree on 2 trial(s) (cancel_kettle): "
                                 "default pass^1 1.000  pass^2 1.000; reference pass^1 0.000  pass^2 0.000"])
    report = mini_project.report("report.json")
    assert report["summary"]["rules"] == {"default": {"1": 1.0, "2": 1.0}, "reference": {"1": 0.0, "2": 0.0},
                                          "differ": 2, "differing_tasks": ["cancel_kettle"]}
    assert {json.dumps(t["verdicts"], sort_keys=True) for t in report["trials"]} == {json.dumps(
        {"default": True, "reference": False,
         "reference_checks": {"actions": True, "searches": False, "outputs": False}}, sort_keys=True)}

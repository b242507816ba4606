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
from pytest_ecom.store import Store
from pytest_ecom.scoring.reference import normalise
from pytest_ecom.runner.score import reference_trajectory_checks, score_trajectory, reward

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "tasks" / "ecom-bench"


def agent(calls: list[tuple[str, Any]], reply: str | list[str] = "好的，已为您处理。"):
    """Makes ``calls`` one per step (arguments sent as given: a dict or raw JSON text), then replies:
    ``reply``, or with a list its n-th text at the n-th reply (the last one from then on)."""
    replies = [reply] if isinstance(reply, str) else reply

    def act(messages: list[dict[str, Any]], tools: list[dict[str, Any]], context: Any) -> dict[str, Any]:
        made = sum(1 for m in messages if m["role"] == "assistant" and m.get("tool_calls"))
        if made < len(calls):
            name, args = calls[made]
            text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
            return {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"c{made}", "type": "function", "function": {"name": name, "arguments": text}}]}
        said = sum(1 for m in messages if m["role"] == "assistant" and not m.get("tool_calls"))
        return {"role": "assistant", "content": replies[min(said, len(replies) - 1)]}

    return act


def golden(prepared, kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [next(iter(call.items())) for call in getattr(prepared.task.expect, kind)]


def verdicts(run_agent, prepared, act) -> tuple[dict[str, bool], bool, dict[str, bool | None]]:
    """(reference checks, reference reward, our dimensions but procedure: the ones ECom-Bench has).

    These agents write on the first message without listing the change or hearing a yes, so our
    procedure dimension fails them all (see test_the_golden_trajectory_passes_both); the cases
    here compare the three dimensions the two rules share.
    """
    run = run_agent(prepared, act)
    assert run.error is None, run.error
    checks = reference_trajectory_checks(prepared, run.trajectory)
    ours = score_trajectory(prepared, run.trajectory)
    assert bool(reward(ours)) == all(d.passed is not False for d in ours)
    return checks, all(checks.values()), {d.name: d.passed for d in ours if d.name != "procedure"}


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
    # ... but the write was made on the first message, unconfirmed: our default rule fails it on procedure
    run = run_agent(change_address, act)
    (procedure,) = [d for d in score_trajectory(change_address, run.trajectory) if d.name == "procedure"]
    assert procedure.passed is False
    # the new address and phone come in the customer's second message; the agent wrote on the first
    assert [p.split(": call ")[0] for p in procedure.problems] == ["informed writes", "informed writes", "confirmed writes"]
    assert procedure.detail["writes"] == [{"call": 2, "tool": "manage_order_tool", "informed": False,
                                           "unseen": ["order_id", "phone_number"], "confirm": "missing"}]


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


def test_an_integer_id_in_a_write_is_refused_so_both_fail(run_agent, change_address):
    """ECom-Bench's server refuses 311199856607 for the string order_id, so the write never happens:
    the reference's action check fails (on our store as on the original), and so does our state."""
    [(action, action_args)] = golden(change_address, "actions")
    as_number = action_args | {"order_id": int(action_args["order_id"])}
    act = agent(golden(change_address, "searches") + [(action, as_number)])
    checks, ref, ours = verdicts(run_agent, change_address, act)
    assert checks == {"actions": False, "searches": True, "outputs": True} and not ref
    assert ours == {"state": False, "searches": True, "outputs": None}
    run = run_agent(change_address, act)
    [write] = [c for c in run.trajectory.calls if c.name == action]
    assert write.ok is False and write.arguments["order_id"] == int(action_args["order_id"])


def test_the_agent_reads_the_reference_s_refusal(run_agent, change_address):
    [(action, action_args)] = golden(change_address, "actions")
    run = run_agent(change_address, agent([(action, action_args | {"order_id": int(action_args["order_id"])})]))
    [answer] = [json.loads(m["content"]) for m in run.trajectory.messages if m["role"] == "tool"]
    assert answer == {"error": (
        f"Error executing tool {action}: 1 validation error for {action}Arguments\n"
        "order_id\n"
        f"  Input should be a valid string [type=string_type, input_value={action_args['order_id']}, "
        "input_type=int]")}


def test_an_integer_id_in_a_search_is_refused_so_both_fail(run_agent, change_address):
    """The reference matches searches as exact JSON ("2" ≠ 2); here the call is refused besides, so
    ours (which needs a successful call) fails too."""
    [(search, search_args)] = golden(change_address, "searches")
    as_number = search_args | {"order_id": int(search_args["order_id"])}
    act = agent([(search, as_number)] + golden(change_address, "actions"))
    checks, ref, ours = verdicts(run_agent, change_address, act)
    assert checks == {"actions": True, "searches": False, "outputs": True} and not ref
    assert ours == {"state": True, "searches": False, "outputs": None}


def test_a_number_for_a_string_fails_only_the_reference_on_our_own_store(run_agent):
    """home_appliances reads 100236 as "100236" (our lenient rule): the calls work, our verdict
    passes; the reference's exact JSON still misses the search."""
    blender = load_prepared(ROOT / "tasks" / "home_appliances" / "orders" / "cancel_unshipped_blender.task.yaml")
    calls = [("get_order", {"order_id": 100236}), ("cancel_order", {"order_id": 100236, "reason": "changed_mind"})]
    checks, ref, ours = verdicts(run_agent, blender, agent(calls, "Your order 100236 is cancelled."))
    assert checks == {"actions": True, "searches": False, "outputs": True} and not ref
    assert ours == {"state": True, "searches": True, "outputs": True}
    run = run_agent(blender, agent(calls, "Your order 100236 is cancelled."))
    assert [c.arguments["order_id"] for c in run.trajectory.calls] == ["100236", "100236"]


def test_an_extra_key_in_a_write_is_ignored_so_both_pass(run_agent, change_address):
    """ECom-Bench's server drops a key the tool does not take and runs the call."""
    [(action, action_args)] = golden(change_address, "actions")
    act = agent(golden(change_address, "searches") + [(action, action_args | {"reason": "搬家了"})])
    checks, ref, ours = verdicts(run_agent, change_address, act)
    assert checks == {"actions": True, "searches": True, "outputs": True} and ref
    assert ours == {"state": True, "searches": True, "outputs": None}
    run = run_agent(change_address, act)
    [write] = [c for c in run.trajectory.calls if c.name == action]
    assert write.ok and write.arguments == action_args and write.sent == action_args | {"reason": "搬家了"}


def test_an_extra_key_in_a_search_runs_but_misses_the_reference_s_exact_match(run_agent, change_address):
    """The call works (the key is dropped) and our check compares what ran; the reference compares
    the JSON the agent sent, extra key included."""
    [(search, search_args)] = golden(change_address, "searches")
    act = agent([(search, search_args | {"detail": True})] + golden(change_address, "actions"))
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
    state (nothing was to be written); the task is lost on its required reads in both. Our outputs
    check is its forbidden claims (the refused cashback said to be registered): none was said."""
    checks, ref, ours = verdicts(run_agent, gift_question, agent([]))
    assert checks == {"actions": True, "searches": False, "outputs": True} and not ref
    assert ours == {"state": True, "searches": False, "outputs": True}
    checks, ref, ours = verdicts(run_agent, gift_question, agent(golden(gift_question, "searches")))
    assert ref and ours == {"state": True, "searches": True, "outputs": True}


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


def test_a_phrase_split_across_two_replies_counts_for_the_reference(run_agent):
    """The reference joins the replies with nothing between them: "…金" + "属…" holds 金属 (task 009's
    required phrase). Ours reads each reply apart (joined by a space), so it misses it."""
    metal = load_prepared(TASKS / "009_manage_urgent.task.yaml")
    assert metal.task.expect.outputs == ["金属"]
    calls = golden(metal, "searches") + golden(metal, "actions")
    checks, ref, ours = verdicts(run_agent, metal, agent(calls, ["漏水可能是内部金", "属管件老化所致。", "好的。"]))
    assert checks == {"actions": True, "searches": True, "outputs": True} and ref
    assert ours == {"state": True, "searches": True, "outputs": False}
    _, ref, ours = verdicts(run_agent, metal, agent(calls, ["漏水可能是内部", "金属管件老化所致。", "好的。"]))
    assert ref and ours["outputs"] is True
    checks, ref, _ = verdicts(run_agent, metal, agent(calls, ["漏水可能是内部", "管件老化所致。"]))
    assert checks["outputs"] is False and not ref


def test_the_reference_joins_replies_with_nothing_between():
    from pytest_ecom.scoring.reference import reference_checks

    store = Store({})
    assert reference_checks(store, store, [], ["ab"], [], ["a", "b"])["outputs"] is True
    assert reference_checks(store, store, [], ["a\nb"], [], ["a", "b"])["outputs"] is False
    assert reference_checks(store, store, [], ["a b"], [], ["a", "b"])["outputs"] is False


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
                                          "without_procedure": {"1": 1.0, "2": 1.0}, "procedure_only_failures": 0,
                                          "differ": 2, "differing_tasks": ["cancel_kettle"]}
    assert {json.dumps(t["verdicts"], sort_keys=True) for t in report["trials"]} == {json.dumps(
        {"default": True, "reference": False, "without_procedure": True,
         "reference_checks": {"actions": True, "searches": False, "outputs": False}}, sort_keys=True)}

"""The three scoring dimensions (state × searches × outputs), each judged by real trials of the mini tasks."""

from __future__ import annotations

import pytest

from pytest_ecom.scoring import check_outputs, check_searches, check_state
from pytest_ecom.trajectory import MadeCall
from pytest_ecom.runner.score import reward
from pytest_ecom.spec.models import StateAssertion
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet, tool


@pytest.fixture
def cancel(mini_task):
    return mini_task("cancel")


# -- whole trials ------------------------------------------------------------------


def test_the_right_trajectory_passes_every_dimension(cancel, score, mini_agents):
    # order id given as a number and the phrase in capitals: judged by meaning, not spelling
    result = score(cancel, mini_agents.solve_cancel)
    assert {n: d.passed for n, d in result.dims.items()} == {"state": True, "searches": True, "outputs": True,
                                                             "procedure": True}
    assert result.reward == 1


def test_do_nothing_agent_fails_every_dimension(cancel, score, mini_agents):
    result = score(cancel, mini_agents.do_nothing)
    dims = result.dims
    assert result.reward == 0
    assert dims["state"].passed is False
    assert dims["state"].problems == [
        'orders/100001: history: expected [{"event": "paid"}, {"event": "cancelled", "reason": "no_longer_needed"}], '
        'got [{"event": "paid"}]; status: expected "cancelled", got "paid"'
    ]
    assert dims["searches"].passed is False
    assert dims["searches"].problems == ['missing call: get_order(order_id="100001")']
    assert dims["outputs"].passed is False
    assert dims["outputs"].problems == ["missing phrase: 'cancelled'"]


def test_right_tools_on_the_wrong_order_fail_state_and_searches(cancel, score, mini_agents):
    result = score(cancel, mini_agents.wrong_order)
    dims = result.dims
    assert result.reward == 0
    assert dims["state"].passed is False
    assert dims["state"].detail["records"] == ["orders/100001", "orders/100002"]
    first, second = dims["state"].problems
    assert first.startswith("orders/100001:") and 'status: expected "cancelled", got "paid"' in first
    assert second.startswith("orders/100002:") and 'status: expected "paid", got "cancelled"' in second
    # it did call get_order, but on 100002
    assert dims["searches"].problems == ['missing call: get_order(order_id="100001")']
    # it said the phrase: the dimensions are judged independently
    assert dims["outputs"].passed is True


def test_an_extra_harmful_write_fails_state_alone(cancel, score, mini_agents):
    result = score(cancel, mini_agents.harmful)
    dims = result.dims
    assert dims["searches"].passed is True and dims["outputs"].passed is True
    assert dims["state"].passed is False
    assert result.reward == 0
    assert dims["state"].problems == [  # the fields that differ, not the whole record
        'orders/100002: shipping.address.city: expected "Springfield", got "Void"; '
        'shipping.address.street: expected "1 Main St", got "666 Nowhere"'
    ]
    assert dims["state"].detail["records"] == ["orders/100002"]
    assert dims["state"].detail["diff"] == [  # the report's diff: every differing leaf, expected state first
        {"record": "orders/100002", "path": "shipping.address.city", "expected": "Springfield", "got": "Void"},
        {"record": "orders/100002", "path": "shipping.address.street", "expected": "1 Main St", "got": "666 Nowhere"}]


def test_a_read_only_task_fails_state_on_any_write(mini_task, score, mini_agents):
    status = mini_task("status")
    assert score(status, mini_agents.do_nothing).dims["state"].passed is True
    vandal = mini_agents.Scripted([("get_order", {"order_id": "100003"}), ("cancel_order", {"order_id": "100001"})],
                                  "It shipped: tracking TRK42.")
    dims = score(status, vandal).dims
    assert dims["searches"].passed and dims["outputs"].passed
    assert dims["state"].passed is False
    assert dims["state"].problems[0].startswith("orders/100001: ")


def test_a_trial_does_not_change_the_expected_state_or_the_next_trial(cancel, score, mini_agents):
    before = cancel.expected.snapshot()
    score(cancel, mini_agents.wrong_order)
    assert cancel.expected.snapshot() == before
    assert score(cancel, mini_agents.solve_cancel, trial=2).reward == 1
    assert cancel.domain.base["orders"]["100002"]["status"] == "paid"


# -- searches ----------------------------------------------------------------------


def test_identical_required_searches_need_distinct_calls(mini_domain):
    required = [("get_order", {"order_id": "100001"})] * 2
    once = [MadeCall("get_order", {"order_id": "100001"}, True)]
    missing = check_searches(required, once, mini_domain.tools)
    assert missing.passed is False
    assert missing.problems == ['missing call: get_order(order_id="100001")']
    assert check_searches(required, once * 2, mini_domain.tools).passed is True


def test_failed_calls_do_not_count_as_searches(mini_domain):
    made = [MadeCall("get_order", {"order_id": "100001"}, False)]
    assert check_searches([("get_order", {"order_id": "100001"})], made, mini_domain.tools).passed is False


def test_required_search_arguments_are_normalised_like_the_agents(mini_domain):
    made = [MadeCall("get_order", {"order_id": "100001"}, True)]
    assert check_searches([("get_order", {"order_id": 100001})], made, mini_domain.tools).passed is True
    other = [MadeCall("get_order", {"order_id": "100002"}, True), MadeCall("get_user", {"user_id": "100001"}, True)]
    assert check_searches([("get_order", {"order_id": 100001})], other, mini_domain.tools).passed is False


def test_no_required_search_means_the_dimension_is_not_checked(mini_domain):
    assert check_searches([], [], mini_domain.tools).passed is None


# -- outputs -----------------------------------------------------------------------


def test_output_phrases_are_case_insensitive_and_space_tolerant():
    replies = ["Your refund arrives in 5-7 Business\n Days.", "Order  CANCELLED."]
    assert check_outputs(["5-7 business days", "order cancelled"], replies).passed is True


def test_each_missing_phrase_is_listed():
    dim = check_outputs(["refund", "5-7 business days", "sorry"], ["Sorry, no refund."])
    assert dim.passed is False
    assert dim.problems == ["missing phrase: '5-7 business days'"]


def test_no_required_phrase_means_the_dimension_is_not_checked():
    assert check_outputs([], ["anything"]).passed is None


# -- explicit state assertions and the reward -----------------------------------------


def test_state_assertions_check_the_final_store(cancel):
    final = cancel.domain.new_store()
    final.edit("orders", "100001")["status"] = "cancelled"
    dim = check_state(final, final, [
        StateAssertion(table="orders", key="100001", match={"status": "cancelled"}),
        StateAssertion(table="orders", key="100002", match={"status": "cancelled", "user_id": "u1"}),
        StateAssertion(table="orders", key="100003", exists=False),
        StateAssertion(table="orders", key="999999", match={}),
    ])
    assert dim.passed is False
    assert dim.problems == [
        'orders/100002: expected {"status": "cancelled"}, got {"status": "paid"}',
        "orders/100003: should not exist",
        "orders/999999: should exist",
    ]


def test_reward_is_the_product_of_the_checked_dimensions(mini_domain):
    ok = check_outputs(["a"], ["a"])
    unchecked = check_searches([], [], mini_domain.tools)
    bad = check_outputs(["b"], ["a"])
    assert reward([ok, unchecked]) == 1
    assert reward([ok, unchecked, bad]) == 0


def test_a_set_like_argument_matches_in_any_order():
    @tool(writes=False, parameters={"properties": {"statuses": {
        "type": "array", "items": {"type": "string"}, "uniqueItems": True}}, "required": ["statuses"]})
    def find_orders(store, statuses):
        """Orders in any of these statuses."""
        return []

    tools = ToolSet([find_orders])
    result = tools.call(Store({}), "find_orders", {"statuses": ["shipped", "paid"]})
    made = [MadeCall(result.name, result.arguments, result.ok)]
    assert check_searches([("find_orders", {"statuses": ["paid", "shipped"]})], made, tools).passed is True
    assert check_searches([("find_orders", {"statuses": ["paid"]})], made, tools).passed is False

"""The procedure dimension: informed writes, confirmed writes, the tool budget (docs/procedure.md).

Each agent here is written only against the agent contract, as a user would write it; the
mini store's ``cancel_order`` is made consequential by the project's conftest where a test needs it.
"""

from __future__ import annotations

import json
import pytest

from pytest_ecom.domains import Domain
from pytest_ecom.scoring.procedure import ProcedureRules, check_procedure
from pytest_ecom.trajectory import MadeCall

AGENTS = '''
import json
from pytest_ecom import register_agent

def _call(name, args, n):
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": f"c{n}", "type": "function",
                            "function": {"name": name, "arguments": json.dumps(args)}}]}

def _steps(messages):
    """Tool-call steps since the customer's last message, and how many customer messages so far."""
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    since = messages[users[-1] + 1:]
    return sum(1 for m in since if m["role"] == "assistant" and m.get("tool_calls")), len(users)

@register_agent("cancels_at_once")
def cancels_at_once(messages, tools, context):
    """Cancels order 100001 on the first message, before anyone said which order."""
    steps, turn = _steps(messages)
    if turn == 1 and steps == 0:
        return _call("cancel_order", {"order_id": "100001"}, 0)
    return "Your order 100001 has been cancelled."

@register_agent("reads_then_cancels")
def reads_then_cancels(messages, tools, context):
    """Reads the order the customer named and cancels it in the same turn, asking nobody."""
    steps, turn = _steps(messages)
    if turn == 1 and steps == 0:
        return _call("get_order", {"order_id": "100001"}, 0)
    if turn == 1 and steps == 1:
        return _call("cancel_order", {"order_id": "100001"}, 1)
    return "Your order 100001 is cancelled."

@register_agent("asks_first")
def asks_first(messages, tools, context):
    """Reads, lists the change and asks; cancels only once the customer has answered."""
    steps, turn = _steps(messages)
    if turn == 1 and steps == 0:
        return _call("get_order", {"order_id": "100001"}, 0)
    if turn == 1:
        return "I can cancel order 100001 (the kettle) for you. Shall I go ahead?"
    if turn == 2 and steps == 0:
        return _call("cancel_order", {"order_id": "100001"}, 1)
    return "Done: your order 100001 is cancelled."

@register_agent("asks_vaguely")
def asks_vaguely(messages, tools, context):
    """Asks a yes/no question that does not say which change, then cancels."""
    steps, turn = _steps(messages)
    if turn == 1 and steps == 0:
        return _call("get_order", {"order_id": "100001"}, 0)
    if turn == 1:
        return "Shall I go ahead?"
    if turn == 2 and steps == 0:
        return _call("cancel_order", {"order_id": "100001"}, 1)
    return "Done: your order 100001 is cancelled."

@register_agent("brute_force")
def brute_force(messages, tools, context):
    """Guesses order ids, one failing read after another."""
    steps, turn = _steps(messages)
    return _call("get_order", {"order_id": str(900000 + steps)}, steps)
'''

CONSEQUENTIAL_CANCEL = '''
from pytest_ecom.domains import DomainSpec
register_domain(DomainSpec("mini", DOMAIN.tools, consequential=frozenset({"cancel_order"})))
'''

# The customer names the order only in its second message.
CANCEL_LATER = """\
schema_version: 1
id: cancel_later
scenario: cancel_before_shipping
store: mini
customer:
  persona: calm_clear
  goal: Cancel order 100001 (a kettle); give its number when asked.
  script:
    - "Hi, I'd like to cancel an order."
    - "It's order 100001."
    - "Yes, please cancel it."
agent:
  user_id: u1
expect:
  actions:
    - cancel_order: {order_id: "100001"}
  outputs:
    - "cancelled"
"""

OPT_OUT = """\
schema_version: 1
id: cancel_standing_order
scenario: cancel_before_shipping
store: mini
customer:
  persona: calm_clear
  goal: Your standing instruction is to cancel order 100001 whenever you write about it.
  script:
    - "Cancel order 100001, as per my standing instruction."
expect:
  searches:
    - get_order: {order_id: "100001"}
  actions:
    - cancel_order: {order_id: "100001"}
      confirm: false
      confirm_reason: the customer's first message is the instruction itself; there is nothing to ask
  outputs:
    - "cancelled"
"""


@pytest.fixture
def project(mini_project):
    mini_project.add_conftest(AGENTS)
    return mini_project


def _trial(project, report="r.json"):
    (trial,) = project.report(report)["trials"]
    return trial


def test_a_write_before_the_id_was_given_fails_procedure(project):
    project.write("tasks/cancel_later.task.yaml", CANCEL_LATER)
    result = project.run("tasks/cancel_later.task.yaml", "--agent=cancels_at_once", "--ecom-report=r.json",
                         "--ecom-html=r.html")
    result.assert_outcomes(failed=1)
    trial = _trial(project)
    dims = trial["dimensions"]
    # the store ends right and the phrase is said: only the order of events is wrong
    assert (dims["state"]["passed"], dims["outputs"]["passed"], dims["procedure"]["passed"]) == (True, True, False)
    (problem,) = dims["procedure"]["problems"]
    assert problem.startswith("informed writes: call 1 cancel_order(order_id=\"100001\"") and "order_id='100001'" in problem
    assert dims["procedure"]["detail"]["writes"] == [
        {"call": 1, "tool": "cancel_order", "informed": False, "unseen": ["order_id"], "confirm": "not needed"}]
    # the three ECom-Bench dimensions alone (and the reference rule) would have passed it
    assert trial["verdicts"]["without_procedure"] is True and trial["verdicts"]["reference"] is True
    assert "informed writes: call 1" in project.output(result)  # the failure text says which rule
    page = (project.path / "r.html").read_text(encoding="utf-8")  # the HTML report shows which write broke which rule
    assert "<code>cancel_order</code>" in page and "unseen: order_id" in page
    assert "tool calls <b>1 / golden 1</b>" in page and "turns <b>3 / golden 3</b>" in page
    assert "State × searches × outputs alone" in page and "1 trial(s) failed on procedure alone" in page


def test_a_write_without_the_confirming_turn_fails_procedure(project):
    project.add_conftest(CONSEQUENTIAL_CANCEL)
    result = project.run("-k", "cancel_kettle", "--agent=reads_then_cancels", "--ecom-report=r.json")
    result.assert_outcomes(failed=1)
    procedure = _trial(project)["dimensions"]["procedure"]
    assert procedure["passed"] is False
    (problem,) = procedure["problems"]
    assert problem == ('confirmed writes: call 2 cancel_order(order_id="100001", reason="no_longer_needed") changed '
                       "the store without the customer's confirmation: the customer had not answered any reply "
                       "of the agent")
    assert procedure["detail"]["writes"][0]["confirm"] == "missing"


def test_a_write_after_the_customer_answered_the_listed_change_passes(project):
    project.add_conftest(CONSEQUENTIAL_CANCEL)
    result = project.run("-k", "cancel_kettle", "--agent=asks_first", "--repeat=2", "--ecom-report=r.json")
    result.assert_outcomes(passed=2)
    trial = project.report("r.json")["trials"][0]
    assert trial["dimensions"]["procedure"]["detail"]["writes"][0]["confirm"] == "confirmed"


def test_a_question_that_does_not_say_which_change_is_no_confirmation(project):
    project.add_conftest(CONSEQUENTIAL_CANCEL)
    result = project.run("-k", "cancel_kettle", "--agent=asks_vaguely", "--ecom-report=r.json")
    result.assert_outcomes(failed=1)
    (problem,) = _trial(project)["dimensions"]["procedure"]["problems"]
    assert problem.endswith("the reply the customer last answered did not describe it (name its values)")


def test_going_over_the_tool_budget_ends_the_trial_as_a_failure(project):
    result = project.run("-k", "cancel_kettle", "--agent=brute_force", "--ecom-report=r.json")
    result.assert_outcomes(failed=1)
    trial = _trial(project)
    # the golden path: one search and one action; the default budget is 3 × 2 + 10
    assert trial["golden"] == {"tool_calls": 2, "turns": 2, "max_tool_calls": 16}
    assert (trial["end_reason"], trial["tool_calls"], trial["failed_calls"], trial["turns"]) == ("tool_budget", 16, 16, 1)
    procedure = trial["dimensions"]["procedure"]
    assert procedure["passed"] is False
    assert procedure["problems"] == ["went over the tool budget: asked for a call after 16 "
                                     "(limits.max_tool_calls: 16; 16 of them failed)"]
    assert "ended by tool_budget" in project.output(result)


def test_a_task_sets_its_own_tool_budget(project):
    text = project.task_text("cancel").replace("agent:\n", "limits:\n  max_tool_calls: 3\nagent:\n")
    project.write("tasks/cancel.task.yaml", text)
    project.run("-k", "cancel_kettle", "--agent=brute_force", "--ecom-report=r.json").assert_outcomes(failed=1)
    trial = _trial(project)
    assert (trial["end_reason"], trial["tool_calls"], trial["golden"]["max_tool_calls"]) == ("tool_budget", 3, 3)


def test_a_write_opted_out_with_a_reason_needs_no_confirming_turn(project):
    project.add_conftest(CONSEQUENTIAL_CANCEL)
    project.write("tasks/opt_out.task.yaml", OPT_OUT)
    result = project.run("tasks/opt_out.task.yaml", "--agent=reads_then_cancels", "--ecom-report=r.json")
    result.assert_outcomes(passed=1)
    assert _trial(project)["dimensions"]["procedure"]["detail"]["writes"][0]["confirm"] == "opted out"
    # the oracle, too, makes that write without asking (the script has no line to answer a question)
    project.run("tasks/opt_out.task.yaml", "--agent=oracle").assert_outcomes(passed=1)


def test_opting_out_without_a_reason_is_a_collection_error(project):
    project.add_conftest(CONSEQUENTIAL_CANCEL)
    path = project.write("tasks/opt_out.task.yaml", OPT_OUT.replace(
        "      confirm_reason: the customer's first message is the instruction itself; there is nothing to ask\n", ""))
    result = project.run("tasks/opt_out.task.yaml", "--agent=oracle")
    out = project.output(result)
    assert "`confirm: false` needs a `confirm_reason`" in out and f"{path.name}:" in out, out
    assert result.ret != 0


def test_opting_out_a_tool_that_needs_no_confirmation_is_a_collection_error(project):
    project.write("tasks/opt_out.task.yaml", OPT_OUT)  # without the conftest, cancel_order is not consequential
    result = project.run("tasks/opt_out.task.yaml", "--agent=oracle")
    out = project.output(result)
    assert "cancel_order needs no confirmation in store 'mini'" in out and "opt_out.task.yaml:" in out, out


def test_the_oracle_lists_the_change_and_waits_for_the_answer(project):
    project.add_conftest(CONSEQUENTIAL_CANCEL)
    result = project.run("-k", "cancel_kettle", "--agent=oracle", "--ecom-report=r.json", "--ecom-log=r.jsonl")
    result.assert_outcomes(passed=1)
    procedure = _trial(project)["dimensions"]["procedure"]
    assert procedure == {"passed": True, "detail": {
        "writes": [{"call": 2, "tool": "cancel_order", "informed": True, "unseen": [], "confirm": "confirmed"}],
        "tool_calls": 2, "failed_calls": 0, "max_tool_calls": 16}}


# -- the check alone, on a hand-built trajectory (what a re-score of a logged trial reads) ------------


def _rules(domain: Domain) -> ProcedureRules:
    return ProcedureRules(domain.tools, frozenset({"cancel_order"}), (), 16)


def _assistant_calls(*calls):
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, (n, a) in enumerate(calls)]}


def test_a_value_shown_by_a_call_in_the_same_step_was_not_seen_yet(mini_domain):
    rules, domain = _rules(mini_domain), mini_domain
    order = {"order_id": "100001"}
    messages = [
        {"role": "system", "content": "policy"}, {"role": "user", "content": "Cancel my kettle order please."},
        {"role": "assistant", "content": "I can cancel order 100001. Shall I?"}, {"role": "user", "content": "Yes."},
        # one step: the agent cannot have read get_order's result before writing
        _assistant_calls(("get_order", order), ("cancel_order", order)),
        {"role": "tool", "tool_call_id": "c0", "name": "get_order", "content": '{"order_id": "100001"}'},
        {"role": "tool", "tool_call_id": "c1", "name": "cancel_order", "content": "{}"},
    ]
    calls = [MadeCall("get_order", order, True), MadeCall("cancel_order", {**order, "reason": "no_longer_needed"}, True)]
    found = check_procedure(messages, calls, "customer_stop", rules, domain.new_store())
    assert found.passed is False
    assert found.detail["writes"] == [
        {"call": 2, "tool": "cancel_order", "informed": False, "unseen": ["order_id"], "confirm": "confirmed"}]


def test_a_refused_call_is_no_write(mini_domain):
    rules, domain = _rules(mini_domain), mini_domain
    messages = [{"role": "system", "content": ""}, {"role": "user", "content": "hi"},
                _assistant_calls(("cancel_order", {"order_id": "100003"}))]
    refused = [MadeCall("cancel_order", {"order_id": "100003", "reason": "no_longer_needed"}, False)]
    found = check_procedure(messages, refused, "customer_stop", rules, domain.new_store())
    assert (found.passed, found.detail["writes"], found.detail["failed_calls"]) == (True, [], 1)

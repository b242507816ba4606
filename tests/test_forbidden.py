"""Phrases that can't be faked: ``expect.forbidden`` and a keyword-stuffing agent.

The stuffing agent makes a task's required reads, then answers with every required phrase of
every task of the store, in the hope that the right ones are among them. Forbidden phrases are
the claims a refusal or a read-only answer must not make; the stuffer makes them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom import run_trial
from pytest_ecom.agents import AgentSpec
from pytest_ecom.agents.oracle import OracleAgent
from pytest_ecom.prepare.task import load_prepared
from pytest_ecom.scoring.checks import check_outputs
from pytest_ecom.spec import load_task

ROOT = Path(__file__).resolve().parents[1]
TASKS = ROOT / "tasks"


def test_a_forbidden_phrase_said_fails_outputs_and_is_named():
    dim = check_outputs(["$3"], ["It would be $3.", "Your cashback HAS BEEN   registered."], ["has been registered"])
    assert dim.passed is False
    assert dim.problems == ["forbidden phrase said: 'has been registered'"]
    assert dim.detail == {"forbidden_said": ["has been registered"]}


def test_a_forbidden_phrase_is_matched_at_word_and_number_edges():
    """"$10" is a wrong amount; "$100" (the threshold a correct agent quotes) is not "$10"."""
    assert check_outputs(["$3"], ["$3, since the order is under $100."], ["$10"]).passed is True
    assert check_outputs(["$3"], ["$3 or $10."], ["$10"]).passed is False
    assert check_outputs(["$3"], ["$3, and $10.50 for express."], ["$10"]).passed is True  # a decimal goes on
    assert check_outputs(["$3"], ["$3; refunds over $10, please call."], ["$10"]).passed is False  # a comma ends it
    assert check_outputs([], ["Your invoice is INV-100208."], ["INV-"]).passed is False  # a prefix, on purpose
    assert check_outputs([], ["返现已为您登记。"], ["已为您登记"]).passed is False  # CJK: no word edges
    assert check_outputs([], ["Nothing was said."], ["cancelled"]).passed is True  # checked, and passed


REFUSED_CANCEL = """\
schema_version: 1
id: cancel_shipped_refused
scenario: cancel_after_shipping
description: Order 100003 has shipped; it cannot be cancelled any more.
store: mini
customer:
  persona: calm_clear
  goal: Cancel order 100003.
  script:
    - "Please cancel order 100003."
expect:
  searches:
    - get_order: {order_id: "100003"}
  outputs:
    - "shipped"
  forbidden:
    - "has been cancelled"
"""

AGENTS = """\
import json

def _agent(reply):
    def agent(messages, tools, context):
        if not any(m["role"] == "tool" for m in messages):
            args = json.dumps({"order_id": "100003"})
            return {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "get_order", "arguments": args}}]}
        return {"role": "assistant", "content": reply}
    return agent

# every phrase the store's tasks require, whatever the question
stuffer = _agent("It has shipped. Your order has been cancelled. TRK42")
# the refusal, in words that share "cancelled" with the false claim
honest = _agent("Sorry, order 100003 has shipped, so it can no longer be cancelled.")
"""


def test_a_stuffing_reply_fails_outputs_through_a_forbidden_phrase(mini_project):
    mini_project.write("tasks/refused.task.yaml", REFUSED_CANCEL)
    mini_project.write("refusal_agents.py", AGENTS)
    result = mini_project.run("--agent=refusal_agents:stuffer", "tasks/refused.task.yaml", "--ecom-report=r.json")
    result.assert_outcomes(failed=1)
    assert "forbidden phrase said: 'has been cancelled'" in mini_project.output(result)
    [trial] = mini_project.report("r.json")["trials"]
    assert trial["dimensions"]["searches"]["passed"] is True  # it read the right order ...
    assert trial["dimensions"]["outputs"] == {"passed": False,
                                              "problems": ["forbidden phrase said: 'has been cancelled'"],
                                              "detail": {"forbidden_said": ["has been cancelled"]}}
    assert trial["verdicts"]["reference"] is True  # ECom-Bench's rule knows no forbidden phrases
    result = mini_project.run("--agent=refusal_agents:honest", "tasks/refused.task.yaml")
    result.assert_outcomes(passed=1)


def test_the_html_report_shows_the_forbidden_phrases_said(mini_project):
    mini_project.write("tasks/refused.task.yaml", REFUSED_CANCEL.replace('- "has been cancelled"',
                                                                         '- "has been <cancelled>"'))
    mini_project.write("refusal_agents.py", AGENTS.replace("has been cancelled", "HAS BEEN   <cancelled>"))
    mini_project.run("--agent=refusal_agents:stuffer", "tasks/refused.task.yaml", "--ecom-html=r.html")
    page = (mini_project.path / "r.html").read_text(encoding="utf-8")
    assert "said 1 forbidden" in page  # on the trial's line
    assert "<b>forbidden phrases said</b>: <mark>has been &lt;cancelled&gt;</mark>" in page  # its outputs row
    # and where the agent said it, as it said it, escaped
    assert ('Your order <mark class="forbidden" title="forbidden phrase">HAS BEEN   &lt;cancelled&gt;</mark>.'
            in page)
    assert page.count('<mark class="forbidden"') == 1  # the customer's words are never marked


def _store_phrases(store: str) -> list[str]:
    return sorted({p for path in TASKS.rglob("*.task.yaml") if (t := load_task(path)).store == store
                   for p in t.expect.outputs})


def _stuffer(phrases: list[str]) -> AgentSpec:
    """The golden reads (the stuffer is told which: stronger than guessing ids), then every phrase."""
    return AgentSpec("stuffer", lambda context, task: OracleAgent(list(task.searches), [], phrases),
                     factory=True, needs_task=True)


def _no_write_tasks() -> list[Path]:
    return sorted(p for p in TASKS.rglob("*.task.yaml") if not load_task(p).expect.actions)


# The shipped tasks whose right answer is "no": the stuffer must fail each of them.
REFUSALS = ["cashback_before_review_refused", "washer_for_dishwasher_refused", "company_invoice_before_delivery",
            "invoice_already_issued", "expedite_already_expedited", "microwave_out_of_warranty_if_free",
            "late_no_reason_return"]


def test_every_shipped_task_without_golden_writes_forbids_something():
    missing = [p.name for p in _no_write_tasks() if not load_task(p).expect.forbidden]
    assert missing == []


def test_the_stuffing_agent_fails_the_refusal_tasks_on_what_it_claims() -> None:
    outcomes: dict[str, dict[str, Any]] = {}
    for path in _no_write_tasks():
        prepared = load_prepared(path)
        stuffer = _stuffer(_store_phrases(prepared.task.store))
        record = asyncio.run(run_trial(prepared, stuffer))
        outcomes[prepared.id] = record
    for task in REFUSALS:
        record = outcomes[task]
        assert record["outcome"] == "fail", task
        assert record["dimensions"]["outputs"]["detail"]["forbidden_said"], task
    failed = sorted(t for t, r in outcomes.items() if r["outcome"] == "fail")
    # It also fails the read-only answers where a phrase of another task is a wrong answer here
    # (another customer's tracking number, another product's discount code).
    assert {"where_is_my_dishwasher", "compare_robot_vacuums", "gold_washer_offer"} <= set(failed)
    # and the oracle, which says only the task's own phrases, passes them all
    for path in _no_write_tasks():
        assert asyncio.run(run_trial(path, "oracle"))["outcome"] == "pass", path

"""Re-running a trial whose simulated customer was at fault (--ecom-customer-retries), and the
customer's figures in the record, the JSON summary and the terminal.

The stub (tests/openai_stub.py) plays the customer chosen by a word in the model name;
``once`` in the name makes it go wrong in its first conversation only (a trial's first attempt).
"""

from __future__ import annotations

import pytest

from pytest_ecom.runner.trial import customer_seed, trial_seed
from test_run import summary_block

TRIAL_SEED = trial_seed("order_status", 1)
CUE = "[The chat window with the shop's customer service has opened. Write your first message.]"


def _run(mini_project, stub, customer: str, *args: str, agent: str = "oracle"):
    stub.requests.clear()
    extra = ("--agent-model=openai/stub-agent", f"--agent-base-url={stub.base_url}") if agent == "litellm" else ()
    return mini_project.run(f"--agent={agent}", f"--user-model=openai/{customer}", f"--user-base-url={stub.base_url}",
                            "-k", "order_status", "--ecom-report=report.json", *extra, *args)


def _customer_line(result) -> list[str]:
    return [line for line in summary_block(result) if line.startswith("customer faults:")]


def test_the_derived_seeds():
    assert customer_seed("order_status", 1, 0) == TRIAL_SEED  # attempt 0: runs without faults are unchanged
    seeds = {customer_seed("order_status", 1, a) for a in range(4)} | {customer_seed("order_status", 2, 1)}
    assert len(seeds) == 5 and all(0 <= s < 2**63 for s in seeds)


def test_a_customer_at_fault_once_is_retried_and_only_the_last_attempt_counts(mini_project, stub):
    result = _run(mini_project, stub, "customer-once-cue")
    result.assert_outcomes(passed=1)  # the second attempt's conversation is the one scored
    [trial] = mini_project.report()["trials"]
    assert trial["outcome"] == "pass" and trial["error"] is None and trial["end_reason"] == "customer_stop"
    assert trial["seed"] == TRIAL_SEED  # the trial's (and its agent's) seed stays
    retried_seed = customer_seed("order_status", 1, 1)
    assert trial["customer_attempts"] == [{
        "attempt": 0, "seed": TRIAL_SEED, "fault": "harness text",
        "evidence": "the customer repeated the harness's own cue or instructions to it instead of writing a message",
        "message": CUE, "turns": 0, "tool_calls": 0}]
    assert trial["customer"] == {"attempt": 1, "seed": retried_seed, "temperature": 0.7, "fault": None,
                                 "messages": 3, "unoffered_confirmations": []}
    chats = stub.chat_requests("customer-once-cue")
    assert [c["seed"] for c in chats] == [TRIAL_SEED] + [retried_seed] * 3  # the seeds the model was sent
    # a re-run samples: at temperature 0 a server ignores the seed and would repeat the fault
    assert [c["temperature"] for c in chats] == [0] + [0.7] * 3
    assert trial["tokens"]["customer"]["calls"] == 4  # the faulty attempt's call is paid for too
    customer = mini_project.report()["summary"]["customer"]
    assert customer == {
        "conversations": 2, "trials": 1, "faults": 1, "fault_rate": 0.5, "faults_by_kind": {"harness text": 1},
        "retried": 1, "recovered": 1, "turns": {"mean": 2.0, "max": 2},
        "unoffered_confirmations": {"messages": 0, "trials": 0, "rate": 0.0},
        "by_task": {"order_status": {"conversations": 2, "faults": 1, "fault_rate": 0.5}},
        "by_persona": {"calm_clear": {"conversations": 2, "faults": 1, "fault_rate": 0.5}},
    }
    assert _customer_line(result) == ["customer faults: 1 in 2 conversations (harness text ×1); 1 trial(s) re-run, "
                                      "1 recovered; by task: order_status 1/2; by persona: calm_clear 1/2"]


def test_a_customer_that_keeps_failing_leaves_a_customer_error_with_every_attempt(mini_project, stub):
    result = _run(mini_project, stub, "customer-cue", "--ecom-customer-retries=2")
    result.assert_outcomes(errors=1)
    [trial] = mini_project.report()["trials"]
    assert trial["error"]["source"] == "customer"
    assert trial["error"]["message"].startswith("customer fault (harness text): ")
    assert trial["transcript"][-1] == {"role": "user", "content": CUE, "fault": "harness text",
                                       "t_ms": trial["transcript"][-1]["t_ms"]}  # the last attempt's evidence
    attempts = trial["customer_attempts"]
    assert [(a["attempt"], a["seed"], a["fault"], a["message"]) for a in attempts] == [
        (0, TRIAL_SEED, "harness text", CUE), (1, customer_seed("order_status", 1, 1), "harness text", CUE)]
    assert trial["customer"]["attempt"] == 2 and trial["customer"]["fault"] == "harness text"
    assert trial["customer"]["seed"] == customer_seed("order_status", 1, 2)
    assert len(stub.chat_requests("customer-cue")) == 3
    summary = mini_project.report()["summary"]["customer"]
    assert (summary["conversations"], summary["faults"], summary["retried"], summary["recovered"]) == (3, 3, 1, 0)
    assert summary["by_task"]["order_status"] == {"conversations": 3, "faults": 3, "fault_rate": 1.0}
    assert _customer_line(result) == ["customer faults: 3 in 3 conversations (harness text ×3); 1 trial(s) re-run, "
                                      "0 recovered; by task: order_status 3/3; by persona: calm_clear 3/3"]
    assert "--ecom-customer-retries=2" in mini_project.rerun_commands(result)[0]


def test_no_retries_with_zero(mini_project, stub):
    result = _run(mini_project, stub, "customer-once-cue", "--ecom-customer-retries=0")
    result.assert_outcomes(errors=1)
    [trial] = mini_project.report()["trials"]
    assert "customer_attempts" not in trial and trial["customer"]["attempt"] == 0
    assert trial["customer"]["fault"] == "harness text" and trial["customer"]["seed"] == TRIAL_SEED
    assert len(stub.chat_requests("customer-once-cue")) == 1
    assert mini_project.report()["fingerprint"]["options"]["customer_retries"] == 0


@pytest.mark.parametrize("customer, kind", [("customer-once-echo", "echoed reply"),
                                            ("customer-once-zhassist", "broken role"),
                                            ("customer-once-human", "premature human")])
def test_each_new_fault_is_retried(mini_project, stub, customer, kind):
    result = _run(mini_project, stub, customer, agent="litellm")
    result.assert_outcomes(passed=1)
    [trial] = mini_project.report()["trials"]
    [attempt] = trial["customer_attempts"]
    assert attempt["fault"] == kind and attempt["seed"] == TRIAL_SEED
    if kind == "echoed reply":
        assert attempt["message"] == "Could you give me your order number?" and attempt["turns"] == 1


def test_an_agent_failure_is_never_retried(mini_project, stub):
    """The customer asks for a human after the agent talked but never acted: the agent's failure."""
    result = _run(mini_project, stub, "customer-giveup", agent="litellm")
    result.assert_outcomes(failed=1)
    [trial] = mini_project.report()["trials"]
    assert "customer_attempts" not in trial and trial["customer"] == {
        "attempt": 0, "seed": TRIAL_SEED, "fault": None, "messages": 2, "unoffered_confirmations": []}
    assert len(stub.chat_requests("customer-giveup")) == 2
    assert mini_project.report()["summary"]["customer"]["faults"] == 0
    assert _customer_line(result) == []  # no line without a customer fault


def test_a_provider_error_is_never_retried(mini_project, stub):
    result = _run(mini_project, stub, "broken-customer")
    result.assert_outcomes(errors=1)
    [trial] = mini_project.report()["trials"]
    assert trial["error"]["source"] == "provider" and "customer_attempts" not in trial
    assert trial["customer"]["fault"] is None
    assert len(stub.chat_requests("broken-customer")) == 1


def test_the_customers_quality_figures(mini_project, stub):
    """The customer says "Yes, do it." to "Done. TRK42" (no question, nothing offered)."""
    result = _run(mini_project, stub, "customer-yesman")
    result.assert_outcomes(passed=1)
    [trial] = mini_project.report()["trials"]
    assert trial["customer"]["unoffered_confirmations"] == ["Yes, do it. ###STOP###"]
    customer = mini_project.report()["summary"]["customer"]
    assert customer["unoffered_confirmations"] == {"messages": 1, "trials": 1, "rate": 1.0}
    assert customer["turns"] == {"mean": 1.0, "max": 1} and customer["faults"] == 0


def test_a_scripted_run_has_no_customer_figures_and_no_retries(mini_project):
    result = mini_project.run("--agent=oracle", "-k", "order_status", "--ecom-report=report.json",
                              "--ecom-customer-retries=3")
    result.assert_outcomes(passed=1)
    report = mini_project.report()
    assert "customer" not in report["trials"][0] and "customer" not in report["summary"]
    assert report["fingerprint"]["options"]["customer_retries"] is None  # only a model customer is retried


def test_customer_retries_must_be_a_whole_number(mini_project):
    result = mini_project.run("--agent=oracle", "--ecom-customer-retries=-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--ecom-customer-retries: must be 0 or more, got -1" in result.stderr.str()

"""What a rerun, a failure story and the HTML page carry: the details a user needs after a run."""

from __future__ import annotations

from pytest_ecom.reporting.html import render_html
from pytest_ecom.results.report import build_report


def test_the_rerun_command_carries_every_option_that_changes_a_model_call(mini_project):
    result = mini_project.run("--agent=mini_agents:do_nothing", "-k", "order_status", "--ecom-call-timeout=120",
                              "--ecom-retries=5", "--ecom-backoff=0.5", "--ecom-price=openai/x=1,2")
    [command] = mini_project.rerun_commands(result)
    for option in ("--ecom-call-timeout=120", "--ecom-retries=5", "--ecom-backoff=0.5", "--ecom-price=openai/x=1,2"):
        assert option in command, command
    [plain] = mini_project.rerun_commands(mini_project.run("--agent=mini_agents:do_nothing", "-k", "order_status"))
    assert "--ecom-call-timeout" not in plain and "--ecom-retries" not in plain  # defaults stay implicit


def test_a_timed_out_trial_says_which_option_gives_it_more_time(mini_project):
    mini_project.add_conftest(
        "import asyncio\nfrom pytest_ecom import register_agent\n"
        "@register_agent('slow')\nasync def slow(messages, tools, context):\n"
        "    await asyncio.sleep(5)\n    return 'late'\n")
    result = mini_project.run("--agent=slow", "-k", "order_status", "--ecom-timeout=0.2")
    result.assert_outcomes(failed=1)
    assert "give a slow model more with --ecom-timeout=SECONDS" in result.stdout.str()


def _record(**overrides):
    record = {"version": 1, "task": "t", "task_digest": "d", "kind": "task", "scenario": None, "store": "s",
              "orientation": "customer", "stage": "end_to_end", "task_type": "conversation", "tags": [],
              "trial": 1, "repeat": 1, "seed": 1, "outcome": "fail", "dimensions": {"state": {"passed": False}},
              "verdicts": {"default": False, "reference": False}, "error": None, "end_reason": "customer_human",
              "turns": 1, "tool_calls": 0, "timings": {}, "tokens": None, "cost_usd": None,
              "transcript": [{"role": "user", "content": "I want a person. ###HUMAN###", "stop": True}]}
    return {**record, **overrides}


def test_the_page_shows_the_customers_last_message_as_written():
    page = render_html(build_report([_record()], "a", 1, {"repeat": 1}))
    assert "I want a person. ###HUMAN###" in page and "ends the conversation" in page


def test_the_page_tells_no_tokens_from_an_unknown_price():
    tokens = {"agent": {"calls": 2, "attempts": 2, "prompt_tokens": 10, "completion_tokens": 5, "cost_usd": None}}
    unknown = render_html(build_report([_record(tokens=tokens)], "a", 1, {"repeat": 1}))
    assert "Cost unknown: 1 trial(s) recorded their tokens" in unknown and "--ecom-price" in unknown
    assert "no model was called (no tokens)" in render_html(build_report([_record()], "a", 1, {"repeat": 1}))


def test_litellm_prints_no_banner_on_a_failed_call(mini_project, model_server):
    result = mini_project.run("--agent=litellm", "--agent-model=openai/broken-agent",
                              f"--agent-base-url={model_server.base_url}", "-k", "order_status")
    result.assert_outcomes(errors=1)
    assert "Give Feedback" not in mini_project.output(result)

"""The built-in litellm agent, through litellm over real HTTP to a loopback stub model."""

from __future__ import annotations

import json

import pytest

from test_run import summary_block


def test_the_litellm_agent_runs_the_tool_loop_through_the_model(mini_project, stub):
    args = ("--agent=litellm", "--agent-model=openai/stub-agent", f"--agent-base-url={stub.base_url}",
            "-k", "order_status", "--ecom-report=report.json")
    result = mini_project.run(*args)
    result.assert_outcomes(passed=1)
    [trial] = mini_project.report()["trials"]
    assert trial["tool_calls"] == 1 and trial["dimensions"]["searches"]["passed"] is True
    sent = [body for path, body in stub.requests if path.endswith("/chat/completions") and body.get("tools")]
    first = sent[-2]
    assert first["model"] == "stub-agent" and first["messages"][0]["role"] == "system"
    assert {t["function"]["name"] for t in first["tools"]} >= {"get_order", "cancel_order"}
    assert sent[-1]["messages"][-1]["role"] == "tool"  # the harness ran the call and fed the result back
    assert json.loads(sent[-1]["messages"][-2]["tool_calls"][0]["function"]["arguments"]) == {"order_id": "100003"}


def test_a_failing_model_makes_the_trial_an_error(mini_project, stub):
    result = mini_project.run("--agent=litellm", "--agent-model=openai/broken-agent",
                              f"--agent-base-url={stub.base_url}", "-k", "order_status")
    result.assert_outcomes(errors=1)
    assert "trial error (provider): ModelCallError: model openai/broken-agent:" in result.stdout.str()
    assert summary_block(result)[0].endswith("0 passed, 0 failed, 1 errors")


def test_the_litellm_agent_needs_a_model(mini_project):
    result = mini_project.run("--agent=litellm")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--agent=litellm needs --agent-model" in result.stderr.str()

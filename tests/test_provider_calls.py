"""What a provider answers, through litellm over real HTTP to the loopback stub: every attempt
counted, Retry-After honoured (capped), malformed answers retried once then a clear error, and the
key sent to a base URL."""

from __future__ import annotations

import asyncio
import email.utils
import time

import pytest

from pytest_ecom.models import llm

AGENT = ("--agent=litellm", "--agent-model=openai/stub-agent")




def gaps(stub, model: str = "stub-agent") -> list[float]:
    """Seconds between consecutive requests for ``model``."""
    times = [t for m, t in stub.server.arrivals if m == model]
    return [b - a for a, b in zip(times, times[1:])]


def run(mini_project, stub, *args: str, model: str = "openai/stub-agent"):
    result = mini_project.run("--agent=litellm", f"--agent-model={model}", f"--agent-base-url={stub.base_url}",
                              "-k", "order_status", "--ecom-report=report.json", *args)
    [trial] = mini_project.report()["trials"]
    return result, trial


# -- every attempt counts ------------------------------------------------------------------


def test_a_refused_call_counts_its_one_attempt(mini_project, stub):
    result, trial = run(mini_project, stub, model="openai/broken-agent")
    result.assert_outcomes(errors=1)
    assert trial["tokens"]["agent"]["calls"] == 1 and trial["tokens"]["agent"]["attempts"] == 1


def test_failed_attempts_before_a_success_and_after_the_last_retry_all_count(mini_project, stub):
    stub.fail("stub-agent", 2, 429)  # the first call needs three attempts, the second one
    result, trial = run(mini_project, stub, "--ecom-backoff=0.01", "--ecom-price=openai/stub-agent=1000000,0")
    result.assert_outcomes(passed=1)
    assert trial["tokens"]["agent"] == {"calls": 2, "attempts": 4, "prompt_tokens": 2, "completion_tokens": 2,
                                        "cost_usd": 2.0}  # refused attempts cost nothing
    stub.reset()
    stub.fail("stub-agent", 10, 429)
    result, trial = run(mini_project, stub, "--ecom-backoff=0.01", "--ecom-retries=1")
    result.assert_outcomes(errors=1)
    assert trial["tokens"]["agent"]["attempts"] == len(stub.chat_requests("stub-agent")) == 2


# -- Retry-After -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_replaces_the_backoff(mini_project, stub, status):
    stub.fail("stub-agent", 1, status, retry_after="0.3")
    # our own backoff would wait 2.5-7.5 s here
    result, trial = run(mini_project, stub, "--ecom-backoff=5")
    result.assert_outcomes(passed=1)
    assert trial["tokens"]["agent"]["attempts"] == 3
    first_wait = gaps(stub)[0]
    assert 0.3 <= first_wait < 2.0


def test_retry_after_as_an_http_date_in_the_past_retries_at_once(mini_project, stub):
    stub.fail("stub-agent", 1, 429, retry_after=email.utils.formatdate(time.time() - 5, usegmt=True))
    result, _ = run(mini_project, stub, "--ecom-backoff=5")
    result.assert_outcomes(passed=1)
    assert gaps(stub)[0] < 2.0  # the provider's date has passed: no wait, and not our backoff either


def test_a_long_retry_after_is_capped(mini_project, stub, monkeypatch):
    monkeypatch.setattr(llm, "RETRY_AFTER_CAP_S", 0.2)  # 60 s in a real run
    stub.fail("stub-agent", 1, 429, retry_after="3600")
    result, _ = run(mini_project, stub, "--ecom-backoff=5")
    result.assert_outcomes(passed=1)
    assert 0.2 <= gaps(stub)[0] < 2.0


def test_retry_after_is_read_in_seconds_milliseconds_or_as_a_date():
    now = 1_000_000_000.0
    assert llm.retry_after({"retry-after": "0.25"}) == 0.25
    assert llm.retry_after({"retry-after": "7"}) == 7.0
    assert llm.retry_after({"retry-after-ms": "150", "retry-after": "9"}) == 0.15
    assert llm.retry_after({"retry-after": email.utils.formatdate(now + 30, usegmt=True)}, now=now) == 30.0
    assert llm.retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=now) == 0.0
    assert llm.retry_after({"retry-after": "86400"}) == llm.RETRY_AFTER_CAP_S == 60.0
    assert llm.retry_after({"retry-after": "soon"}) is None
    assert llm.retry_after({}) is None


# -- malformed answers ---------------------------------------------------------------------


def test_an_answer_without_choices_is_retried_once(mini_project, stub):
    stub.malformed("stub-agent", 1)
    result, trial = run(mini_project, stub, "--ecom-backoff=0.01", "--ecom-price=openai/stub-agent=1000000,0")
    result.assert_outcomes(passed=1)
    assert len(stub.chat_requests("stub-agent")) == 3
    # the empty answer reported its usage: the provider billed it, so it counts
    assert trial["tokens"]["agent"] == {"calls": 2, "attempts": 3, "prompt_tokens": 3, "completion_tokens": 3,
                                        "cost_usd": 3.0}


def test_answers_without_choices_end_as_a_clear_provider_error(mini_project, stub):
    stub.malformed("stub-agent", 10)
    result, trial = run(mini_project, stub, "--ecom-backoff=0.01")  # three retries allowed, one used
    result.assert_outcomes(errors=1)
    assert len(stub.chat_requests("stub-agent")) == 2
    assert trial["error"]["source"] == "provider"
    message = trial["error"]["message"]
    assert "model openai/stub-agent: the provider's answer is malformed (no choices in the answer) after 2 " \
           "attempt(s)" in message
    assert "IndexError" not in message and "list index out of range" not in message
    assert trial["tokens"]["agent"]["attempts"] == 2


def test_without_retries_a_malformed_answer_fails_at_once(mini_project, stub):
    stub.malformed("stub-agent", 10)
    result, trial = run(mini_project, stub, "--ecom-retries=0")
    result.assert_outcomes(errors=1)
    assert len(stub.chat_requests("stub-agent")) == 1 and "after 1 attempt(s)" in trial["error"]["message"]


def test_a_judge_answer_without_choices_is_a_model_call_error(stub):
    stub.malformed("stub-judge", 10)
    llm.configure(llm.CallSettings(backoff_s=0.01))
    try:
        with pytest.raises(llm.ModelCallError, match="malformed .no choices in the answer. after 2 attempt"):
            asyncio.run(llm.complete("openai/stub-judge", [{"role": "user", "content": "hi"}], stub.base_url))
    finally:
        llm.configure(llm.CallSettings())


# -- the key sent to a base URL -----------------------------------------------------------


def sent_keys(stub) -> set[str | None]:
    return {auth for model, auth in stub.server.authorizations if model == "stub-agent"}


def test_a_base_url_gets_the_providers_usual_key(mini_project, stub, monkeypatch):
    monkeypatch.delenv(llm.KEY_VARIABLE, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-variable")
    run(mini_project, stub)[0].assert_outcomes(passed=1)
    assert sent_keys(stub) == {"Bearer sk-from-openai-variable"}


def test_pytest_ecom_api_key_comes_first(mini_project, stub, monkeypatch):
    monkeypatch.setenv(llm.KEY_VARIABLE, "sk-for-this-server")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-variable")
    run(mini_project, stub)[0].assert_outcomes(passed=1)
    assert sent_keys(stub) == {"Bearer sk-for-this-server"}


def test_without_any_key_variable_a_placeholder_is_sent(mini_project, stub, monkeypatch):
    monkeypatch.delenv(llm.KEY_VARIABLE, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    run(mini_project, stub)[0].assert_outcomes(passed=1)
    assert sent_keys(stub) == {f"Bearer {llm.NO_KEY}"}


def test_the_providers_key_variable_follows_litellms_provider_name():
    assert llm.provider_key_variable("openai/stub-agent") == "OPENAI_API_KEY"
    assert llm.provider_key_variable("gpt-4o-mini") == "OPENAI_API_KEY"  # litellm knows whose model it is
    assert llm.provider_key_variable("anthropic/claude-3-5-sonnet") == "ANTHROPIC_API_KEY"
    assert llm.provider_key_variable("hosted_vllm/qwen") == "HOSTED_VLLM_API_KEY"
    assert llm.provider_key_variable("no-such-model") is None

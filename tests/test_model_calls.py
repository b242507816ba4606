"""Every model call, through litellm over real HTTP to the loopback stub: tokens and cost per role,
retries with backoff, record and replay."""

from __future__ import annotations

import json
import socket

import pytest

AGENT = ("--agent=litellm", "--agent-model=openai/stub-agent")




def run(mini_project, stub, *args: str, base_url: str | None = None):
    result = mini_project.run(*AGENT, f"--agent-base-url={base_url or stub.base_url}", "-k", "order_status",
                              "--ecom-report=report.json", "--ecom-backoff=0.01", *args)
    [trial] = mini_project.report()["trials"]
    return result, trial


def test_tokens_and_a_given_price_are_recorded_per_role(mini_project, stub):
    result, trial = run(mini_project, stub, "--ecom-price=openai/stub-agent=1000000,2000000")
    result.assert_outcomes(passed=1)
    calls = len(stub.chat_requests("stub-agent"))
    assert calls == 2  # the tool call, then the answer
    # the stub reports 1 prompt and 1 completion token per call: $1 + $2 at these prices
    assert trial["tokens"] == {"agent": {"calls": 2, "attempts": 2, "prompt_tokens": 2, "completion_tokens": 2,
                                         "cost_usd": 6.0}}
    assert trial["cost_usd"] == 6.0


def test_a_model_without_a_known_price_costs_unknown_not_zero(mini_project, stub):
    _, trial = run(mini_project, stub)
    assert trial["tokens"]["agent"]["calls"] == 2
    assert trial["tokens"]["agent"]["cost_usd"] is None and trial["cost_usd"] is None


def test_litellms_offline_price_list_prices_a_known_model(mini_project, stub):
    from pytest_ecom.models.llm import _litellm

    per_call = sum(_litellm().cost_per_token(model="gpt-4o-mini", prompt_tokens=1, completion_tokens=1))
    result = mini_project.run("--agent=litellm", "--agent-model=openai/gpt-4o-mini",
                              f"--agent-base-url={stub.base_url}", "-k", "order_status", "--ecom-report=report.json")
    result.assert_outcomes(passed=1)
    [trial] = mini_project.report()["trials"]
    assert per_call > 0 and trial["cost_usd"] == pytest.approx(2 * per_call)


def test_rate_limits_and_server_errors_are_retried_and_counted(mini_project, stub):
    stub.fail("stub-agent", 2, 429)
    result, trial = run(mini_project, stub)
    result.assert_outcomes(passed=1)
    assert len(stub.chat_requests("stub-agent")) == 4  # two refused, then the two calls of the trial
    assert trial["tokens"]["agent"]["calls"] == 2 and trial["tokens"]["agent"]["attempts"] == 4


def test_after_the_last_retry_the_trial_is_an_error_not_a_fail(mini_project, stub):
    stub.fail("stub-agent", 10, 503)
    result, trial = run(mini_project, stub, "--ecom-retries=2")
    result.assert_outcomes(errors=1)
    assert len(stub.chat_requests("stub-agent")) == 3  # one attempt and two retries: litellm and the client add none
    assert trial["outcome"] == "error" and trial["error"]["source"] == "provider"
    assert "after 3 attempt(s)" in trial["error"]["message"]
    # every attempt counts, the failed ones too; no answer came, so no tokens and nothing spent
    assert trial["tokens"] == {"agent": {"calls": 1, "attempts": 3, "prompt_tokens": 0, "completion_tokens": 0,
                                         "cost_usd": 0.0}}


def test_a_refused_request_is_not_retried(mini_project, stub):
    result = mini_project.run("--agent=litellm", "--agent-model=openai/broken-agent", "--ecom-backoff=0.01",
                              f"--agent-base-url={stub.base_url}", "-k", "order_status")
    result.assert_outcomes(errors=1)
    assert len(stub.chat_requests("broken-agent")) == 1


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens there any more


def test_record_then_replay_without_the_server(mini_project, stub):
    recorded = mini_project.run(*AGENT, f"--agent-base-url={stub.base_url}", "--repeat=2", "--ecom-record=cassettes",
                                "--ecom-report=recorded.json", "--ecom-price=openai/stub-agent=1,1")
    recorded.assert_outcomes(passed=2, failed=4)  # the stub agent only knows how to look an order up
    tapes = sorted(p.relative_to(mini_project.path / "cassettes").as_posix()
                   for p in (mini_project.path / "cassettes").rglob("*.jsonl"))
    assert tapes == [f"{task}/trial-{n}.jsonl" for task in ("cancel_kettle", "change_address", "order_status")
                     for n in (1, 2)]
    first = json.loads((mini_project.path / "cassettes/order_status/trial-1.jsonl").read_text().splitlines()[0])
    assert first["call"] == 1 and first["role"] == "agent" and len(first["request_hash"]) == 16
    second = json.loads((mini_project.path / "cassettes/order_status/trial-2.jsonl").read_text().splitlines()[0])
    assert second["request_hash"] != first["request_hash"]  # each trial sends its own seed: no answer is shared
    seen = len(stub.requests)

    replayed = mini_project.run(*AGENT, f"--agent-base-url={closed_port_url()}", "--repeat=2",
                                "--ecom-replay=cassettes", "--ecom-report=replayed.json")
    replayed.assert_outcomes(passed=2, failed=4)
    assert len(stub.requests) == seen  # nothing was sent
    before = {(t["task"], t["trial"]): (t["outcome"], t["tokens"]) for t in mini_project.report("recorded.json")["trials"]}
    after = {(t["task"], t["trial"]): (t["outcome"], t["tokens"]) for t in mini_project.report("replayed.json")["trials"]}
    assert after == before


def test_replay_refuses_a_changed_request_and_a_missing_call(mini_project, stub):
    mini_project.run(*AGENT, f"--agent-base-url={stub.base_url}", "-k", "order_status",
                     "--ecom-record=cassettes").assert_outcomes(passed=1)
    task = mini_project.path / "tasks" / "status.task.yaml"
    task.write_text(task.read_text(encoding="utf-8").replace("Where is my order 100003?", "Where is my order 100003, please?", 1), encoding="utf-8")
    result = mini_project.run(*AGENT, f"--agent-base-url={closed_port_url()}", "-k", "order_status",
                              "--ecom-replay=cassettes")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*replay: the request of order_status trial 1, model call 1 differs from the "
                                 "recorded one*"])
    result = mini_project.run(*AGENT, f"--agent-base-url={closed_port_url()}", "-k", "order_status",
                              "--repeat=2", "--ecom-replay=cassettes")
    result.stdout.fnmatch_lines(["*replay: no recorded call for order_status trial 2, model call 1*"])


def test_record_and_replay_exclude_each_other(mini_project):
    result = mini_project.run(*AGENT, "--ecom-record=a", "--ecom-replay=b")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--ecom-record and --ecom-replay exclude each other" in result.stderr.str()


def test_sampling_settings_are_in_the_report(mini_project, stub):
    run(mini_project, stub, "--model-temperature=0.7", "--model-max-tokens=256")
    options = mini_project.report()["fingerprint"]["options"]
    assert options["temperature"] == 0.7 and options["max_tokens"] == 256
    sent = stub.chat_requests("stub-agent")[-1]
    assert sent["temperature"] == 0.7 and sent["max_tokens"] == 256


def test_the_summary_shows_totals_and_cost_per_pass(mini_project, stub):
    result = mini_project.run(*AGENT, f"--agent-base-url={stub.base_url}", "--ecom-price=openai/stub-agent=1000000,0",
                              "--ecom-report=report.json")
    result.assert_outcomes(passed=1, failed=2)
    calls = len(stub.chat_requests("stub-agent"))
    usage = mini_project.report()["summary"]["usage"]
    assert usage["roles"]["agent"]["calls"] == calls and usage["cost_usd"] == pytest.approx(calls * 1.0)
    assert usage["cost_per_pass_usd"] == pytest.approx(calls * 1.0)  # one trial passed
    result.stdout.fnmatch_lines([f"models: agent {calls} calls, {2 * calls} tokens, ${calls:.4f} — "
                                 f"total ${calls:.4f}, ${calls:.4f} per passed trial"])


@pytest.mark.parametrize("concurrency, overlapping", [(1, 1), (4, 4)])
def test_trials_of_a_task_wait_on_the_model_together(mini_project, stub, concurrency, overlapping):
    """Within one process the selected trials of a task run concurrently on the session's loop,
    bounded by --ecom-concurrency: their model calls are in flight at the same time."""
    stub.server.latency_s = 0.3
    stub.server.most_in_flight = 0
    try:
        result = mini_project.run(*AGENT, f"--agent-base-url={stub.base_url}", "-k", "order_status", "--repeat=4",
                                  f"--ecom-concurrency={concurrency}")
    finally:
        stub.server.latency_s = 0.0
    result.assert_outcomes(passed=4)
    assert stub.server.most_in_flight == overlapping


def test_a_damaged_cassette_is_a_trial_error_naming_file_and_line(mini_project, stub):
    mini_project.run(*AGENT, f"--agent-base-url={stub.base_url}", "-k", "order_status",
                     "--ecom-record=cassettes").assert_outcomes(passed=1)
    tape = mini_project.path / "cassettes" / "order_status" / "trial-1.jsonl"
    tape.write_text(tape.read_text(encoding="utf-8")[:-20], encoding="utf-8")  # a recording cut short
    result = mini_project.run(*AGENT, f"--agent-base-url={closed_port_url()}", "-k", "order_status",
                              "--ecom-replay=cassettes", "--ecom-report=report.json")
    result.assert_outcomes(errors=1)  # the harness's failure, not the agent's
    [trial] = mini_project.report()["trials"]
    assert trial["error"]["source"] == "provider"
    assert "cassettes/order_status/trial-1.jsonl:2: not a recorded call" in trial["error"]["message"]


def test_calls_returning_out_of_order_keep_the_whole_cassette(tmp_path):
    from pytest_ecom.models.cassettes import Player, Recorder

    recorder = Recorder(tmp_path)
    recorder.write("t", 1, 2, {"request_hash": "b", "value": "second", "prompt_tokens": 1, "completion_tokens": 1,
                               "cost_usd": None})
    recorder.write("t", 1, 1, {"request_hash": "a", "value": "first", "prompt_tokens": 1, "completion_tokens": 1,
                               "cost_usd": None})
    player = Player(tmp_path)
    assert player.answer("t", 1, 1, "a")["value"] == "first" and player.answer("t", 1, 2, "b")["value"] == "second"
    Recorder(tmp_path).write("t", 1, 1, {"request_hash": "c", "value": "again", "prompt_tokens": 1,
                                         "completion_tokens": 1, "cost_usd": None})  # a new run records afresh
    assert list(Player(tmp_path)._calls("t", 1)) == [1]


def test_a_hung_provider_is_retried_then_an_error_not_a_slow_agent(mini_project, stub):
    stub.server.latency_s = 1.0
    try:
        result, trial = run(mini_project, stub, "--ecom-call-timeout=0.2", "--ecom-retries=1")
    finally:
        stub.server.latency_s = 0.0
    result.assert_outcomes(errors=1)
    assert trial["error"]["source"] == "provider" and "after 2 attempt(s)" in trial["error"]["message"]
    assert "Timeout" in trial["error"]["message"]
    assert "raise it for a slow model" in trial["error"]["message"]  # which option to raise, and its value
    assert "--ecom-call-timeout=0.2 s" in trial["error"]["message"]

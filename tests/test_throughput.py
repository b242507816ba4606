"""Trials in flight across tasks, in one process and under xdist, and the shared model rate limits."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from pytest_ecom.models.limits import Limiter, ModelLimit, parse_limit

PACED_AGENTS = '''
import asyncio, inspect
from pytest_ecom.agents import AgentSpec
from pytest_ecom.agents.oracle import ORACLE

# the first task in collection order answers last: its trial overlaps the others' and ends after them
PAUSE = {"change_address": 0.8, "cancel_kettle": 0.4, "order_status": 0.0}


def note(line):
    with open("events.txt", "a", encoding="utf-8") as out:
        out.write(line + "\\n")


def _paced(context, task):
    solve = ORACLE.target(context, task)
    note(f"start {task.id}-{context.trial}")
    first = [True]

    async def agent(messages, tools, ctx):
        if first[0]:
            first[0] = False
            await asyncio.sleep(PAUSE[task.id])
            note(f"answer {task.id}-{context.trial}")
        reply = solve(messages, tools, ctx)
        return await reply if inspect.isawaitable(reply) else reply
    return agent


def _failing(context, task):
    note(f"start {task.id}-{context.trial}")

    async def agent(messages, tools, ctx):
        await asyncio.sleep(0.05)
        return "Sorry, I cannot help with that."
    return agent


paced = AgentSpec("paced", _paced, factory=True, needs_task=True)
failing = AgentSpec("failing", _failing, factory=True, needs_task=True)
'''

ORDER = ["change_address", "cancel_kettle", "order_status"]  # the mini project's collection order


def events(mini_project) -> list[str]:
    return (mini_project.path / "events.txt").read_text(encoding="utf-8").split()[1::2]


def test_trials_of_different_tasks_overlap_and_report_lines_keep_item_order(mini_project):
    mini_project.write("paced_agents.py", PACED_AGENTS)
    result = mini_project.run("--agent=paced_agents:paced", "-v", "--ecom-concurrency=3", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    lines = [line for line in result.stdout.lines if " PASSED" in line]
    assert [re.search(r"::(\w+)\[", line).group(1) for line in lines] == ORDER  # pytest's order, not finishing order
    seen = (mini_project.path / "events.txt").read_text(encoding="utf-8").splitlines()
    # all three trials started before any answered: one task's single trial did not hold the others back
    assert [line.split()[0] for line in seen[:3]] == ["start"] * 3
    assert [line.split()[1] for line in seen if line.startswith("answer")] == [
        "order_status-1", "cancel_kettle-1", "change_address-1"]


def test_concurrency_one_runs_trials_one_after_another(mini_project):
    mini_project.write("paced_agents.py", PACED_AGENTS)
    mini_project.run("--agent=paced_agents:paced", "--ecom-concurrency=1").assert_outcomes(passed=3)
    seen = (mini_project.path / "events.txt").read_text(encoding="utf-8").splitlines()
    assert seen == [f"{what} {task}-1" for task in ORDER for what in ("start", "answer")]


@pytest.mark.parametrize("stop, failed", [("-x", 1), ("--maxfail=2", 2)])
def test_x_and_maxfail_stop_new_trials_from_starting(mini_project, stop, failed):
    """12 failing trials, 2 in flight: once the failures pytest will stop at are known (reported,
    or finished ahead of their item), no further trial starts."""
    mini_project.write("paced_agents.py", PACED_AGENTS)
    result = mini_project.run("--agent=paced_agents:failing", "--repeat=4", "--ecom-concurrency=2", stop)
    result.assert_outcomes(failed=failed)
    started = (mini_project.path / "events.txt").read_text(encoding="utf-8").splitlines()
    # at most the failures pytest stops at, plus the trials already in flight when the last became known
    assert len(started) <= failed + 1, started


# --- --ecom-rate-limit ---------------------------------------------------------------------------------

AGENT = ("--agent=litellm", "--agent-model=openai/stub-agent")


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times)), default=0)


def test_a_rate_limit_is_shared_by_two_workers_and_never_exceeded_at_the_provider(mini_project, stub):
    """5 requests a second and 2 in flight for the whole run: counted where the requests arrive.
    Each worker alone keeping its own caps would send twice as many."""
    stub.server.latency_s = 0.3
    stub.server.most_in_flight = 0
    result = mini_project.run_subprocess(*AGENT, f"--agent-base-url={stub.base_url}", "-k", "order_status",
                                         "--repeat=8", "-n", "2", "--ecom-concurrency=4",
                                         "--ecom-rate-limit=openai/stub-agent=300/min,inflight=2")
    result.assert_outcomes(passed=8)
    arrivals = [t for model, t in stub.server.arrivals if model == "stub-agent"]
    assert len(arrivals) == 16  # two calls a trial, none refused
    assert most_in_any_window(arrivals, 1.0) <= 5 + 1  # started 0.2 s apart at least, whatever the worker
    assert stub.server.most_in_flight <= 2
    assert stub.server.most_in_flight == 2  # the cap was reached: the workers did share the work


def test_the_rate_limit_option_refuses_what_it_cannot_read(mini_project):
    result = mini_project.run("--agent=oracle", "--ecom-rate-limit=openai/gpt-4o=500/fortnight")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "'500/fortnight' is not a rate like 500/min (units: s, min, h)" in result.stderr.str()


@pytest.mark.parametrize("text, limit", [
    ("openai/gpt-4o=500/min,inflight=32", ModelLimit("openai/gpt-4o", 500 / 60, 32)),
    ("openai/gpt-4o=inflight=8", ModelLimit("openai/gpt-4o", None, 8)),
    ("*=2/s", ModelLimit("*", 2.0, None)),
    ("azure/x=3600/h", ModelLimit("azure/x", 1.0, None)),
])
def test_rate_limits_are_read_as_written(text, limit):
    assert parse_limit(text) == limit
    assert parse_limit(limit.describe()) == limit


def test_a_429_with_retry_after_is_honoured_and_the_trial_passes(mini_project, stub):
    stub.fail("stub-agent", 1, 429, retry_after="1")
    result = mini_project.run(*AGENT, f"--agent-base-url={stub.base_url}", "-k", "order_status",
                              "--ecom-rate-limit=openai/stub-agent=inflight=4")
    result.assert_outcomes(passed=1)
    arrivals = [t for model, t in stub.server.arrivals if model == "stub-agent"]
    assert len(arrivals) == 3  # the refused call, its retry, the answer after the tool
    assert arrivals[1] - arrivals[0] >= 0.95


def test_a_retry_after_pauses_every_process_sharing_the_limits(tmp_path):
    """One process is told to wait: another one's next request waits too (two limiters on one
    folder stand for two xdist workers)."""
    limit = ModelLimit("m", None, 4)
    told, other = Limiter(limit, tmp_path), Limiter(limit, tmp_path)

    async def run() -> float:
        async with told.request() as ticket:
            pass
        told.throttled(ticket, 0.5)
        start = time.monotonic()
        async with other.request():
            return time.monotonic() - start

    assert asyncio.run(run()) >= 0.45


def test_in_flight_slots_are_shared_by_processes(tmp_path):
    limit = ModelLimit("m", None, 2)
    a, b = Limiter(limit, tmp_path), Limiter(limit, tmp_path)
    in_flight = peak = 0

    async def call(limiter: Limiter) -> None:
        nonlocal in_flight, peak
        async with limiter.request():
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.05)
            in_flight -= 1

    async def run() -> None:
        await asyncio.gather(*(call(a if i % 2 else b) for i in range(8)))

    asyncio.run(run())
    assert peak == 2


def test_a_429_halves_the_calls_in_flight_once_per_burst_and_they_recover():
    limiter = Limiter(ModelLimit("m", None, 8))

    async def burst_of_429s() -> None:
        tickets = []
        for _ in range(8):  # eight requests already in flight when the first 429 comes back
            async with limiter.request() as ticket:
                tickets.append(ticket)
        for ticket in tickets:
            limiter.throttled(ticket, None)

    asyncio.run(burst_of_429s())
    assert limiter.cap == 4  # cut once for the whole burst, not eight times
    for _ in range(4):
        limiter.succeeded()
    assert limiter.cap == 5  # one more after a cap's worth of good answers
    for _ in range(5 + 6 + 7):
        limiter.succeeded()
    assert limiter.cap == 8  # back to the configured cap, never above


def test_a_model_without_a_cap_gets_one_on_a_429_and_loses_it_when_it_recovers():
    limiter = Limiter(None)

    async def run() -> None:
        async def one() -> None:
            async with limiter.request():
                await asyncio.sleep(0.01)
        await asyncio.gather(*(one() for _ in range(5)))
        ticket = None
        async with limiter.request() as ticket:
            pass
        limiter.in_flight = 5  # five still waiting on the provider when the 429 came
        limiter.throttled(ticket, None)
        limiter.in_flight = 0

    asyncio.run(run())
    assert limiter.cap == 3  # half of the six in flight
    for _ in range(3 + 4 + 5):
        limiter.succeeded()
    assert limiter.cap is None

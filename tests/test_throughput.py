"""Trials in flight across tasks, in one process and under xdist, and the shared model rate limits."""

from __future__ import annotations

import re

import pytest

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

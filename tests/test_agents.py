"""How ``--agent`` finds an agent, the agent contract (sync, async, factory) and bad agents."""

from __future__ import annotations

import json

import pytest

from pytest_ecom.agents import AgentReplyError, AgentSpec, resolve_agent
from pytest_ecom.agents.protocol import as_assistant_message
from pytest_ecom.runner import trial_seed

CANCEL_ONLY = ("-k", "cancel_kettle")


def test_unknown_agent_is_a_usage_error_listing_known_agents(mini_project):
    result = mini_project.run("--agent=no_such_agent")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "--agent=no_such_agent: no agent of that name. Known agents: " in err
    assert "oracle" in err.split("Known agents: ")[1]
    assert "module:attr" in err


def test_module_attr_that_does_not_import_is_a_usage_error(mini_project):
    result = mini_project.run("--agent=mini_agents:no_such_attr")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--agent=mini_agents:no_such_attr: cannot load it" in result.stderr.str()


def test_an_agent_that_is_not_callable_is_a_usage_error(mini_project):
    result = mini_project.run("--agent=mini_agents:json")  # a module, not an agent
    assert result.ret == pytest.ExitCode.USAGE_ERROR, mini_project.output(result)
    assert "not a callable" in result.stderr.str()


def test_agent_given_as_module_attr(mini_project):
    result = mini_project.run("--agent=mini_agents:solve_cancel", *CANCEL_ONLY)
    result.assert_outcomes(passed=1, deselected=2)


def test_async_agent(mini_project):
    result = mini_project.run("--agent=mini_agents:async_solve_cancel", "--repeat=2", *CANCEL_ONLY)
    result.assert_outcomes(passed=2, deselected=4)


def test_agent_registered_with_the_decorator(mini_project):
    mini_project.add_conftest(
        "import pytest_ecom\n"
        "from mini_agents import solve_cancel\n\n"
        "@pytest_ecom.register_agent('decorated_cancel')\n"
        "def decorated_cancel(messages, tools, context):\n"
        "    return solve_cancel(messages, tools, context)\n"
    )
    mini_project.run("--agent=decorated_cancel", *CANCEL_ONLY).assert_outcomes(passed=1, deselected=2)


def test_agents_from_the_conftest_hook(mini_project):
    mini_project.add_conftest(
        "from mini_agents import do_nothing, solve_cancel\n\n"
        "class PerTrial:  # a class is a per-trial factory\n"
        "    def __init__(self, context):\n"
        "        self.context = context\n"
        "    def __call__(self, messages, tools, context):\n"
        "        return solve_cancel(messages, tools, context)\n\n"
        "def pytest_ecom_agents():\n"
        "    return {'hooked_cancel': solve_cancel, 'hooked_class': PerTrial, 'hooked_idle': do_nothing}\n"
    )
    mini_project.run("--agent=hooked_cancel", *CANCEL_ONLY).assert_outcomes(passed=1, deselected=2)
    mini_project.run("--agent=hooked_class", *CANCEL_ONLY).assert_outcomes(passed=1, deselected=2)
    mini_project.run("--agent=hooked_idle", *CANCEL_ONLY).assert_outcomes(failed=1, deselected=2)
    result = mini_project.run("--agent=hooked_nothing")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "hooked_cancel" in result.stderr.str()  # hook agents are listed as known


FACTORY_AGENT = '''
import asyncio, json, pathlib
import pytest_ecom
from mini_agents import solve_cancel

LOG = pathlib.Path(__file__).with_name("agent.log")


@pytest_ecom.register_agent("stateful_cancel", factory=True)
class StatefulCancel:
    """A real agent's shape: built per trial, with async setup/teardown around it."""

    def __init__(self, context):
        self.context = context
        self.log("init", info=dict(context.info), seed=context.seed, policy=context.policy)

    def log(self, event, **extra):
        with LOG.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"event": event, "trial": self.context.trial, **extra}) + "\\n")

    async def setup(self):
        await asyncio.sleep(0)
        self.log("setup")

    async def teardown(self):
        await asyncio.sleep(0)
        self.log("teardown")

    def __call__(self, messages, tools, context):
        self.log("call", same_context=context is self.context, system=messages[0]["content"])
        return solve_cancel(messages, tools, context)
'''


def test_factory_agent_is_built_once_per_trial_with_async_setup_and_teardown(mini_project):
    mini_project.add_conftest(FACTORY_AGENT)
    result = mini_project.run("--agent=stateful_cancel", "--repeat=3", *CANCEL_ONLY)
    result.assert_outcomes(passed=3, deselected=6)
    log = [json.loads(line) for line in (mini_project.path / "agent.log").read_text().splitlines()]
    for trial in (1, 2, 3):
        mine = [e for e in log if e["trial"] == trial]
        events = [e["event"] for e in mine]
        assert events[:2] == ["init", "setup"] and events[-1] == "teardown", events
        assert set(events[2:-1]) == {"call"}, events
        init = mine[0]
        assert init["seed"] == trial_seed("cancel_kettle", trial)
        assert init["info"] == {"user_id": "u1"}
        assert init["policy"].startswith("You are the assistant of the Mini shop.")
        calls = [e for e in mine if e["event"] == "call"]
        assert all(e["same_context"] for e in calls)
        assert "Mini shop" in calls[0]["system"] and "- user_id: u1" in calls[0]["system"]
        assert "100001" not in calls[0]["system"]  # never the expected results


def test_a_failing_factory_is_a_trial_error(mini_project):
    mini_project.add_conftest(
        "def pytest_ecom_agents():\n"
        "    def broken(context):\n"
        "        raise ValueError('no API key')\n"
        "    from pytest_ecom import AgentSpec\n"
        "    return {'broken_factory': AgentSpec('broken_factory', broken, factory=True)}\n"
    )
    result = mini_project.run("--agent=broken_factory", *CANCEL_ONLY)
    result.assert_outcomes(errors=1, deselected=2)
    result.stdout.fnmatch_lines(["trial error (agent): factory failed: ValueError('no API key')"])


def test_an_agent_returning_garbage_fails_with_a_readable_message(mini_task, run_agent):
    run = run_agent(mini_task("status"), lambda messages, tools, context: 42)
    assert run.error is None  # the agent's fault: scored, and failed
    assert run.trajectory.end_reason == "agent_crash"
    assert "the agent returned int; return a str or a dict" in run.trajectory.crash["message"]


def test_a_bad_tool_call_reaches_the_agent_as_a_tool_error(mini_task, run_agent, mini_agents):
    agent = mini_agents.Scripted([("get_order", {"order": "100003"}), ("get_order", {"order_id": "100003"})],
                                 "Tracking TRK42.")
    run = run_agent(mini_task("status"), agent)
    assert run.error is None
    first, second = [m for m in run.trajectory.messages if m["role"] == "tool"]
    assert "invalid arguments" in json.loads(first["content"])["error"]
    assert json.loads(second["content"])["shipping"]["tracking"] == "TRK42"
    assert [c.ok for c in run.trajectory.calls] == [False, True]


def test_an_agent_that_never_answers_is_stopped_after_max_steps(mini_copy, mini_task, run_agent, mini_agents):
    path = mini_copy / "tasks" / "status.task.yaml"
    path.write_text(path.read_text() + "limits: {max_steps: 3}\n")
    looping = mini_agents.Scripted([("get_order", {"order_id": "100003"})] * 100, "never said")
    run = run_agent(mini_task("status", folder=path.parent), looping)
    assert run.error is None  # the agent's fault: scored, not an error
    assert run.trajectory.end_reason == "max_steps"
    assert len(run.trajectory.calls) == 3 and run.trajectory.replies == []


def test_the_conversation_ends_after_max_turns(mini_copy, mini_task, run_agent, mini_agents):
    path = mini_copy / "tasks" / "cancel.task.yaml"
    path.write_text(path.read_text() + "limits: {max_turns: 1}\n")
    run = run_agent(mini_task("cancel", folder=path.parent), mini_agents.do_nothing)
    assert run.trajectory.end_reason == "max_turns" and run.trajectory.turns == 1
    assert [m["content"] for m in run.trajectory.messages if m["role"] == "user"] == [
        "Hi, please cancel my order 100001."]


def test_as_assistant_message_normalises_what_agents_return():
    assert as_assistant_message("hi") == {"role": "assistant", "content": "hi"}
    message = as_assistant_message({"tool_calls": [{"function": {"name": "get_order",
                                                                 "arguments": {"order_id": "1"}}}]})
    assert message == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_order", "arguments": '{"order_id": "1"}'}}]}


@pytest.mark.parametrize(("reply", "message"), [
    (None, "the agent returned NoneType"),
    ({"role": "assistant", "content": ""}, "neither text nor tool calls"),
    ({"content": 3}, "'content' is int"),
    ({"tool_calls": {"function": {}}}, "'tool_calls' must be a list"),
    ({"tool_calls": [{"function": {"arguments": "{}"}}]}, "tool call #1 has no function name"),
])
def test_as_assistant_message_rejects_what_is_not_a_message(reply, message):
    with pytest.raises(AgentReplyError, match=message):
        as_assistant_message(reply)


def test_resolve_agent_turns_classes_into_factories_and_keeps_specs():
    class Bot:
        def __init__(self, context): ...

    def fn(messages, tools, context): ...

    spec = AgentSpec("s", fn, factory=True)
    assert resolve_agent("c", {"c": Bot}).factory is True
    assert resolve_agent("f", {"f": fn}).factory is False
    assert resolve_agent("s", {"s": spec}) is spec
    assert resolve_agent("oracle").needs_task is True


def test_an_agent_editing_its_tool_definitions_cannot_change_the_rules(mini_task, run_agent, mini_agents):
    def vandal(messages, tools, context):
        tools.clear()
        return "nothing to see"

    def vandal_deep(messages, tools, context):
        for t in tools:
            t["function"]["parameters"]["properties"].clear()
            t["function"]["parameters"]["required"] = []
        return "nothing to see"

    task = mini_task("cancel")
    run_agent(task, vandal)
    run_agent(task, vandal_deep)
    seen = []

    def count(messages, tools, context):
        seen.append(len(tools))
        return "hello"

    run_agent(task, count)
    assert set(seen) == {len(task.domain.tools.names())}
    # validation still uses the real schema: a call without the required order id is refused
    assert not task.domain.tools.call(task.domain.new_store(), "cancel_order", {}).ok
    assert run_agent(task, mini_agents.solve_cancel).error is None


def test_a_sync_agent_runs_off_the_event_loop(mini_task, run_agent):
    """Sync agents run in a worker thread: they may even start their own event loop."""
    import asyncio

    async def answer():
        return "Let me check that."

    run = run_agent(mini_task("status"), lambda messages, tools, context: asyncio.run(answer()))
    assert run.error is None and run.trajectory.crash is None
    assert run.trajectory.replies[0] == "Let me check that."

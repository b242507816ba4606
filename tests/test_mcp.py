"""Each trial's tools over MCP (serving/, runner/episode.py, runner/mcp_bridge.py): the same tools,
results and errors as the harness's own, every call recorded where a harness-run call would be,
one endpoint per trial, closed with it; the oracle's verdicts are the same over MCP."""

from __future__ import annotations

import asyncio
import glob
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from pytest_ecom.agents import AgentSpec
from pytest_ecom.domains import load_domain
from pytest_ecom.runner import EpisodeError, EpisodeSetup, TrialSettings, run_episode, run_task, run_trial
from pytest_ecom.runner.run import load_unit
from pytest_ecom.serving.mcp_host import close_host, trial_endpoint
from pytest_ecom.tools import ToolSet, tool
from pytest_ecom.users import ScriptedCustomer
from pytest_ecom.agents import AgentContext

ROOT = Path(__file__).resolve().parents[1]


class McpCalls:
    """An MCP agent: on its first turn it makes ``calls`` over MCP, then always answers ``reply``.
    It keeps what it was sent (``seen``) and its endpoint's URL."""

    uses_mcp = True

    def __init__(self, calls: list[tuple[str, Any]], reply: str) -> None:
        self.calls, self.reply = calls, reply
        self.seen: list[list[dict[str, Any]]] = []
        self.tools_sent: list[list[Any]] = []
        self.url: str | None = None
        self.texts: list[tuple[str, bool]] = []

    async def __call__(self, messages: list[dict[str, Any]], tools: list[Any], context: AgentContext) -> str:
        self.seen.append(messages)
        self.tools_sent.append(tools)
        self.url = context.mcp_url
        if len(self.seen) == 1:
            async with Client(context.mcp_url) as client:
                for name, arguments in self.calls:
                    result = await client.call_tool(name, arguments)
                    self.texts.append((result.content[0].text, bool(result.is_error)))
        return self.reply


def mcp_spec(agent: McpCalls) -> AgentSpec:
    return AgentSpec("mcp_calls", lambda context: agent, factory=True, uses_mcp=True)


CANCEL_CALLS = [("get_order", {"order_id": 100001}), ("cancel_order", {"order_id": "100001", "reason": "wrong"}),
                ("cancel_order", {"order_id": "100001", "reason": "no_longer_needed"}), ("no_such_tool", {})]


def _harness_agent(calls: list[tuple[str, Any]], reply: str) -> Any:
    """The same calls returned for the harness to run, one per step."""

    def agent(messages: list[dict[str, Any]], tools: list[Any], context: AgentContext) -> Any:
        made = sum(1 for m in messages if m["role"] == "assistant" and m.get("tool_calls"))
        if made < len(calls):
            name, arguments = calls[made]
            return {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"c{made}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]}
        return reply

    return agent


def test_the_endpoint_lists_the_harness_tools_and_answers_with_its_texts() -> None:
    """Names, descriptions, schemas (x- annotations removed, as the harness sends them), results and
    error texts: byte for byte the harness's, on a real store's 26 tools."""
    domain = load_domain("home_appliances", ROOT / "tasks")
    calls = [("get_order", {"order_id": "100201"}), ("get_order", {"order_id": 100201}), ("get_order", {}),
             ("get_order", {"order_id": "1", "extra": True}), ("no_such_tool", {"a": 1}),
             ("list_user_orders", {"user_id": "u_1001"}), ("get_order", {"order_id": ["x"]})]

    async def go() -> tuple[list[Any], list[tuple[str, bool]]]:
        store = domain.new_store()
        async with trial_endpoint(domain.tools) as endpoint:
            async def serve(name: str, arguments: Any) -> tuple[str, bool]:
                result = domain.tools.call(store, name, arguments)
                return result.content, result.ok

            endpoint.call = serve
            async with Client(endpoint.url) as client:
                listed = (await client.list_tools()).tools
                answers = []
                for name, arguments in calls:
                    result = await client.call_tool(name, arguments)
                    answers.append((result.content[0].text, not result.is_error))
        await close_host()
        return listed, answers

    listed, answers = asyncio.run(go())
    harness = domain.tools.schemas()
    assert [(t.name, t.description, t.input_schema) for t in listed] == [
        (s["function"]["name"], s["function"]["description"], s["function"]["parameters"]) for s in harness]
    store = domain.new_store()
    expected = [(r.content, r.ok) for r in (domain.tools.call(store, name, args) for name, args in calls)]
    assert answers == expected
    assert [ok for _, ok in answers] == [True, True, False, False, False, True, False]


def test_calls_over_mcp_are_recorded_and_scored_like_harness_run_calls(mini_task, run_agent) -> None:
    task = mini_task("cancel")
    reply = "Your order 100001 is CANCELLED."
    agent = McpCalls(CANCEL_CALLS, reply)
    over_mcp = run_agent(task, mcp_spec(agent))
    by_harness = run_agent(task, _harness_agent(CANCEL_CALLS, reply))
    assert over_mcp.error is None and by_harness.error is None
    mcp_traj, harness_traj = over_mcp.trajectory, by_harness.trajectory
    assert mcp_traj.calls == harness_traj.calls  # name, arguments as run, ok, arguments as sent
    assert [c.ok for c in mcp_traj.calls] == [True, False, True, False]

    def shape(messages: list[dict[str, Any]]) -> list[Any]:
        return [(m["role"], m.get("content"), [(c["function"]["name"], json.loads(c["function"]["arguments"]))
                                                for c in m.get("tool_calls", [])]) for m in messages]

    # The same messages in the same order: each call after the customer's message that asked for it,
    # its result right after it, the agent's text last (what a procedure check reads).
    assert shape(mcp_traj.messages) == shape(harness_traj.messages)
    roles = [m["role"] for m in mcp_traj.messages]
    assert roles[:11] == ["system", "user"] + ["assistant", "tool"] * 4 + ["assistant"]
    tool_ids = [m["tool_call_id"] for m in mcp_traj.messages if m["role"] == "tool"]
    call_ids = [m["tool_calls"][0]["id"] for m in mcp_traj.messages if m.get("tool_calls")]
    assert tool_ids == call_ids == ["mcp_1", "mcp_2", "mcp_3", "mcp_4"]
    # The agent read the texts the trajectory holds.
    assert agent.texts == [(m["content"], not c.ok) for m, c in
                           zip([m for m in mcp_traj.messages if m["role"] == "tool"], mcp_traj.calls)]
    assert [e.get("via") for e in mcp_traj.transcript if e.get("tool_calls")] == ["mcp"] * 4
    from pytest_ecom.runner.score import score_trajectory
    assert [d.as_dict() for d in score_trajectory(task, mcp_traj)] == [
        d.as_dict() for d in score_trajectory(task, harness_traj)]
    assert all(d.passed for d in score_trajectory(task, mcp_traj))


def test_an_mcp_agent_is_sent_the_conversations_text_and_no_tools(mini_task, run_agent) -> None:
    agent = McpCalls(CANCEL_CALLS[:1], "Done.")
    run = run_agent(mini_task("cancel"), mcp_spec(agent))
    assert len(agent.seen) == 2 and agent.tools_sent == [[], []]
    second = agent.seen[1]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2] == {"role": "assistant", "content": "Done."}
    assert "tool" in [m["role"] for m in run.trajectory.messages]  # the trajectory keeps the calls
    assert agent.url is not None and agent.url.startswith("http://127.0.0.1:") and agent.url.endswith("/mcp")


def test_concurrent_trials_have_their_own_store_and_endpoints_close_with_their_trial(mini_task) -> None:
    task = mini_task("cancel")
    cancelled = asyncio.Event()
    seen_status: list[str] = []

    class Canceller(McpCalls):
        async def __call__(self, messages, tools, context):  # type: ignore[override]
            reply = await super().__call__(messages, tools, context)
            cancelled.set()
            return reply

    class Reader(McpCalls):
        async def __call__(self, messages, tools, context):  # type: ignore[override]
            self.url = context.mcp_url
            await cancelled.wait()  # the other trial has cancelled order 100001 on its store
            async with Client(context.mcp_url) as client:
                result = await client.call_tool("get_order", {"order_id": "100001"})
            seen_status.append(json.loads(result.content[0].text)["status"])
            return "Here it is."

    canceller = Canceller([("cancel_order", {"order_id": "100001", "reason": "no_longer_needed"})], "Cancelled.")
    reader = Reader([], "")

    async def go() -> list[int]:
        runs = await asyncio.gather(run_task(task, mcp_spec(reader), 1), run_task(task, mcp_spec(canceller), 2))
        assert all(run.error is None for run in runs)
        assert runs[1].trajectory.store.get("orders", "100001")["status"] == "cancelled"
        assert runs[0].trajectory.store.get("orders", "100001")["status"] != "cancelled"
        async with httpx.AsyncClient() as http:  # both trials are over: their paths are gone
            statuses = [(await http.post(url, json={})).status_code for url in (reader.url, canceller.url)]
        await close_host()
        return statuses

    assert asyncio.run(go()) == [404, 404]
    assert reader.url != canceller.url
    assert seen_status and seen_status[0] != "cancelled"


def test_an_mcp_agent_that_returns_tool_calls_fails_the_trial(mini_task, run_agent) -> None:
    spec = AgentSpec("bad", lambda context: _harness_agent(CANCEL_CALLS[:1], "x"), factory=True, uses_mcp=True)
    run = run_agent(mini_task("cancel"), spec)
    assert run.error is None and run.trajectory.end_reason == "agent_crash"
    assert "MCP endpoint" in run.trajectory.crash["message"]


@tool(writes=False, parameters={"properties": {}})
def explode(store: Any) -> Any:
    """A tool with a bug."""
    raise RuntimeError("bug in the tool")


def test_a_tool_crashing_under_an_mcp_call_is_a_harness_error_not_the_agents(mini_domain) -> None:
    tools = ToolSet([explode])
    agent = McpCalls([("explode", {})], "All good.")

    async def go() -> EpisodeError:
        async with trial_endpoint(tools) as endpoint:
            context = AgentContext(store="mini", policy="Be nice.", info={}, language="en", trial=1, seed=1,
                                   mcp_url=endpoint.url)
            setup = EpisodeSetup(agent=agent, tools=tools, store=mini_domain.new_store(),
                                 customer=ScriptedCustomer(["Hi"]), context=context, max_turns=3, max_steps=3,
                                 timeout_s=30, served=endpoint)
            with pytest.raises(EpisodeError) as caught:
                await run_episode(setup)
        await close_host()
        return caught.value

    error = asyncio.run(go())
    assert error.source == "tool" and "bug in the tool" in error.message
    assert "harness failed" in agent.texts[0][0] and agent.texts[0][1] is True


def test_the_oracle_over_mcp_gets_the_same_verdicts_on_every_shipped_task() -> None:
    files = sorted(glob.glob(str(ROOT / "tasks" / "**" / "*.task.yaml"), recursive=True))
    assert len(files) > 50

    async def go() -> list[str]:
        differences = []
        for path in files:
            unit = load_unit(path)
            plain = await run_trial(unit, "oracle", 1)
            served = await run_trial(unit, "oracle", 1, settings=TrialSettings(mcp=True))
            assert served["tool_calls"] == plain["tool_calls"]
            if (plain["outcome"], plain["dimensions"], plain["verdicts"]) != (
                    served["outcome"], served["dimensions"], served["verdicts"]):
                differences.append(f"{path}: {plain['outcome']} vs {served['outcome']} {served['error']}")
            assert plain["outcome"] == "pass", path
        await close_host()
        return differences

    assert asyncio.run(go()) == []


def test_a_run_with_ecom_mcp_passes_and_one_without_never_imports_mcp(mini_project) -> None:
    result = mini_project.run("--agent=oracle", "--ecom-mcp", "--repeat=2", "-p", "no:randomly")
    result.assert_outcomes(passed=6)
    script = ("import sys, pytest\n"
              "code = pytest.main(['-q', '-p', 'no:cacheprovider', '--agent=oracle'])\n"
              "assert 'mcp' not in sys.modules and 'pytest_ecom.serving' not in sys.modules, 'mcp was imported'\n"
              "sys.exit(int(code))\n")
    mini_project.write("run_oracle.py", script)
    proc = mini_project.pytester.run(__import__("sys").executable, "run_oracle.py")
    assert proc.ret == 0, proc.stdout.str() + proc.stderr.str()


def test_the_rerun_command_keeps_ecom_mcp(mini_project) -> None:
    mini_project.write("agents_here.py", "def nothing(messages, tools, context):\n    return 'No.'\n")
    result = mini_project.run("--agent=agents_here:nothing", "--ecom-mcp", "-k", "cancel_kettle")
    assert any("--ecom-mcp" in line for line in mini_project.rerun_commands(result))


# -- pytest-ecom mcp-server: the stdio form ------------------------------------------------------


def _stdio(*args: str) -> Any:
    from mcp import StdioServerParameters

    return StdioServerParameters(command=__import__("sys").executable,
                                 args=["-m", "pytest_ecom.cli", "mcp-server", *args], cwd=str(ROOT))


def test_the_stdio_server_serves_a_fresh_store_whose_writes_persist_until_it_ends() -> None:
    domain = load_domain("home_appliances", ROOT / "tasks")
    reason = domain.tools["cancel_order"].parameters["properties"]["reason"]["enum"][0]
    calls = [("get_order", {"order_id": "100202"}), ("cancel_order", {"order_id": "100202", "reason": reason}),
             ("get_order", {"order_id": "100202"}), ("cancel_order", {"order_id": 100202}), ("nope", {})]

    async def go() -> tuple[list[Any], list[tuple[str, bool]]]:
        async with Client(_stdio("home_appliances")) as client:
            listed = (await client.list_tools()).tools
            answers = []
            for name, arguments in calls:
                result = await client.call_tool(name, arguments)
                answers.append((result.content[0].text, not result.is_error))
        return listed, answers

    listed, answers = asyncio.run(go())
    assert [(t.name, t.input_schema) for t in listed] == [
        (s["function"]["name"], s["function"]["parameters"]) for s in domain.tools.schemas()]
    store = domain.new_store()  # the harness, on a fresh store: the same texts, the write seen by the next read
    assert answers == [(r.content, r.ok) for r in (domain.tools.call(store, n, a) for n, a in calls)]
    assert json.loads(answers[0][0])["status"] != json.loads(answers[2][0])["status"]


def test_the_stdio_server_refuses_a_task_of_another_store(tmp_path: Path) -> None:
    import subprocess
    import sys

    task = next(iter(sorted(glob.glob(str(ROOT / "tasks" / "seller_support" / "**" / "*.task.yaml"), recursive=True))))
    proc = subprocess.run([sys.executable, "-m", "pytest_ecom.cli", "mcp-server", "home_appliances", "--task", task],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "not 'home_appliances'" in proc.stderr


def test_schema_http_agent_prints_the_published_wire_format() -> None:
    import subprocess
    import sys

    from pytest_ecom.agents.http_agent import http_agent_json_schema

    proc = subprocess.run([sys.executable, "-m", "pytest_ecom.cli", "schema", "--http-agent"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout) == http_agent_json_schema()


def test_an_agent_declares_mcp_by_attribute_or_registration() -> None:
    from pytest_ecom.agents import as_agent_spec, register_agent, resolve_agent

    def plain(messages, tools, context):  # noqa: ANN001
        return "hi"

    async def wants(messages, tools, context):  # noqa: ANN001
        return "hi"

    wants.uses_mcp = True  # type: ignore[attr-defined]
    assert not as_agent_spec("plain", plain).uses_mcp and as_agent_spec("wants", wants).uses_mcp
    register_agent("mcp_by_registration", plain, uses_mcp=True)
    assert resolve_agent("mcp_by_registration").uses_mcp
    http = resolve_agent("http://127.0.0.1:9/agent")
    assert http.factory and not http.uses_mcp  # it speaks MCP when the run serves it (--ecom-mcp)


def test_the_stdio_server_starts_from_a_tasks_store_with_task() -> None:
    task = ROOT / "tasks" / "home_appliances" / "returns" / "damaged_kettle.task.yaml"
    prepared = load_unit(task)
    name, arguments = prepared.searches[0]

    async def go() -> str:
        async with Client(_stdio(prepared.task.store, "--task", str(task))) as client:
            return (await client.call_tool(name, dict(arguments))).content[0].text

    assert asyncio.run(go()) == prepared.domain.tools.call(prepared.new_store(), name, dict(arguments)).content


def test_calls_over_mcp_count_against_the_tool_budget(mini_task, run_agent) -> None:
    task = mini_task("cancel")
    budget = task.max_tool_calls
    agent = McpCalls([("get_order", {"order_id": "100001"})] * (budget + 5), "Anything else?")
    outcome = run_agent(task, mcp_spec(agent))
    traj = outcome.trajectory
    assert outcome.error is None
    assert traj.end_reason == "tool_budget"
    assert len(traj.calls) == budget  # the call past the budget was not run
    # nor recorded, nor any the agent tried after it: every call in the trajectory has its result
    assert sum(1 for m in traj.messages if m.get("tool_calls")) == budget
    assert sum(1 for m in traj.messages if m["role"] == "tool") == budget
    assert all(text == agent.texts[budget] for text in agent.texts[budget:])
    assert "the trial is over" in agent.texts[budget][0] and agent.texts[budget][1] is True


def test_the_bridges_own_mcp_client_failing_is_the_harnesss_error_not_the_agents() -> None:
    """A harness-driven agent over MCP: when the harness's client cannot reach the endpoint, the
    bridge raises ConnectionError (a trial error), not an agent failure."""
    from pytest_ecom.runner.mcp_bridge import McpBridge

    def agent(messages, tools, context):  # never reached
        raise AssertionError("the agent was called")

    async def turn() -> None:
        bridge = McpBridge(agent, max_steps=3)
        context = AgentContext(store="mini", policy="", info={}, language="en", trial=1, seed=1,
                               mcp_url="http://127.0.0.1:9/nobody/mcp")
        try:
            await bridge([{"role": "user", "content": "hi"}], [], context)
        finally:
            await bridge.aclose()

    with pytest.raises(ConnectionError, match="the harness's MCP client failed"):
        asyncio.run(turn())

"""The two agents of docs/agents.md, run as they are shown: an MCP agent on the OpenAI Agents SDK
(docs/examples/mcp_agent.py) and an agent service behind HTTP (docs/examples/http_agent_service.py).
The loopback model stub plays their model: it looks up the order the customer names and reports
it (the golden path of the mini status task: pass); as ``stub-agent-notools`` it answers without
looking anything up (fail)."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom import TrialSettings, run_trial
from pytest_ecom.agents import as_agent_spec, resolve_agent
from pytest_ecom.serving.mcp_host import close_host

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
STATUS = Path(__file__).resolve().parent / "mini" / "tasks" / "status.task.yaml"


def _trial(agent: Any, model: str, base_url: str, mcp: bool = False) -> dict[str, Any]:
    settings = TrialSettings(agent_options={"agent_model": model, "agent_base_url": base_url}, mcp=mcp)

    async def go() -> dict[str, Any]:
        record = await run_trial(STATUS, agent, 1, settings=settings)
        await close_host()
        return record

    return asyncio.run(go())


@pytest.fixture(scope="module")
def mcp_example() -> Any:
    spec = importlib.util.spec_from_file_location("mcp_agent_example", EXAMPLES / "mcp_agent.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("model, outcome", [("stub-agent", "pass"), ("stub-agent-notools", "fail")])
def test_the_openai_agents_mcp_example(mcp_example, stub, mini_domain, model, outcome) -> None:
    spec = as_agent_spec("mcp_agent:OpenAIAgentsMcp", mcp_example.OpenAIAgentsMcp)
    assert spec.uses_mcp  # declared by the class: no --ecom-mcp needed
    record = _trial(spec, model, stub.base_url)
    assert record["outcome"] == outcome, record
    assert record["tool_calls"] == (1 if outcome == "pass" else 0)
    sent = stub.chat_requests(model)
    assert sent and all(body.get("tools") for body in sent)  # the SDK gave the model the MCP-listed tools
    if outcome == "fail":
        assert record["dimensions"]["searches"]["passed"] is False


@pytest.fixture
def http_service(stub) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(model: str) -> str:
        proc = subprocess.Popen([sys.executable, str(EXAMPLES / "http_agent_service.py"), "--model", model,
                                 "--model-base-url", stub.base_url], stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stdout is not None
        return proc.stdout.readline().strip()

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("mcp", [False, True], ids=["harness-tools", "mcp"])
@pytest.mark.parametrize("model, outcome", [("stub-agent", "pass"), ("stub-agent-notools", "fail")])
def test_the_http_agent_service_example(http_service, mini_domain, stub, model, outcome, mcp) -> None:
    url = http_service(model)
    assert url.startswith("http://127.0.0.1:") and url.endswith("/agent")
    record = _trial(resolve_agent(url), model, stub.base_url, mcp=mcp)
    assert record["outcome"] == outcome, record
    assert record["tool_calls"] == (1 if outcome == "pass" else 0)

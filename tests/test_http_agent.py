"""``--agent=http://...`` (agents/http_agent.py): the wire format, the conversation id, and whose
fault each failure is: timeouts, refused connections and 5xx are provider errors; 4xx and bodies
that are not an assistant message are the agent's failure."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
import pytest
from mcp import Client

from pytest_ecom.agents import resolve_agent
from pytest_ecom.agents.http_agent import REPLY_SCHEMA, REQUEST_SCHEMA, http_agent_json_schema
from pytest_ecom.models import llm
from pytest_ecom.runner import run_task
from pytest_ecom.serving.mcp_host import close_host

CANCEL = [("get_order", {"order_id": "100001"}), ("cancel_order", {"order_id": "100001", "reason": "no_longer_needed"})]


def _solve_cancel(request: dict[str, Any]) -> dict[str, Any]:
    """Solves the mini cancel task: over MCP when given an endpoint, else with tool calls."""
    if request["mcp_url"]:
        if len(request["messages"]) == 2:  # the customer's first message
            async def calls() -> None:
                async with Client(request["mcp_url"]) as client:
                    for name, arguments in CANCEL:
                        await client.call_tool(name, arguments)
            asyncio.run(calls())
        return {"role": "assistant", "content": "Your order is cancelled."}
    made = sum(1 for m in request["messages"] if m.get("tool_calls"))
    if made < len(CANCEL):
        name, arguments = CANCEL[made]
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": f"h{made}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]}
    return {"role": "assistant", "content": "Your order is cancelled."}


class _Service(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # /slow: the harness stopped waiting
            pass

    def do_POST(self) -> None:  # noqa: N802
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, request))
        if self.path == "/slow":
            time.sleep(1.5)
        answers = {"/503": (503, b'{"error": "overloaded"}'), "/400": (400, b'{"error": "bad request"}'),
                   "/garbage": (200, b"<html>oops</html>"), "/list": (200, b"[1, 2]"),
                   "/user": (200, b'{"role": "user", "content": "hi"}')}
        if self.path in answers:
            self._answer(*answers[self.path])
        else:
            self._answer(200, json.dumps(_solve_cancel(request)).encode())


@pytest.fixture(scope="module")
def service() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def _run(task: Any, url: str, trial: int = 1, mcp: bool = False) -> Any:
    async def go() -> Any:
        run = await run_task(task, resolve_agent(url), trial, mcp=mcp)
        await close_host()
        return run

    return asyncio.run(go())


def test_an_http_agent_solves_a_task_and_keeps_one_conversation_id_per_trial(service, mini_task) -> None:
    task = mini_task("cancel")
    service.requests.clear()
    first, second = _run(task, f"{service.url}/agent", 1), _run(task, f"{service.url}/agent", 2)
    assert first.error is None and second.error is None
    from pytest_ecom.runner.score import reward, score_trajectory
    assert reward(score_trajectory(task, first.trajectory)) == 1
    requests = [body for path, body in service.requests]
    for body in requests:
        jsonschema.validate(body, REQUEST_SCHEMA)
    ids = [body["conversation_id"] for body in requests]
    assert len(set(ids)) == 2 and ids.count(ids[0]) == len(requests) // 2
    body = requests[0]
    assert body["mcp_url"] is None and {t["function"]["name"] for t in body["tools"]} >= {"get_order", "cancel_order"}
    assert body["context"] == {"store": "mini", "policy": task.domain.policy, "info": {"user_id": "u1"},
                               "language": "en", "trial": 1, "seed": first.seed}
    assert body["messages"][0]["role"] == "system" and body["messages"][1] == {
        "role": "user", "content": "Hi, please cancel my order 100001."}


def test_with_mcp_the_service_gets_the_endpoint_and_answers_with_text(service, mini_task) -> None:
    task = mini_task("cancel")
    service.requests.clear()
    run = _run(task, f"{service.url}/agent", mcp=True)
    assert run.error is None
    assert [(c.name, c.ok) for c in run.trajectory.calls] == [("get_order", True), ("cancel_order", True)]
    from pytest_ecom.runner.score import reward, score_trajectory
    assert reward(score_trajectory(task, run.trajectory)) == 1
    bodies = [body for _, body in service.requests]
    assert all(b["tools"] == [] and b["mcp_url"].endswith("/mcp") for b in bodies)
    assert all(m["role"] != "tool" for b in bodies for m in b["messages"])  # the chat's text only


@pytest.mark.parametrize("path", ["/503", "/slow", "closed"])
def test_timeouts_refused_connections_and_5xx_are_provider_errors(service, mini_task, path) -> None:
    url = "http://127.0.0.1:9/agent" if path == "closed" else service.url + path  # port 9: nobody listens
    before = llm.settings()
    llm.configure(llm.CallSettings(timeout_s=0.5))
    try:
        run = _run(mini_task("cancel"), url)
    finally:
        llm.configure(before)
    assert run.error is not None and run.error.source == "provider", run.error
    expected = {"/503": "answered HTTP 503", "/slow": "did not answer within 0.5 s", "closed": "cannot be reached"}
    assert expected[path] in run.error.message


@pytest.mark.parametrize("path, says", [("/400", "answered HTTP 400"), ("/garbage", "is not JSON"),
                                        ("/list", "not an assistant message"), ("/user", "not an assistant message")])
def test_4xx_and_malformed_replies_are_the_agents_failure(service, mini_task, path, says) -> None:
    run = _run(mini_task("cancel"), service.url + path)
    assert run.error is None and run.trajectory.end_reason == "agent_crash"
    assert says in run.trajectory.crash["message"]


def test_the_published_schema_is_valid_and_describes_both_directions() -> None:
    published = http_agent_json_schema()
    for schema in (published["request"], published["reply"]):
        jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate({"role": "assistant", "content": "Hi"}, REPLY_SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"role": "user", "content": "Hi"}, REPLY_SCHEMA)

"""Each trial's MCP endpoint: streamable HTTP on 127.0.0.1, one path per trial, on one server per
event loop.

The 2026-07-28 revision of MCP is stateless (no session id), so a trial's store cannot hang on a
session: each trial gets its own path, ``http://127.0.0.1:PORT/<random token>/mcp``, and a request
is served by the endpoint its path names. Concurrent trials never share an endpoint; a closed
endpoint answers 404. The server (uvicorn, with the SDK's streamable HTTP transport, stateless,
JSON responses) runs on the trial's own event loop, so a tool call runs on the loop that runs the
episode, between its awaits: it is recorded in order, never concurrently with the episode's own
bookkeeping. It starts with the first endpoint of the loop and runs until :func:`close_host`
(the pytest session's end) or the loop's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
import uvicorn
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from pytest_ecom.serving.mcp_tools import CallTool, ServerName, mcp_result, mcp_tools
from pytest_ecom.tools import ToolSet
from pytest_ecom.version import __version__

HOST = "127.0.0.1"
# What a call gets once its trial is over (its tool budget spent, or the harness failed to run a tool)
TRIAL_OVER = "this call was not run: the trial is over (the harness failed to run a tool, or the tool budget is spent)"


@dataclass(eq=False)
class Endpoint:
    """One trial's tools over MCP. ``call`` serves a call (the episode sets it: it runs and records
    the call); until it is set, or once the endpoint is closed, calls are refused. A ``call`` that
    raises is the harness's failure, not the agent's: the agent gets an error result and the
    exception is kept in ``failure`` for the trial to raise."""

    url: str
    token: str
    listing: list[types.Tool]
    call: CallTool | None = None
    closed: bool = False
    calls: int = 0  # calls served, for tests and benchmarks
    failure: BaseException | None = None
    _host: McpHost | None = field(default=None, repr=False)

    def close(self) -> None:
        """No more calls: the path answers 404 from now on."""
        if not self.closed:
            self.closed = True
            if self._host is not None:
                self._host.endpoints.pop(self.token, None)


class _Uvicorn(uvicorn.Server):
    """uvicorn without its signal handlers: the server lives as long as the pytest session, whose
    Ctrl-C must stay pytest's."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class McpHost:
    """The streamable HTTP server of one event loop, routing each path to its trial's endpoint."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        # Tool name → input schema, for the transport's check of Mcp-Param-* headers on a call.
        # Without it the SDK lists the tools on every call to find the schema (half of a call's
        # cost). A name means the same tool wherever it is served, and none of our schemas declares
        # such headers, so one schema per name gives every trial the same check.
        self._schemas: dict[str, Any] = {}
        self._server = Server(ServerName, version=__version__, on_list_tools=self._list_tools,
                              on_call_tool=self._call_tool, get_tool_input_schema=self._schemas.get)
        self._manager = StreamableHTTPSessionManager(
            app=self._server, json_response=True, stateless=True,
            # Only loopback names: a web page the tester opens cannot reach a trial's store.
            security_settings=TransportSecuritySettings(
                enable_dns_rebinding_protection=True, allowed_hosts=[f"{HOST}:*", "localhost:*"],
                allowed_origins=[f"http://{HOST}:*", "http://localhost:*"]),
        )
        # An IPPROTO_TCP socket: asyncio sets TCP_NODELAY only on those, and without it every
        # response waits out the peer's delayed ACK (40 ms a call on Linux).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.bind((HOST, 0))
        self.port: int = self._socket.getsockname()[1]
        self._uvicorn = _Uvicorn(uvicorn.Config(self._route, log_config=None, access_log=False,
                                                lifespan="off", log_level="warning", interface="asgi3"))
        self._task: asyncio.Task[None] | None = None

    # -- endpoints -------------------------------------------------------------------------

    def open(self, tools: ToolSet, call: CallTool | None = None) -> Endpoint:
        """A new endpoint serving ``tools``; its URL is unguessable by another trial."""
        token = secrets.token_urlsafe(12)
        endpoint = Endpoint(f"http://{HOST}:{self.port}/{token}/mcp", token, mcp_tools(tools), call, _host=self)
        self.endpoints[token] = endpoint
        self._schemas.update((t.name, t.input_schema) for t in endpoint.listing)
        return endpoint

    def _endpoint(self, ctx: Any) -> Endpoint | None:
        request = getattr(ctx, "request", None)
        path = getattr(getattr(request, "url", None), "path", "")
        return self.endpoints.get(path.strip("/").split("/")[0])

    async def _list_tools(self, ctx: Any, params: Any) -> types.ListToolsResult:
        endpoint = self._endpoint(ctx)
        return types.ListToolsResult(tools=endpoint.listing if endpoint is not None else [])

    async def _call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        endpoint = self._endpoint(ctx)
        if endpoint is None or endpoint.call is None:
            return mcp_result(json.dumps({"error": "this trial's tools are closed"}), False)
        if endpoint.failure is not None:  # the trial is over (its tool budget, a crash): nothing more runs
            return mcp_result(json.dumps({"error": TRIAL_OVER}), False)
        endpoint.calls += 1
        try:
            text, ok = await endpoint.call(params.name, params.arguments)
        except Exception as exc:  # noqa: BLE001 - handed to the trial, which sorts it
            if endpoint.failure is None:
                endpoint.failure = exc
            return mcp_result(json.dumps({"error": TRIAL_OVER}), False)
        return mcp_result(text, ok)

    async def _route(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        token = scope.get("path", "").strip("/").split("/")[0]
        if scope["type"] == "http" and scope["path"] == f"/{token}/mcp" and token in self.endpoints:
            await self._manager.handle_request(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        body = json.dumps({"error": "no open trial at this path"}).encode()
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    # -- lifetime --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Serve from now on (returns once the socket listens)."""
        self._task = asyncio.get_running_loop().create_task(self._serve(), name="pytest-ecom MCP server")
        while not self._uvicorn.started:
            if self._task.done():  # it failed to start: say why
                self._task.result()
            await asyncio.sleep(0.001)

    async def _serve(self) -> None:
        try:
            async with self._manager.run():
                await self._uvicorn.serve(sockets=[self._socket])
        finally:
            self._socket.close()

    async def stop(self) -> None:
        for endpoint in list(self.endpoints.values()):
            endpoint.close()
        if self._task is None:
            self._socket.close()
            return
        self._uvicorn.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


_HOSTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[McpHost, asyncio.Event]] = weakref.WeakKeyDictionary()


async def loop_host() -> McpHost:
    """The running loop's server, started on first use (concurrent first trials share one)."""
    loop = asyncio.get_running_loop()
    found = _HOSTS.get(loop)
    if found is not None and (found[0].running or not found[1].is_set()):
        host, ready = found
        await ready.wait()
        return host
    host, ready = McpHost(), asyncio.Event()
    _HOSTS[loop] = (host, ready)
    try:
        await host.start()
    finally:
        ready.set()
    return host


async def close_host() -> None:
    """Stop the running loop's server, if it has one."""
    found = _HOSTS.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found[0].stop()


@contextlib.asynccontextmanager
async def trial_endpoint(tools: ToolSet) -> Any:
    """A trial's endpoint on this loop's server, closed when the block ends."""
    host = await loop_host()
    endpoint = host.open(tools)
    try:
        yield endpoint
    finally:
        endpoint.close()

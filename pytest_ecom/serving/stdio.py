"""``pytest-ecom mcp-server``: one store's tools over MCP on stdin/stdout, for agents that spawn
their own tool server (as ECom-Bench's agents do, one server per trial).

The server owns one fresh store for its whole life: the store's seed data (its fixture), or with a
task file that task's starting store; writes change it until the process ends. Tool names,
descriptions, schemas, results and error texts are the harness's own (the same
:meth:`~pytest_ecom.tools.ToolSet.call`). Nothing is recorded or scored: the harness is not there.
"""

from __future__ import annotations

from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from pytest_ecom.serving.mcp_tools import ServerName, mcp_result, mcp_tools
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet
from pytest_ecom.version import __version__


def stdio_tool_server(tools: ToolSet, store: Store) -> Server[Any]:
    """An MCP server whose tools run on ``store``."""
    listing = mcp_tools(tools)

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listing)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        result = tools.call(store, params.name, params.arguments)
        return mcp_result(result.content, result.ok)

    return Server(ServerName, version=__version__, on_list_tools=list_tools, on_call_tool=call_tool)


def serve_stdio(tools: ToolSet, store: Store) -> None:
    """Serve until stdin closes."""
    server = stdio_tool_server(tools, store)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)

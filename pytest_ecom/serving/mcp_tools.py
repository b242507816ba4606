"""A :class:`~pytest_ecom.tools.ToolSet` in MCP's terms: the listing and a call's result.

An MCP agent must see what a harness-driven agent sees: the same names, descriptions and JSON
Schemas (the OpenAI definitions' ``parameters``, without our ``x-`` annotations), and the same
result text, an error included (``{"error": "..."}``, flagged ``isError``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import mcp_types as types

from pytest_ecom.tools import ToolSet

ServerName = "pytest-ecom"

# What serves a call: (tool name, arguments as the agent sent them) → (result text, ok).
CallTool = Callable[[str, Any], Awaitable[tuple[str, bool]]]


def mcp_tools(tools: ToolSet) -> list[types.Tool]:
    """The tools as MCP lists them, schemas exactly as :meth:`ToolSet.schemas` gives them."""
    listed = []
    for schema in tools.schemas():
        fn = schema["function"]
        listed.append(types.Tool(name=fn["name"], description=fn["description"], input_schema=fn["parameters"]))
    return listed


def mcp_result(text: str, ok: bool) -> types.CallToolResult:
    """A tool's answer as MCP returns it: the harness's text, ``isError`` when the tool refused."""
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=not ok)


def result_text(result: Any) -> str:
    """The text of an MCP ``CallToolResult`` (its text parts, joined), as an agent would read it."""
    return "".join(part.text for part in result.content if getattr(part, "type", None) == "text")

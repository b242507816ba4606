"""Tools: JSON-Schema-described functions that read or write a store."""

from pytest_ecom.tools.registry import Tool, ToolError, ToolResult, ToolSet, need_record, tool
from pytest_ecom.tools.arguments import normalize_arguments

__all__ = ["Tool", "ToolError", "ToolResult", "ToolSet", "need_record", "normalize_arguments", "tool"]

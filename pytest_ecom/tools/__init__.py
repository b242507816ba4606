"""Tools: JSON-Schema-described functions that read or write a store."""

from pytest_ecom.tools.registry import Tool, ToolError, ToolResult, ToolSet, need_record, tool
from pytest_ecom.tools.arguments import LENIENT, ArgumentRules, Checked, normalize_arguments

__all__ = ["LENIENT", "ArgumentRules", "Checked", "Tool", "ToolError", "ToolResult", "ToolSet", "need_record",
           "normalize_arguments", "tool"]

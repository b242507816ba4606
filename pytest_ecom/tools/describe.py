"""A tool's arguments as text for task authors: types, allowed values, required fields.

``pytest-ecom tools STORE`` prints this; ``--json`` gives the OpenAI definitions the agent gets.
"""

from __future__ import annotations

from typing import Any

from pytest_ecom.tools.registry import Tool

# Constraints worth an author's eye, in the order shown.
_LIMITS = (("pattern", "pattern {}"), ("format", "format {}"), ("minLength", "at least {} char(s)"),
           ("maxLength", "at most {} char(s)"), ("minimum", ">= {}"), ("exclusiveMinimum", "> {}"),
           ("maximum", "<= {}"), ("exclusiveMaximum", "< {}"), ("minItems", "at least {} items"),
           ("maxItems", "at most {} items"))


def type_of(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> str:
    """``string``, ``"a" | "b"`` (an enum), ``list of integer``, ``string or null`` ..."""
    defs = defs or {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = defs.get(ref.rsplit("/", 1)[-1], {})
    if "const" in schema:
        return _literal(schema["const"])
    if "enum" in schema:
        return " | ".join(_literal(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(type_of(s, defs) for s in schema[key])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}), defs)}"
    if kind == "object" and schema.get("properties"):
        return "object {" + ", ".join(schema["properties"]) + "}"
    return str(kind)


def _literal(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def argument_lines(tool: Tool) -> list[str]:
    """One line per argument: ``name*: type, limits (default: x) — description`` (``*``: required)."""
    props = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", ()))
    defs = tool.parameters.get("$defs", {})
    lines = []
    for name, schema in props.items():
        parts = [type_of(schema, defs)]
        parts += [text.format(schema[key]) for key, text in _LIMITS if key in schema]
        if schema.get("uniqueItems"):
            parts.append("no repeats")
        if "default" in schema:
            parts.append(f"default {_literal(schema['default'])}")
        if schema.get("x-free-text"):
            parts.append("free text")
        line = f"{name}{'*' if name in required else ''}: {', '.join(parts)}"
        description = " ".join(str(schema.get("description", "")).split())
        lines.append(f"{line} — {description}" if description else line)
    return lines


def signature(tool: Tool) -> str:
    """``name(a*, b)``: the tool's arguments, required ones starred."""
    required = set(tool.parameters.get("required", ()))
    names = [f"{n}{'*' if n in required else ''}" for n in tool.parameters.get("properties", {})]
    return f"{tool.name}({', '.join(names)})"


def summary(tool: Tool) -> str:
    """The first line of the tool's description."""
    return tool.description.strip().splitlines()[0] if tool.description.strip() else ""

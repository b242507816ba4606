"""Argument normalisation against a tool's JSON Schema.

Agents (and task authors) write ``"100234"`` or ``100234`` for the same order
id. Before a call is validated, executed or compared, scalar arguments are
coerced to the type the schema declares when that is lossless, defaults are
filled in and arrays declared ``uniqueItems`` (sets) are sorted, so that comparisons judge meaning rather than spelling.
"""

from __future__ import annotations

import json
from typing import Any


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        return value
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind == "integer" and isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return value  # left for the schema check to report
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "number" and isinstance(value, str):
        try:
            return float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            return value
    if kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "array" and isinstance(value, list) and isinstance(schema.get("items"), dict):
        items = [_coerce(v, schema["items"]) for v in value]
        # uniqueItems declares a set: order carries no meaning, so compare it sorted
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True)) if schema.get("uniqueItems") else items
    if kind == "object" and isinstance(value, dict):
        return normalize_arguments(schema, value)
    return value


def normalize_arguments(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """Coerce scalars to the declared types and fill defaults; unknown keys are kept."""
    props: dict[str, Any] = schema.get("properties", {})
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        out[name] = _coerce(value, props[name]) if name in props else value
    for name, prop in props.items():
        if name not in out and "default" in prop:
            out[name] = prop["default"]
    return out

"""How tools read a call's arguments: our lenient rule by default, or a domain's own rules.

Agents (and task authors) write ``"100234"`` or ``100234`` for the same order
id. Under our rule (:data:`LENIENT`), before a call is validated, executed or compared, scalar
arguments are coerced to the type the schema declares when that is lossless, defaults are
filled in and arrays declared ``uniqueItems`` (sets) are sorted, so that comparisons judge
meaning rather than spelling; then the JSON Schema decides.

A domain reproducing another server gives its tools other :class:`ArgumentRules` (the
``ecom_bench`` store checks calls as ECom-Bench's server does); the generic code only asks each
tool's rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator


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


# -- how a tool reads a call's arguments ---------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A call's arguments as a tool's rules read them.

    ``arguments`` is what the tool runs with (and what the trajectory records as executed);
    ``problems`` says, one sentence each, why the call is refused; ``message`` is what the agent
    reads then (empty when the call may run).
    """

    arguments: dict[str, Any]
    problems: tuple[str, ...] = ()
    message: str = ""


Check = Callable[[dict[str, Any]], Checked]


class ArgumentRules:
    """How a domain's tools read the arguments an agent sends.

    This base class is our own rule, the default of every tool: scalars are coerced to the
    declared type when that is lossless (``100234`` and ``"100234"`` are the same id), defaults are
    filled in, and what is left must satisfy the tool's JSON Schema, which forbids unknown keys
    (``refuses_unknown_keys``: the ``tool`` decorator closes the schema the agent is served).

    A domain that must check calls the way another server does passes other rules to its tools
    (``tool(..., arguments=...)``); ``compile`` is called once per tool, when it is defined.
    """

    refuses_unknown_keys: bool = True

    def compile(self, name: str, schema: dict[str, Any]) -> Check:
        validator = Draft202012Validator(schema)

        def check(arguments: dict[str, Any]) -> Checked:
            args = normalize_arguments(schema, arguments)
            problems = tuple(schema_problems(validator, args))
            return Checked(args, problems, "invalid arguments: " + "; ".join(problems) if problems else "")

        return check


def schema_problems(validator: Draft202012Validator, arguments: dict[str, Any]) -> list[str]:
    """JSON Schema violations as readable sentences, ``path: message``."""
    out = []
    for err in sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in err.absolute_path)
        out.append(f"{where}: {err.message}" if where else err.message)
    return out


LENIENT = ArgumentRules()

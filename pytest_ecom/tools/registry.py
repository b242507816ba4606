"""Tool definitions and a validated, error-safe way to call them."""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from pytest_ecom.store import Store
from pytest_ecom.tools.arguments import LENIENT, ArgumentRules, Check, Checked


class ToolError(Exception):
    """A refusal the agent should read (unknown order, action not allowed, ...)."""


@dataclass(frozen=True)
class ToolResult:
    """What a call returned to the agent: ``content`` is the JSON text it sees."""

    name: str
    arguments: dict[str, Any]
    content: str
    ok: bool

    @property
    def error(self) -> str | None:
        return None if self.ok else json.loads(self.content)["error"]


ToolFunc = Callable[..., Any]


@dataclass(frozen=True)
class Tool:
    """A function over the store, with the JSON Schema of its arguments.

    ``writes`` says whether the tool may change the store; read-only tools are
    what a task's required searches refer to. ``arguments`` are the rules that read a call's
    arguments (:data:`~pytest_ecom.tools.arguments.LENIENT`, our rule, unless the domain
    gives its tools others).
    """

    name: str
    description: str
    parameters: dict[str, Any]
    writes: bool
    func: ToolFunc
    arguments: ArgumentRules = LENIENT
    _check: Check = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        Draft202012Validator.check_schema(self.parameters)
        object.__setattr__(self, "_check", self.arguments.compile(self.name, self.parameters))

    def openai_schema(self) -> dict[str, Any]:
        """The tool as an OpenAI-format function definition: a copy (what agents do to it stays
        theirs) without our ``x-`` annotations, which some providers refuse."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description,
                         "parameters": _without_annotations(self.parameters)},
        }

    def check(self, arguments: Mapping[str, Any]) -> Checked:
        """The arguments as this tool's rules read them: what it runs with, and why it refuses."""
        return self._check(dict(arguments))

    def normalize(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments as the tool would run with them (under our rule: coerced, defaults filled)."""
        return self.check(arguments).arguments

    def problems(self, arguments: Mapping[str, Any]) -> list[str]:
        """Why the tool refuses these arguments, as readable sentences (none: it runs)."""
        return list(self.check(arguments).problems)


def need_record(store: Store, table: str, key: str, what: str, hint: str) -> Any:
    """The record, or a :class:`ToolError` the agent can act on ("order '1' not found; <hint>")."""
    record = store.get(table, key)
    if record is None:
        raise ToolError(f"{what} {key!r} not found; {hint}")
    return record


def tool(
    *, writes: bool, description: str | None = None, parameters: dict[str, Any], name: str | None = None,
    arguments: ArgumentRules = LENIENT,
) -> Callable[[ToolFunc], Tool]:
    """Decorator turning ``func(store, **arguments)`` into a :class:`Tool`.

    The docstring is the description unless one is given. ``arguments``: the rules reading a
    call's arguments; under rules that refuse unknown keys (ours) the schema is closed
    (``additionalProperties: false``), so the agent is told what the tool does with them.
    """

    def wrap(func: ToolFunc) -> Tool:
        desc = description if description is not None else inspect.cleandoc(func.__doc__ or "")
        closed = {"additionalProperties": False} if arguments.refuses_unknown_keys else {}
        schema = {"type": "object", **closed, **parameters}
        return Tool(name or func.__name__, desc, schema, writes, func, arguments)

    return wrap


def _without_annotations(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_annotations(v) for k, v in schema.items() if not str(k).startswith("x-")}
    if isinstance(schema, list):
        return [_without_annotations(v) for v in schema]
    return copy.deepcopy(schema)


def _json_text(value: Any) -> str:
    """A tool's answer as JSON text the agent's provider can always be sent: readable UTF-8, with a lone
    surrogate (say, from the agent's own arguments echoed back) written as its JSON escape."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if not text.isascii() else text


def _error(name: str, arguments: dict[str, Any], message: str) -> ToolResult:
    return ToolResult(name, arguments, _json_text({"error": message}), ok=False)


class ToolSet:
    """The tools of one domain, callable by name with validation."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools:
            if t.name in self._tools:
                raise ValueError(f"duplicate tool name {t.name!r}")
            self._tools[t.name] = t
        self._schemas = [t.openai_schema() for t in self._tools.values()]

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    def __iter__(self):
        return iter(self._tools.values())

    def names(self) -> list[str]:
        return list(self._tools)

    def schemas(self) -> list[dict[str, Any]]:
        """OpenAI-format definitions of every tool, built once; a new list per call.

        Validation and scoring use the tools' own schemas, never these dicts,
        so an agent that edits what it was given cannot change the rules.
        """
        return list(self._schemas)

    def call(self, store: Store, name: str, arguments: str | Mapping[str, Any] | None) -> ToolResult:
        """Run a tool for the agent. Bad input never raises: it becomes an error result.

        Exceptions other than :class:`ToolError` raised by the tool itself are
        bugs of the domain and propagate (the trial becomes a harness error).
        """
        if name not in self._tools:
            return _error(name, {}, f"unknown tool {name!r}; available tools: {', '.join(self._tools)}")
        tool_ = self._tools[name]
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError as exc:
                return _error(name, {}, f"arguments are not valid JSON ({exc.msg} at column {exc.colno})")
            except RecursionError:
                return _error(name, {}, "arguments are nested too deeply to read")
            except ValueError as exc:  # e.g. an integer of more than 4,300 digits
                return _error(name, {}, f"arguments cannot be read: {exc}")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            return _error(name, {}, "arguments must be a JSON object")
        try:
            checked = tool_.check(arguments)
        except RecursionError:
            return _error(name, {}, "arguments are nested too deeply to check")
        args = checked.arguments
        if checked.problems:
            return _error(name, args, checked.message)
        try:
            value = tool_.func(store, **args)
        except ToolError as exc:
            return _error(name, args, str(exc))
        return ToolResult(name, args, _json_text(value), ok=True)

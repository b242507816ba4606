"""How ECom-Bench's server reads a call's arguments, reproduced for the ``ecom_bench`` store.

The reference serves its tools with FastMCP (the MCP Python SDK), which validates a call against a
pydantic model of the tool function's signature, in pydantic's lax mode. Our tools keep the
schemas that model produced (``_schemas.py``), so the model is rebuilt from them:

- strings are strict: ``313021098954`` for a ``"type": "string"`` field is refused ("Input should
  be a valid string"), where our own rule would turn it into ``"313021098954"``; numbers are lax as
  in pydantic (``"2"`` is the integer 2, ``10`` the number 10.0); an enum is a ``Literal``;
- unknown keys are ignored: dropped before the call, never an error;
- a string sent for a field that is not a plain string is first read as JSON when it holds a list
  or an object (FastMCP's pre-parsing: ``"[\\"1\\", \\"2\\"]"`` for a list of ids);
- a refused call gets FastMCP's text, ``Error executing tool <tool>: <pydantic's message>``, e.g.::

      Error executing tool manage_urgent_tool: 1 validation error for manage_urgent_toolArguments
      order_id
        Input should be a valid string [type=string_type, input_value=313021098954, input_type=int]

  without the line linking pydantic's documentation, which names the installed pydantic's version
  (it would make a transcript depend on it).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, create_model

from pytest_ecom.tools import ArgumentRules, Checked
from pytest_ecom.tools.arguments import Check

_SCALARS: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool}
_DOC_LINK = "    For further information visit "


class _Builder:
    """pydantic models of one tool's argument schema (its ``$defs`` become nested models, once each)."""

    def __init__(self, tool: str, schema: dict[str, Any]) -> None:
        self.tool = tool
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.models: dict[str, type[BaseModel]] = {}

    def annotation(self, prop: dict[str, Any], where: str) -> Any:
        if "$ref" in prop:
            ref = prop["$ref"]
            name = ref.removeprefix("#/$defs/")
            if name == ref or name not in self.defs:
                raise TypeError(f"{self.tool}: {where}: cannot resolve $ref {ref!r}")
            if name not in self.models:
                self.models[name] = self.model(self.defs[name], name)
            return self.models[name]
        if "enum" in prop:
            return Literal[tuple(prop["enum"])]
        kind = prop.get("type")
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "array":
            return list[self.annotation(prop["items"], f"{where}[]")] if "items" in prop else list[Any]
        if kind == "object":
            return self.model(prop, prop.get("title", where)) if "properties" in prop else dict[str, Any]
        raise TypeError(f"{self.tool}: {where}: no pydantic type for the schema {prop!r}")

    def model(self, schema: dict[str, Any], title: str) -> type[BaseModel]:
        """The model as FastMCP builds it: a field per property; an optional one defaults to None
        (the reference's ``x: str = None``: omitted is None, an explicit null is refused)."""
        required = set(schema.get("required", ()))
        fields: dict[str, Any] = {}
        for key, prop in schema.get("properties", {}).items():
            annotation = self.annotation(prop, key)
            default = ... if key in required else prop.get("default")
            if key.isidentifier() and not key.startswith("_") and not hasattr(BaseModel, key):
                fields[key] = (annotation, default)
            else:  # a name pydantic keeps for itself: an alias, as FastMCP does
                fields[f"field_{len(fields)}"] = (annotation, Field(default, alias=key))
        return create_model(title, **fields)  # extra keys: pydantic's default, ignored


def _pre_parse(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """FastMCP's pre-parsing: a string sent for a field that is not a plain ``str`` is replaced by
    what it holds as JSON, unless that is a string or a number (``"2"`` stays ``"2"``)."""
    out = dict(arguments)
    for name, info in model.model_fields.items():
        key = info.alias or name
        value = arguments.get(key)
        if not isinstance(value, str) or info.annotation is str:
            continue
        try:
            parsed = json.loads(value)
        except ValueError:  # not JSON (or an integer too long to read): left to the model
            continue
        if not isinstance(parsed, (str, int, float)):
            out[key] = parsed
    return out


def _message(tool: str, exc: ValidationError) -> str:
    text = "\n".join(line for line in str(exc).splitlines() if not line.startswith(_DOC_LINK))
    return f"Error executing tool {tool}: {text}"


def _problem(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


class ReferenceArguments(ArgumentRules):
    """ECom-Bench's server's rules (see the module's docstring)."""

    refuses_unknown_keys = False

    def compile(self, name: str, schema: dict[str, Any]) -> Check:
        model = _Builder(name, schema).model(schema, schema.get("title", f"{name}Arguments"))
        known = {info.alias or field for field, info in model.model_fields.items()}

        def check(arguments: dict[str, Any]) -> Checked:
            sent = _pre_parse(model, arguments)
            try:
                parsed = model.model_validate(sent)
            except ValidationError as exc:
                kept = {key: value for key, value in sent.items() if key in known}
                problems = tuple(_problem(e) for e in exc.errors(include_url=False))
                return Checked(kept, problems, _message(name, exc))
            return Checked(parsed.model_dump(by_alias=True, exclude_unset=True))

        return check


REFERENCE_ARGUMENTS = ReferenceArguments()

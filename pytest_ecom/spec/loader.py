"""YAML file → validated model, with file:line errors and a per-process cache."""

from __future__ import annotations

import difflib
import functools
import os
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pytest_ecom.spec.paths import find_near
from pytest_ecom.spec.errors import FieldProblem, SpecError
from pytest_ecom.spec.models import SCHEMA_VERSION, Persona, Task
from pytest_ecom.spec.yaml_io import line_of, read_yaml

M = TypeVar("M", bound=BaseModel)

TASK_SUFFIX = ".task.yaml"

_FIXES = {
    "missing": "add the field",
    "extra_forbidden": "remove it or check its spelling (see `pytest-ecom schema`)",
    "string_pattern_mismatch": "use letters, digits and underscores, starting with a letter",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
    "finite_number": "use a finite number (not .inf or .nan)",
    "less_than_equal": "use a value within the maximum given (the limits are in docs/task-format.md)",
    "less_than": "use a value below the maximum given",
    "greater_than": "use a positive value",
    "greater_than_equal": "use a value at or above the minimum given",
}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_at(model: type[BaseModel], loc: list[str | int]) -> list[str]:
    """The field names allowed beside ``loc`` (for "did you mean")."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current else None
        current = _model_in(field.annotation) if field else None
        if current is None:
            return []
    return list(current.model_fields) if current else []


def _problem(path: Path, model: type[BaseModel], err: Any) -> tuple[int | None, str, str]:
    loc = [p for p in err["loc"] if isinstance(p, (str, int))]
    where = ".".join(str(p) for p in loc) or "(top level)"
    fix = _FIXES.get(err["type"], "see `pytest-ecom schema` for the expected format")
    raised = (err.get("ctx") or {}).get("error")
    if isinstance(raised, FieldProblem):  # a field check that knows the fix
        fix = raised.fix
    if err["type"] == "missing" and loc:
        fix = f"add `{loc[-1]}:`"
    if err["type"] == "extra_forbidden" and loc:
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(model, loc), n=1)
        if close:
            fix = f"did you mean `{close[0]}`?"
    return line_of(path, loc), f"{where}: {err['msg']}", fix


def _from_validation_error(path: Path, model: type[BaseModel], exc: ValidationError) -> SpecError:
    # A misspelt key also makes the real one "missing": show the misspelling first.
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    line, message, fix = _problem(path, model, errors[0])
    also = [f"line {other_line}: {other}" for other_line, other, _ in (_problem(path, model, e) for e in errors[1:6])]
    if len(errors) > 6:
        also.append(f"and {len(errors) - 6} more problems")
    return SpecError(path, line, message, fix, also)


def parse_model(path: Path, model: type[M]) -> M:
    """Read and validate a YAML file as ``model``; every problem is a :class:`SpecError`."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise SpecError(path, 1, "the file must hold a mapping of fields", "start with `schema_version: 1`")
    version = data.get("schema_version")
    if "schema_version" in model.model_fields and version not in (None, SCHEMA_VERSION):
        raise SpecError(
            path, line_of(path, ["schema_version"]), f"schema_version {version!r} is not supported",
            f"this pytest-ecom reads schema_version {SCHEMA_VERSION}",
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _from_validation_error(path, model, exc) from None


def load_task(path: Path) -> Task:
    """Parse and validate a ``*.task.yaml`` file (``prepare.load_prepared`` caches the result)."""
    return parse_model(Path(path).resolve(), Task)


def find_persona_file(persona_id: str, folder: Path) -> Path | None:
    """``personas/<id>.yaml`` in ``folder`` or its nearest ancestor, else in the project checkout,
    else among the built-in personas an installed wheel ships."""
    return find_near(folder, f"personas/{persona_id}.yaml")


@functools.cache
def _load_persona_file(name: str) -> Persona:  # str key: cheaper to hash than a Path
    path = Path(name)
    persona = parse_model(path, Persona)
    if persona.id != path.name.removesuffix(".yaml"):
        raise SpecError(path, line_of(path, ["id"]), f"persona id {persona.id!r} differs from the file name",
                        f"rename the file to {persona.id}.yaml or set `id: {path.stem}`")
    return persona


def load_persona(persona_id: str, folder: Path) -> Persona:
    path = find_persona_file(persona_id, folder)
    if path is None:
        raise LookupError(persona_id)
    return _load_persona_file(os.path.abspath(path))

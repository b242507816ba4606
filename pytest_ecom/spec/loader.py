"""YAML file → validated model, with file:line errors and a per-process cache."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from pytest_ecom.spec.errors import SpecError
from pytest_ecom.spec.models import SCHEMA_VERSION, Persona, Task
from pytest_ecom.spec.yaml_io import line_of, read_yaml

M = TypeVar("M", bound=BaseModel)

TASK_SUFFIX = ".task.yaml"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]

_FIXES = {
    "missing": "add the field",
    "extra_forbidden": "remove it or check its spelling (see `pytest-ecom schema`)",
    "string_pattern_mismatch": "use letters, digits and underscores, starting with a letter",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
}


def _from_validation_error(path: Path, exc: ValidationError) -> SpecError:
    err = exc.errors()[0]
    loc = [p for p in err["loc"] if isinstance(p, (str, int))]
    where = ".".join(str(p) for p in loc) or "(top level)"
    more = len(exc.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    fix = _FIXES.get(err["type"], "see `pytest-ecom schema` for the expected format")
    if err["type"] == "missing":
        fix = f"add `{loc[-1]}:`" if loc else fix
    return SpecError(path, line_of(path, loc), f"{where}: {err['msg']}{tail}", fix)


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
        raise _from_validation_error(path, exc) from None


@functools.cache
def _load_task_cached(path: Path, stamp: tuple[int, int]) -> Task:
    return parse_model(path, Task)


def load_task(path: Path) -> Task:
    """Parse a ``*.task.yaml`` file once per process (re-read when it changes)."""
    path = Path(path).resolve()
    st = path.stat()
    return _load_task_cached(path, (st.st_mtime_ns, st.st_size))


def find_persona_file(persona_id: str, near: Path) -> Path | None:
    """``personas/<id>.yaml`` in the nearest ancestor of ``near``, else in the project checkout."""
    start = near if near.is_dir() else near.parent
    for folder in (start, *start.parents, _PROJECT_ROOT):
        candidate = folder / "personas" / f"{persona_id}.yaml"
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _load_persona_file(path: Path) -> Persona:
    persona = parse_model(path, Persona)
    if persona.id != path.name.removesuffix(".yaml"):
        raise SpecError(path, line_of(path, ["id"]), f"persona id {persona.id!r} differs from the file name",
                        f"rename the file to {persona.id}.yaml or set `id: {path.stem}`")
    return persona


def load_persona(persona_id: str, near: Path) -> Persona:
    path = find_persona_file(persona_id, near)
    if path is None:
        raise LookupError(persona_id)
    return _load_persona_file(path.resolve())

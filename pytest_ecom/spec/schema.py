"""The JSON Schemas of task, sample and persona files, generated from the pydantic models.

Each has a stable ``$id`` (``urn:pytest-ecom:schema:<kind>:v<format version>``) that changes only
with the file format, and is committed beside this module (``<kind>.schema.json``, shipped in the
package) so editors can point at it; a test keeps the committed files equal to the models.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pytest_ecom.spec.models import SCHEMA_VERSION, Persona, Task
from pytest_ecom.spec.samples import Sample

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_id(kind: str, version: int) -> str:
    return f"urn:pytest-ecom:schema:{kind}:v{version}"


def _stamped(schema: dict[str, Any], kind: str, title: str, version: int = SCHEMA_VERSION) -> dict[str, Any]:
    schema["$schema"] = DRAFT
    schema["$id"] = schema_id(kind, version)
    schema["title"] = title
    return schema


def task_json_schema() -> dict[str, Any]:
    return _stamped(Task.model_json_schema(), "task", "pytest-ecom task (*.task.yaml)")


def sample_json_schema() -> dict[str, Any]:
    return _stamped(Sample.model_json_schema(), "sample", "pytest-ecom stage-wise sample (*.sample.yaml)")


def persona_json_schema() -> dict[str, Any]:
    return _stamped(Persona.model_json_schema(), "persona", "pytest-ecom persona (personas/*.yaml)")


SCHEMAS = {"task": task_json_schema, "sample": sample_json_schema, "persona": persona_json_schema}
SCHEMA_FILES = {kind: Path(__file__).with_name(f"{kind}.schema.json") for kind in SCHEMAS}
SCHEMA_FILE = SCHEMA_FILES["task"]


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


MODELINE = "# yaml-language-server: $schema="


def schema_kind(path: Path) -> str | None:
    """Which schema a YAML file follows, by its name and folder: task, sample, persona or none."""
    name = path.name
    if name.endswith(".task.yaml"):
        return "task"
    if name.endswith(".sample.yaml"):
        return "sample"
    if path.parent.name == "personas" and name.endswith(".yaml"):
        return "persona"
    return None


def modeline(path: Path) -> str | None:
    """The yaml-language-server first line of the file at ``path``: its schema, as a path relative
    to the file's folder (editors resolve it offline; no URL is needed)."""
    kind = schema_kind(path)
    if kind is None:
        return None
    target = os.path.relpath(SCHEMA_FILES[kind].resolve(), path.resolve().parent)
    return MODELINE + Path(target).as_posix()


def with_modeline(text: str, line: str | None) -> str:
    """``text`` beginning with ``line`` (an earlier modeline replaced), or unchanged without one."""
    if line is None:
        return text
    if text.startswith(MODELINE):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    return f"{line}\n{text}"

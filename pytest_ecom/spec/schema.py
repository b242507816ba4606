"""The JSON Schema of task files, generated from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_ecom.spec.models import Persona, Task

SCHEMA_FILE = Path(__file__).with_name("task.schema.json")


def task_json_schema() -> dict[str, Any]:
    schema = Task.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "pytest-ecom task (*.task.yaml)"
    return schema


def persona_json_schema() -> dict[str, Any]:
    return Persona.model_json_schema()


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

"""The committed JSON Schema of task files matches the models, and agrees with them."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from pytest_ecom.spec import SpecError, Task, load_task
from pytest_ecom.spec.schema import SCHEMA_FILE, render, task_json_schema

MINI_TASKS = ("cancel", "address", "status")


def test_committed_schema_is_up_to_date():
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == render(task_json_schema()), (
        "pytest_ecom/spec/task.schema.json is stale: the task models changed. Regenerate it with\n"
        "    pytest-ecom schema > pytest_ecom/spec/task.schema.json"
    )


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.mark.parametrize("name", MINI_TASKS)
def test_valid_tasks_satisfy_the_schema(validator, mini_copy, name):
    data = yaml.safe_load((mini_copy / "tasks" / f"{name}.task.yaml").read_text())
    assert list(validator.iter_errors(data)) == []
    Task.model_validate(data)


@pytest.mark.parametrize(("edit", "path"), [
    (lambda d: d.update(colour="red"), []),
    (lambda d: d["customer"].update(mood="grumpy"), ["customer"]),
    (lambda d: d.pop("scenario"), []),
    (lambda d: d.update(schema_version=2), ["schema_version"]),
    (lambda d: d.update(id="has spaces"), ["id"]),
    (lambda d: d["customer"].update(script=[]), ["customer", "script"]),
    (lambda d: d.update(orientation="seller"), ["orientation"]),
])
def test_schema_and_models_reject_the_same_mistakes(validator, mini_copy, edit, path):
    data = yaml.safe_load((mini_copy / "tasks" / "cancel.task.yaml").read_text())
    edit(data)
    errors = list(validator.iter_errors(data))
    assert errors and any(list(e.absolute_path)[:len(path)] == path for e in errors)
    bad = mini_copy / "tasks" / "bad.task.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(SpecError):
        load_task(bad)

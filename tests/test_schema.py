"""The committed JSON Schema of task files matches the models, and agrees with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from pytest_ecom.spec import SpecError, Task, load_task
from pytest_ecom.cli import main
from pytest_ecom.spec.schema import SCHEMA_FILE, SCHEMA_FILES, SCHEMAS, render, schema_kind, task_json_schema

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


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_committed_sample_and_persona_schemas_are_up_to_date(kind):
    assert SCHEMA_FILES[kind].read_text(encoding="utf-8") == render(SCHEMAS[kind]()), (
        f"pytest_ecom/spec/{kind}.schema.json is stale. Regenerate it with\n"
        f"    pytest-ecom schema{'' if kind == 'task' else ' --' + kind} > pytest_ecom/spec/{kind}.schema.json")


@pytest.mark.parametrize(("flag", "schema_id", "title"), [
    ([], "urn:pytest-ecom:schema:task:v1", "pytest-ecom task (*.task.yaml)"),
    (["--sample"], "urn:pytest-ecom:schema:sample:v1", "pytest-ecom stage-wise sample (*.sample.yaml)"),
    (["--persona"], "urn:pytest-ecom:schema:persona:v1", "pytest-ecom persona (personas/*.yaml)"),
    (["--report"], "urn:pytest-ecom:schema:report:v1", None),
])
def test_every_published_schema_has_a_stable_id(capsys, flag, schema_id, title):
    assert main(["schema", *flag]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == schema_id
    assert title is None or schema["title"] == title


def test_the_sample_schema_accepts_samples_and_rejects_an_unknown_field():
    from conftest import MINI_SAMPLES  # the test data of stage-wise samples

    validator = Draft202012Validator(json.loads(SCHEMA_FILES["sample"].read_text(encoding="utf-8")))
    files = sorted(MINI_SAMPLES.glob("*.sample.yaml"))
    assert files
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(data)) == [], path
        data["colour"] = "red"
        assert [list(e.absolute_path) for e in validator.iter_errors(data)] == [[]]
        data.pop("colour")
        data["task_type"] = "guess_the_mood"
        assert any(list(e.absolute_path) == ["task_type"] for e in validator.iter_errors(data))


# -- editor support: a yaml-language-server modeline is an ordinary comment -----------------

@pytest.fixture
def in_mini_copy(mini_copy, monkeypatch):
    monkeypatch.chdir(mini_copy)
    return mini_copy


MODELINE = "# yaml-language-server: $schema=../.schemas/task.schema.json\n"


def test_a_modeline_is_accepted_and_error_lines_still_point_at_the_mistake(in_mini_copy, capsys, find_line):
    task = in_mini_copy / "tasks" / "cancel.task.yaml"
    task.write_text(MODELINE + task.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["validate", "tasks"]) == 0
    capsys.readouterr()
    text = task.read_text(encoding="utf-8").replace("store: mini", "store: mini\ncolour: red")
    task.write_text(text, encoding="utf-8")
    assert main(["validate", "tasks/cancel.task.yaml"]) == 1
    err = capsys.readouterr().err
    assert f"tasks/cancel.task.yaml:{find_line(text, 'colour: red')}: colour: Extra inputs" in err


def test_a_modeline_on_a_sample_is_accepted(in_mini_copy, capsys):
    from conftest import MINI_SAMPLES

    sample = in_mini_copy / "tasks" / "rewrite_kettle.sample.yaml"
    text = (MINI_SAMPLES / "rewrite_kettle.sample.yaml").read_text(encoding="utf-8")
    sample.write_text(MODELINE.replace("task.schema", "sample.schema") + text, encoding="utf-8")
    assert main(["validate", "tasks/rewrite_kettle.sample.yaml"]) == 0


def test_pytest_collects_a_task_with_a_modeline_and_reports_the_right_line(mini_project, find_line):
    text = MODELINE + mini_project.task_text("cancel").replace("store: mini", "store: mini\ncolour: red")
    mini_project.write("tasks/cancel.task.yaml", text)
    result = mini_project.run("--collect-only", "-q")
    assert f"tasks/cancel.task.yaml:{find_line(text, 'colour: red')}: colour: Extra inputs" in (
        mini_project.output(result))


# -- the shipped files carry the modeline, and so does what the importers write -----------------

def _modeline_target(path: Path) -> Path:
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first.startswith("# yaml-language-server: $schema="), path
    return (path.parent / first.split("$schema=", 1)[1]).resolve()


def test_every_shipped_task_sample_and_persona_points_its_editor_at_its_schema():
    root = Path(__file__).resolve().parents[1]
    files = [*root.glob("tasks/**/*.task.yaml"), *root.glob("tasks/**/*.sample.yaml"), *root.glob("personas/*.yaml")]
    assert len(files) > 150
    for path in files:
        kind = schema_kind(path)
        assert _modeline_target(path) == root / "pytest_ecom" / "spec" / f"{kind}.schema.json", path


def test_imported_files_begin_with_a_modeline_that_resolves(tmp_path: Path):
    from pytest_ecom.importers.common import write_files

    out = tmp_path / "deep" / "imported"
    write_files(out, {"a.task.yaml": "schema_version: 1\n", "x/b.sample.yaml": "schema_version: 1\n",
                      "notes.md": "text\n"})
    assert _modeline_target(out / "a.task.yaml") == SCHEMA_FILES["task"].resolve()
    assert _modeline_target(out / "x" / "b.sample.yaml") == SCHEMA_FILES["sample"].resolve()
    assert (out / "notes.md").read_text(encoding="utf-8") == "text\n"
    assert (out / "a.task.yaml").read_text(encoding="utf-8").endswith("\nschema_version: 1\n")

"""Task ids are unique across a project's task files, whichever files run; one suffix per kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_ecom.cli import main
from pytest_ecom.spec.task_files import TaskIds, find_root, misspelt_suffix, task_files_under, task_id_in

# The mini project's status task, copied under a name that sorts before and one that sorts after it.
COPIES = ("a_first/status.task.yaml", "zz_last/status.task.yaml")
DUPLICATE = "task id 'order_status' is used by 2 files: {}, tasks/status.task.yaml"


def _dup_error_lines(out: str) -> list[str]:
    return sorted({line[line.index("task id"):] for line in out.splitlines() if "is used by" in line})


@pytest.mark.parametrize("copy", COPIES)
@pytest.mark.parametrize("which", ["copy", "shipped", "both"])
def test_a_duplicate_id_is_the_same_error_whichever_file_runs(mini_project, copy, which):
    mini_project.write(copy, mini_project.task_text("status"))
    args = {"copy": [copy], "shipped": ["tasks/status.task.yaml"], "both": [copy, "tasks/status.task.yaml"]}[which]
    result = mini_project.run("--agent=oracle", *args)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    out = mini_project.output(result)
    both = sorted([copy, "tasks/status.task.yaml"])
    assert _dup_error_lines(out) == [f"task id 'order_status' is used by 2 files: {both[0]}, {both[1]}"], out
    errors = [line for line in result.stdout.lines if line.startswith("ERROR ")]
    expected = {"copy": [copy], "shipped": ["tasks/status.task.yaml"], "both": both}[which]
    assert sorted(line.split()[1] for line in errors) == expected  # each file run is refused, none blamed
    assert "fix: give each task file its own id" in out


def test_validate_applies_the_same_rule(mini_copy, monkeypatch, capsys):
    monkeypatch.chdir(mini_copy)
    (mini_copy / "zz_last").mkdir()
    (mini_copy / "zz_last" / "status.task.yaml").write_text((mini_copy / "tasks" / "status.task.yaml").read_text())
    for args in (["zz_last"], ["tasks/status.task.yaml"], ["."]):
        assert main(["validate", *args]) == 1
        err = capsys.readouterr().err
        assert _dup_error_lines(err) == ["task id 'order_status' is used by 2 files: tasks/status.task.yaml, "
                                         "zz_last/status.task.yaml"], (args, err)
        assert "status.task.yaml:2: task id" in err  # the line of `id:`
    assert main(["validate", "tasks/cancel.task.yaml"]) == 0  # the others are fine


def test_an_id_freed_by_an_edit_is_free_again(tmp_path):
    a, b = tmp_path / "a.task.yaml", tmp_path / "b.task.yaml"
    a.write_text("id: one\n")
    b.write_text("id: one\n")
    ids = TaskIds(tmp_path)
    ids.claim("two", b)  # b as loaded says `two` (the scan read it before an edit)
    ids.claim("one", a)


@pytest.mark.parametrize(("text", "expected"), [
    ("schema_version: 1\nid: plain_id\n", "plain_id"),
    ("id: 'quoted'   # a comment\n", "quoted"),
    ('id: "double"\n', "double"),
    ("# yaml-language-server: $schema=x.json\nschema_version: 1\nid: after_modeline\n", "after_modeline"),
    ("customer:\n  id: nested\n", None),  # not the task's id
    ("expect: {}\n", None),
])
def test_ids_are_read_without_parsing(tmp_path, text, expected):
    path = tmp_path / "x.task.yaml"
    path.write_text(text)
    assert task_id_in(path) == expected


def test_the_scan_skips_folders_pytest_skips(tmp_path):
    for rel in ("tasks/a.task.yaml", ".git/b.task.yaml", "node_modules/c.task.yaml", "env/d.task.yaml",
                "tasks/e.sample.yaml", "tasks/f.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("id: x\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("")
    assert [p.relative_to(tmp_path).as_posix() for p in task_files_under(tmp_path)] == [
        "tasks/a.task.yaml", "tasks/e.sample.yaml"]


def test_the_root_is_the_nearest_folder_with_a_project_file(tmp_path):
    (tmp_path / "proj" / "tasks" / "deep").mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("")
    assert find_root([tmp_path / "proj" / "tasks" / "deep"]) == tmp_path / "proj"
    (tmp_path / "other" / "t").mkdir(parents=True)  # no project file: as pytest, with the working folder
    assert find_root([tmp_path / "other" / "t"], cwd=tmp_path / "other") == tmp_path / "other"


# -- one suffix: *.task.yml / *.sample.yml are refused by pytest and validate alike -----------

@pytest.mark.parametrize(("name", "right"), [("notes.task.yml", "notes.task.yaml"),
                                             ("ask.sample.yml", "ask.sample.yaml")])
def test_a_yml_suffix_is_refused_by_pytest_with_the_rename(mini_project, name, right):
    mini_project.write(f"tasks/{name}", mini_project.task_text("status"))
    for args in ([], [f"tasks/{name}"]):
        result = mini_project.run("--collect-only", *args)
        assert result.ret == pytest.ExitCode.INTERRUPTED
        out = mini_project.output(result)
        assert f"tasks/{name}: pytest-ecom reads *{right[right.index('.'):]} files, not *{name[name.index('.'):]}" in out
        assert f"fix: rename it to {right}" in out


@pytest.mark.parametrize("args", [["tasks"], ["tasks/notes.task.yml"]])
def test_a_yml_suffix_is_refused_by_validate(mini_copy, monkeypatch, capsys, args):
    monkeypatch.chdir(mini_copy)
    (mini_copy / "tasks" / "notes.task.yml").write_text("id: wrong_suffix\n")
    assert main(["validate", *args]) == 1
    err = capsys.readouterr().err
    assert "tasks/notes.task.yml: pytest-ecom reads *.task.yaml files, not *.task.yml" in err
    assert "fix: rename it to notes.task.yaml" in err


def test_misspelt_suffix_leaves_other_names_alone():
    assert misspelt_suffix(Path("a.task.yaml")) is None and misspelt_suffix(Path("ci.yml")) is None

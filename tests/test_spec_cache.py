"""The cache of checked specs: used when nothing changed, ignored when anything did."""

from __future__ import annotations

import os

import pytest

from pytest_ecom.prepare import task as prepare_module
from pytest_ecom.prepare.task import load_prepared
from pytest_ecom.spec import SpecError
from pytest_ecom.prepare.spec_cache import SpecCache


@pytest.fixture
def fresh_process(monkeypatch):
    """Forget what this process memoised, as a new pytest run would."""
    monkeypatch.setattr(prepare_module, "_MEMO", {})
    monkeypatch.setattr(prepare_module, "_STAMPS", {None: ()})


def _touch(path, seconds=5):
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def test_a_checked_task_is_not_parsed_again_in_a_later_run(mini_copy, tmp_path, fresh_process, monkeypatch):
    task_file = mini_copy / "tasks" / "cancel.task.yaml"
    cache_file = tmp_path / "cache" / "specs.pickle"
    cache = SpecCache(cache_file)
    first = load_prepared(task_file, cache)
    assert SpecCache(cache_file).entries == {}  # nothing is written until the caller saves
    cache.save()

    prepare_module._MEMO.clear()
    calls = []
    real = prepare_module.prepare
    monkeypatch.setattr(prepare_module, "prepare", lambda *a: calls.append(a) or real(*a))
    again = load_prepared(task_file, SpecCache(cache_file))
    assert calls == []  # served from the cache: no parsing, no checks
    assert (again.id, again.tags, again.digest, again.searches, again.actions) == (
        first.id, first.tags, first.digest, first.searches, first.actions)
    # what only a run needs is still there, built on first use
    assert again.task == first.task
    assert again.persona == first.persona
    assert again.expected.snapshot(again.expected.changed()) == first.expected.snapshot(first.expected.changed())


@pytest.mark.parametrize("changed", ["task", "persona", "store"])
def test_a_change_to_anything_the_checks_read_voids_the_entry(mini_copy, tmp_path, fresh_process, monkeypatch,
                                                               changed):
    task_file = mini_copy / "tasks" / "cancel.task.yaml"
    cache_file = tmp_path / "specs.pickle"
    cache = SpecCache(cache_file)
    load_prepared(task_file, cache)
    cache.save()
    target = {"task": task_file, "persona": next((mini_copy / "personas").glob("*.yaml")),
              "store": mini_copy / "fixtures" / "mini" / "store.json"}[changed]
    _touch(target)
    prepare_module._MEMO.clear()
    prepare_module._STAMPS.clear()
    prepare_module._STAMPS[None] = ()
    from pytest_ecom.domains import registry

    registry._NEAR.clear()
    registry._load.cache_clear()
    calls = []
    real = prepare_module.prepare
    monkeypatch.setattr(prepare_module, "prepare", lambda *a: calls.append(a) or real(*a))
    load_prepared(task_file, SpecCache(cache_file))
    assert len(calls) == 1  # checked again


def test_a_broken_file_is_reported_even_when_its_old_version_was_cached(mini_copy, tmp_path, fresh_process):
    task_file = mini_copy / "tasks" / "cancel.task.yaml"
    cache = SpecCache(tmp_path / "specs.pickle")
    load_prepared(task_file, cache)
    cache.save()
    task_file.write_text(task_file.read_text().replace("store: mini", "store: mini\ncolour: red"))
    prepare_module._MEMO.clear()
    with pytest.raises(SpecError, match="colour: Extra inputs are not permitted"):
        load_prepared(task_file, SpecCache(tmp_path / "specs.pickle"))


def test_a_damaged_cache_file_is_ignored(tmp_path):
    (tmp_path / "specs.pickle").write_bytes(b"not a pickle")
    assert SpecCache(tmp_path / "specs.pickle").entries == {}


def test_pytest_runs_use_and_refresh_the_cache(mini_project):
    mini_project.run("--agent=oracle", cache=True).assert_outcomes(passed=3)
    assert (mini_project.path / ".pytest_cache" / "d" / "pytest-ecom" / "specs.pickle").is_file()
    mini_project.run("--agent=oracle", cache=True).assert_outcomes(passed=3)  # served from the cache
    text = mini_project.task_text("cancel").replace("store: mini", "store: mini\ncolour: red")
    mini_project.write("tasks/cancel.task.yaml", text)
    result = mini_project.run("--agent=oracle", cache=True)
    assert "colour: Extra inputs are not permitted" in result.stdout.str()

"""``*.task.yaml`` → a File collector → one item per trial (``id[i-N]``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom.pytest_plugin.items import TrialItem
from pytest_ecom.prepare.persona_grid import variant_task
from pytest_ecom.prepare.sample import PreparedSample, load_prepared_sample
from pytest_ecom.prepare.task import PreparedTask, load_prepared
from pytest_ecom.pytest_plugin.state import STATE
from pytest_ecom.spec import SpecError
from pytest_ecom.spec.task_files import TaskIds, misspelt_suffix

NO_AGENT = "no --agent given: tasks were collected and validated; pass --agent=NAME (e.g. --agent=oracle) to run them"
_SKIP_NO_AGENT = pytest.mark.skip(reason=NO_AGENT)  # built once: collection adds it to every item


SEEN_TAGS = pytest.StashKey[set[str]]()
TASK_IDS = pytest.StashKey[TaskIds]()


def register_tag_markers(config: pytest.Config, tags: list[str]) -> None:
    """Task tags become markers; registering them keeps ``--strict-markers`` happy."""
    seen = config.stash.setdefault(SEEN_TAGS, set())
    for tag in tags:
        if tag not in seen:
            seen.add(tag)
            config.addinivalue_line("markers", f"{tag}: pytest-ecom task tag")


def task_ids(config: pytest.Config) -> TaskIds:
    """The run's task ids: the rootdir's task files (scanned like pytest walks folders) and
    everything collected (a suite outside the rootdir too)."""
    found = config.stash.get(TASK_IDS, None)
    if found is None:
        found = config.stash[TASK_IDS] = TaskIds(config.rootpath, config.getini("norecursedirs"),
                                                 config.invocation_params.dir)
    return found


class MisspeltFile(pytest.File):
    """A ``*.task.yml`` / ``*.sample.yml``: refused with the rename, as `pytest-ecom validate` does."""

    def collect(self) -> Iterator[pytest.Item]:
        problem = misspelt_suffix(self.path)
        assert problem is not None
        raise self.CollectError(problem.format(self.config.invocation_params.dir))


class EcomFile(pytest.File):
    """One task or sample file. Every problem in it is a collection error naming file, line and fix."""

    def load(self) -> Any:
        raise NotImplementedError

    def skip_reason(self, prepared: Any) -> str | None:
        return None

    def variants(self, prepared: Any) -> list[tuple[Any, str]]:
        """What each group of trial items runs, and the prefix of their ``[...]`` id part."""
        return [(prepared, "")]

    def collect(self) -> Iterator[TrialItem]:
        here = self.config.invocation_params.dir
        try:
            prepared = self.load()
            task_ids(self.config).claim(prepared.id, prepared.path)
        except SpecError as exc:
            raise self.CollectError(exc.format(here)) from None
        settings = self.config.stash[STATE].settings
        skip = self.skip_reason(prepared)
        tags = list(prepared.tags)
        register_tag_markers(self.config, tags)
        n = settings.repeat
        for target, prefix in self.variants(prepared):
            yield from self._trials(prepared.id, target, prefix, n, tags, skip)

    def _trials(self, task_id: str, prepared: Any, prefix: str, n: int, tags: list[str],
                skip: str | None) -> Iterator[TrialItem]:
        settings = self.config.stash[STATE].settings
        for trial in range(1, n + 1):
            name = f"{task_id}[{prefix}{trial}-{n}]"
            # The id is given as a string so pytest >= 9.2 parses "[i-N]" as params, exactly as it
            # parses the ids stored by --lf; built from the name it would never match them.
            item = TrialItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}", prepared=prepared,
                                         trial=trial, repeat=n)
            item.add_marker("ecom")
            for tag in tags:
                item.add_marker(tag)
            if skip:
                item.add_marker(pytest.mark.skip(reason=skip))
            elif settings.agent is None:
                item.add_marker(_SKIP_NO_AGENT)
            yield item


class TaskFile(EcomFile):
    """A ``*.task.yaml``: an end-to-end conversation over a store."""

    def load(self) -> PreparedTask:
        return load_prepared(self.path, self.config.stash[STATE].spec_cache)

    def variants(self, prepared: PreparedTask) -> list[tuple[Any, str]]:
        """With ``--ecom-persona-grid``: one group per persona variant, ids ``task[calm-high-clear-i-N]``."""
        grid = self.config.stash[STATE].settings.persona_grid
        if grid is None:
            return [(prepared, "")]
        return [(variant_task(prepared, v), f"{v.label}-") for v in grid.variants()]


class SampleFile(EcomFile):
    """A ``*.sample.yaml``: one stage-wise prompt and its expected answer."""

    def load(self) -> PreparedSample:
        return load_prepared_sample(self.path)

    def skip_reason(self, prepared: PreparedSample) -> str | None:
        reason = prepared.sample.malformed
        if reason and not self.config.stash[STATE].settings.include_malformed:
            return f"malformed sample: {reason} (run it anyway with --ecom-include-malformed)"
        return None

"""``*.task.yaml`` → a File collector → one item per trial (``id[i-N]``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_ecom.items import TrialItem
from pytest_ecom.options import SETTINGS
from pytest_ecom.prepare import load_prepared
from pytest_ecom.spec import SpecError
from pytest_ecom.spec.yaml_io import line_of

NO_AGENT = "no --agent given: tasks were collected and validated; pass --agent=NAME (e.g. --agent=oracle) to run them"


SEEN_TAGS = pytest.StashKey[set[str]]()
TASK_FILES = pytest.StashKey[dict[str, Path]]()


def register_tag_markers(config: pytest.Config, tags: list[str]) -> None:
    """Task tags become markers; registering them keeps ``--strict-markers`` happy."""
    seen = config.stash.setdefault(SEEN_TAGS, set())
    for tag in tags:
        if tag not in seen:
            seen.add(tag)
            config.addinivalue_line("markers", f"{tag}: pytest-ecom task tag")


class TaskFile(pytest.File):
    """One task file. Every problem in it is a collection error naming file, line and fix."""

    def collect(self) -> Iterator[TrialItem]:
        try:
            prepared = load_prepared(self.path)
        except SpecError as exc:
            raise self.CollectError(exc.format(self.config.invocation_params.dir)) from None
        owners = self.config.stash.setdefault(TASK_FILES, {})
        other = owners.setdefault(prepared.id, self.path)
        if other != self.path:
            # Records, seeds and pass^k are keyed by task id: two files must never share one.
            err = SpecError(self.path, line_of(self.path, ["id"]), f"task id {prepared.id!r} is also used by {other}",
                            "give each task file its own id")
            raise self.CollectError(err.format(self.config.invocation_params.dir))
        settings = self.config.stash[SETTINGS]
        tags = list(prepared.task.tags)
        register_tag_markers(self.config, tags)
        n = settings.repeat
        for trial in range(1, n + 1):
            name = f"{prepared.id}[{trial}-{n}]"
            # The id is given as a string so pytest >= 9.2 parses "[i-N]" as params, exactly as it
            # parses the ids stored by --lf; built from the name it would never match them.
            item = TrialItem.from_parent(self, name=name, nodeid=f"{self.nodeid}::{name}", prepared=prepared,
                                         trial=trial, repeat=n)
            for tag in tags:
                item.add_marker(tag)
            if settings.agent is None:
                item.add_marker(pytest.mark.skip(reason=NO_AGENT))
            yield item

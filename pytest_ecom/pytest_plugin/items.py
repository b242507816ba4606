"""The trial item: a thin view over the core.

Its setup asks :func:`pytest_ecom.runner.run_trial` (through the session's pool, which also starts
the trials after it, across tasks, up to ``--ecom-concurrency`` in flight) for the trial's record:
a harness error shows as pytest ERROR.
Its runtest turns a failing record into FAILED with what differed, the last turns and a command
that reruns exactly this trial.
"""

from __future__ import annotations

import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom.pytest_plugin.failure import TrialError, TrialFailed, story_repr
from pytest_ecom.pytest_plugin.state import STATE
from pytest_ecom.reporting.story import explain
from pytest_ecom.results.record import TrialRecord
from pytest_ecom.runner import NOT_RUN, Unit, run_trial


class TrialItem(pytest.Item):
    def __init__(self, *, prepared: Unit, trial: int, repeat: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prepared = prepared
        self.trial = trial
        self.repeat = repeat
        self.record: TrialRecord | None = None
        self.not_run: str | None = None  # why the trial was not started ("budget")

    @property
    def key(self) -> tuple[str, int]:
        return self.prepared.id, self.trial

    def start_trial(self) -> Coroutine[Any, Any, TrialRecord]:
        """The trial's run, to be started by the session's pool (now, or ahead of this item)."""
        state = self.config.stash[STATE]
        assert state.agent is not None
        return run_trial(self.prepared, state.agent, self.trial, repeat=self.repeat, settings=state.settings.trial,
                         budget=state.budget)

    def setup(self) -> None:
        state = self.config.stash[STATE]
        assert state.pool is not None and state.lookahead is not None
        pool = state.pool
        record = pool.get(self.key, self.start_trial, state.lookahead.upcoming(self, pool),
                          state.lookahead.stop(self.session, pool))
        error = record["error"]
        if error is not None and error["source"] == NOT_RUN:
            self.not_run = "budget"
            pytest.skip(error["message"])
        self.record = record
        if error is not None:
            raise TrialError(error["message"])

    def runtest(self) -> None:
        assert self.record is not None
        if self.record["outcome"] != "pass":
            raise TrialFailed()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, (TrialFailed, TrialError)) and self.record is not None:
            settings = self.config.stash[STATE].settings
            here = Path(os.path.relpath(self.path, self.config.invocation_params.dir)).as_posix()
            return story_repr(explain(self.record, settings.rerun_command(f"{here}::{self.name}")), here)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Any, int, str]:
        return self.path, 0, f"trial {self.name}"

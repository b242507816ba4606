"""Resuming a run from its JSON-lines log (``--ecom-log`` writes it, ``--ecom-resume`` reads it).

The log holds one JSON object per line: a *run header* (``{"format": "pytest-ecom/log",
"version": 1, "fingerprint": {...}, "resumed": false}``) each time a session opens it, then
one trial record per finished trial. A log may hold several runs one after the other: a
run starts at the header of a session started without ``--ecom-resume`` and goes on with
the sessions that resumed it. Resuming reads the last run only, keeps the last record of
each (task, trial), and refuses the log when that run is another one (other agent, options
or pytest-ecom version). A line that cannot be read — typically the last one, cut short
when the run was killed — is skipped with its number; the rest is kept.

Pure module: no pytest import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pytest_ecom.results.fingerprint import run_differences
from pytest_ecom.results.record import TrialRecord

LOG_FORMAT = "pytest-ecom/log"
LOG_VERSION = 1
# What a trial record must carry for resuming to use it.
RECORD_KEYS = ("task", "trial", "outcome", "task_digest", "repeat")

TrialKey = tuple[str, int]


class ResumeError(ValueError):
    """The log cannot be resumed from (missing, another run's, or of an unknown version)."""


def log_header(fingerprint: Mapping[str, Any], resumed: bool = False) -> dict[str, Any]:
    """``resumed``: this session continues the run before it (else it starts a new run)."""
    return {"format": LOG_FORMAT, "version": LOG_VERSION, "fingerprint": dict(fingerprint), "resumed": resumed}


def _is_header(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("format") == LOG_FORMAT


def open_log(path: Path, fingerprint: Mapping[str, Any], resumed: bool = False) -> TextIO:
    """Open the log for appending and write this session's run header.

    A log whose last line was cut short (a killed run) first gets a newline, so the header
    starts a line of its own and only the cut line is lost.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    cut = False
    if path.exists() and path.stat().st_size:
        with path.open("rb") as f:
            f.seek(-1, 2)
            cut = f.read(1) != b"\n"
    log = path.open("a", encoding="utf-8", errors="backslashreplace")  # a stray surrogate must not stop the run
    if cut:
        log.write("\n")
    log.write(json.dumps(log_header(fingerprint, resumed), ensure_ascii=False) + "\n")
    log.flush()
    return log


@dataclass
class ResumeLog:
    path: Path
    records: dict[TrialKey, TrialRecord] = field(default_factory=dict)  # the last record of each trial
    skipped: list[str] = field(default_factory=list)  # one warning per unreadable line

    def done(self) -> list[tuple[str, int, str]]:
        """(task, trial, task digest) of every logged trial: what the workers need to deselect."""
        return [(task, trial, r["task_digest"]) for (task, trial), r in sorted(self.records.items())]


def read_log(path: Path, fingerprint: Mapping[str, Any]) -> ResumeLog:
    """Read a log to resume a run of ``fingerprint`` (see :func:`~pytest_ecom.results.fingerprint.run_fingerprint`)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ResumeError(f"{path}: cannot read the log to resume from ({exc.strerror or exc})") from None
    log = ResumeLog(path)
    header_seen = False
    for number, entry in _last_run(text):
        if isinstance(entry, json.JSONDecodeError):
            log.skipped.append(f"{path}:{number}: skipped a line that is not valid JSON "
                               f"(cut short when the run stopped?): {entry.msg}")
            continue
        if _is_header(entry):
            if entry.get("version") != LOG_VERSION:
                raise ResumeError(f"{path}:{number}: a log of version {entry.get('version')!r}; this pytest-ecom "
                                  f"reads version {LOG_VERSION}")
            found = entry.get("fingerprint")
            diffs = run_differences(found if isinstance(found, Mapping) else {}, fingerprint, ("in the log", "now"))
            if diffs:
                diff = "; ".join(diffs)
                raise ResumeError(f"{path}:{number}: the last run in this log is a different run ({diff}); "
                                  "refusing to mix them: resume with the same agent and options, "
                                  "or start a new run (without --ecom-resume)")
            header_seen = True
            continue
        if not isinstance(entry, dict) or any(key not in entry for key in RECORD_KEYS):
            log.skipped.append(f"{path}:{number}: skipped a line that is not a trial record")
            continue
        if not header_seen:
            raise ResumeError(f"{path}:{number}: a trial record before any run header: cannot tell which run "
                              "wrote it (a log of an older pytest-ecom?); start a new log")
        key = (entry["task"], entry["trial"])
        if entry["outcome"] == "error":  # a provider outage, a rate-limit storm: worth running again
            log.records.pop(key, None)
            continue
        log.records[key] = entry
    return log


def _last_run(text: str) -> list[tuple[int, Any]]:
    """(line number, parsed entry or its JSON error) of the lines of the log's last run."""
    entries: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                entries.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                entries.append((number, exc))
    starts = [i for i, (_, entry) in enumerate(entries) if _is_header(entry) and not entry.get("resumed")]
    return entries[starts[-1]:] if starts else entries


@dataclass(frozen=True)
class ResumePlan:
    """Which collected trials the log already has (``resumed``), and the tasks whose file
    changed since they were logged (``stale``: their trials run again)."""

    resumed: frozenset[TrialKey]
    stale: frozenset[str]


def plan(collected: Iterable[tuple[str, int, str]], done: Iterable[Iterable[Any]]) -> ResumePlan:
    """``collected``: (task, trial, digest) of the collected trials; ``done``: the logged ones.

    Every process of an xdist run computes the same plan from the same data, so the
    workers keep collecting the same items.
    """
    logged = {(str(task), int(trial)): str(digest) for task, trial, digest in done}
    resumed, stale = set(), set()
    for task, trial, digest in collected:
        found = logged.get((task, trial))
        if found is None:
            continue
        if found == digest:
            resumed.add((task, trial))
        else:
            stale.add(task)
    # a changed task runs all its trials again: its report must not mix two versions of it
    return ResumePlan(frozenset(k for k in resumed if k[0] not in stale), frozenset(stale))


@dataclass
class LoggedRun:
    """The last run of a log, as ``pytest-ecom rescore`` reads it: its fingerprint (of the first
    session) and the last record of each trial, errors included."""

    path: Path
    fingerprint: dict[str, Any] = field(default_factory=dict)
    records: list[TrialRecord] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one warning per unreadable line


def read_run(path: Path) -> LoggedRun:
    """Read the last run of a log (see :func:`read_log` for what a run is), for scoring it again."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ResumeError(f"{path}: cannot read the log ({exc.strerror or exc})") from None
    run = LoggedRun(path)
    last: dict[TrialKey, TrialRecord] = {}
    for number, entry in _last_run(text):
        if isinstance(entry, json.JSONDecodeError):
            run.skipped.append(f"{path}:{number}: skipped a line that is not valid JSON "
                               f"(cut short when the run stopped?): {entry.msg}")
        elif _is_header(entry):
            if entry.get("version") != LOG_VERSION:
                raise ResumeError(f"{path}:{number}: a log of version {entry.get('version')!r}; this pytest-ecom "
                                  f"reads version {LOG_VERSION}")
            if not run.fingerprint and isinstance(entry.get("fingerprint"), dict):
                run.fingerprint = entry["fingerprint"]
        elif not isinstance(entry, dict) or any(key not in entry for key in RECORD_KEYS):
            run.skipped.append(f"{path}:{number}: skipped a line that is not a trial record")
        else:
            key = (entry["task"], entry["trial"])
            last.pop(key, None)  # a trial run again (a resumed error) is kept in its new place
            last[key] = entry  # type: ignore[assignment]
    if not run.fingerprint and not last:
        raise ResumeError(f"{path}: no pytest-ecom run in this file (write one with --ecom-log)")
    run.records = list(last.values())
    return run

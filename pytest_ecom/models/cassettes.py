"""Record and replay of model calls (``--ecom-record DIR`` / ``--ecom-replay DIR``).

A cassette is one JSON-lines file per trial, ``DIR/<task id>/trial-<n>.jsonl``, one line per model
call in the order the trial made them: its number, role, model, the hash of the request and what
the call returned (with its token counts). Replay looks a call up by (task, trial, call number)
and checks the request's hash: keying by the hash alone would give every trial the same first
answer and collapse pass^k into pass^1. A missing call or a changed request is an error naming the
trial and the call; replay never touches the network.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any


class CassetteError(Exception):
    """Replay cannot answer this call (missing, or the request changed since it was recorded)."""


def request_hash(request: dict[str, Any]) -> str:
    text = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]  # a lone surrogate hashes too


def _file(folder: Path, task: str, trial: int) -> Path:
    return folder / task / f"trial-{trial}.jsonl"


class Recorder:
    """Writes each call of a trial as it returns. The first call of a trial this run writes starts
    its cassette afresh (whatever its number: concurrent calls may return out of order)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._started: set[tuple[str, int]] = set()

    def write(self, task: str, trial: int, number: int, entry: dict[str, Any]) -> None:
        path = _file(self.folder, task, trial)
        with self._lock:
            fresh = (task, trial) not in self._started
            self._started.add((task, trial))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                # backslashreplace writes a lone surrogate as its JSON escape: the line stays valid JSON
                with path.open("w" if fresh else "a", encoding="utf-8", errors="backslashreplace") as fh:
                    fh.write(json.dumps({"call": number, **entry}, ensure_ascii=False) + "\n")
            except OSError as exc:
                raise CassetteError(f"record: cannot write {path}: {exc}") from None


ENTRY_KEYS = ("call", "request_hash", "value", "prompt_tokens", "completion_tokens", "cost_usd")


def _read_cassette(path: Path) -> dict[int, dict[str, Any]]:
    """The calls of one cassette by number; a damaged line (a recording cut short) is an error
    naming the file and line."""
    calls = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteError(f"replay: cannot read {path}: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            missing = [key for key in ENTRY_KEYS if key not in entry]
        except json.JSONDecodeError as exc:
            raise CassetteError(f"replay: {path}:{number}: not a recorded call ({exc.msg}); record the trial "
                                "again with --ecom-record") from None
        if missing or not isinstance(entry.get("call"), int):
            raise CassetteError(f"replay: {path}:{number}: not a recorded call (missing {', '.join(missing) or 'call'})"
                                "; record the trial again with --ecom-record")
        calls[entry["call"]] = entry
    return calls


class Player:
    """Answers calls from recorded cassettes (each file is read once)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: dict[tuple[str, int], dict[int, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _calls(self, task: str, trial: int) -> dict[int, dict[str, Any]]:
        with self._lock:
            if (task, trial) not in self._loaded:
                path = _file(self.folder, task, trial)
                self._loaded[(task, trial)] = _read_cassette(path) if path.is_file() else {}
            return self._loaded[(task, trial)]

    def answer(self, task: str, trial: int, number: int, digest: str) -> dict[str, Any]:
        entry = self._calls(task, trial).get(number)
        where = f"{task} trial {trial}, model call {number}"
        if entry is None:
            raise CassetteError(f"replay: no recorded call for {where} in {_file(self.folder, task, trial)} "
                                "(record the run again with --ecom-record)")
        if entry["request_hash"] != digest:
            raise CassetteError(f"replay: the request of {where} differs from the recorded one "
                                f"({entry['request_hash']} recorded, {digest} now): the prompt, tools or "
                                "conversation changed; record the run again with --ecom-record")
        return entry

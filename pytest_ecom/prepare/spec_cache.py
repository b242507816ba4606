"""Validated task specs kept across runs, so an unchanged task tree is collected without
parsing and checking every file again.

An entry is trusted only while the task file, its store's data, policy and tool code,
its persona file and pytest-ecom's own code are unchanged (compared by mtime and size).
The cache is one pickle file in pytest's cache folder, written atomically.
"""

from __future__ import annotations

import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_ecom.version import __version__

_FORMAT = ("pytest-ecom/spec-cache", 4, __version__, sys.version_info[:2])


@dataclass(frozen=True)
class Entry:
    """What collection needs of a checked task (its file is parsed again only if it runs)."""

    stamp: tuple[int, int]  # the task file's (mtime_ns, size)
    depends: tuple[Any, ...]  # stamps of everything else its checks read
    digest: str
    id: str
    tags: tuple[str, ...]
    store: str
    persona: str
    searches: tuple[tuple[str, dict[str, Any]], ...]  # golden calls, normalised
    actions: tuple[tuple[str, dict[str, Any]], ...]


class SpecCache:
    def __init__(self, file: Path | None = None) -> None:
        self.file = file
        self.entries: dict[str, Entry] = {}
        self._dirty = False
        if file is not None and file.is_file():
            try:
                data = pickle.loads(file.read_bytes())
                if data.get("format") == _FORMAT:
                    self.entries = data["entries"]
            except Exception:  # a damaged or foreign cache is simply ignored
                self.entries = {}

    def get(self, path: Path) -> Entry | None:
        return self.entries.get(str(path))

    def put(self, path: Path, entry: Entry) -> None:
        self.entries[str(path)] = entry
        self._dirty = True

    def save(self) -> str | None:
        """Write the cache; returns a reason instead of raising when it cannot (a cache is optional)."""
        if not self._dirty or self.file is None:
            return None
        tmp = self.file.with_name(f"{self.file.name}.{os.getpid()}.tmp")  # one per process (xdist workers)
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(pickle.dumps({"format": _FORMAT, "entries": self.entries},
                                         protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(self.file)  # readers see the old file or the new one, never half of one
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            return f"could not write the spec cache {self.file}: {exc}"
        self._dirty = False
        return None

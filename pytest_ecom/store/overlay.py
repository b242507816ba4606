"""Copy-on-write store.

The base tables are loaded once per process and never written. A trial's
:class:`Store` keeps its own overlay: the first time a record is edited it is
deep-copied into the overlay, so nested edits cannot leak into the base or
into another trial. Comparing two stores built on the same base only has to
look at the records either overlay touched, so a trial's cost does not grow
with the size of the shop.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pytest_ecom.spec.errors import SpecError

RecordKey = tuple[str, str]
Tables = Mapping[str, Mapping[str, Any]]

_DELETED: Any = object()  # in an overlay: the trial deleted this record
_MISSING: Any = object()  # lookup result: the overlay has no entry


def load_tables(path: Path) -> dict[str, dict[str, Any]]:
    """Load a store fixture: a JSON object of tables, each a JSON object of records."""
    with path.open(encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise SpecError(path, exc.lineno, f"invalid JSON in the store fixture: {exc.msg}",
                            "fix the JSON (e.g. python -m json.tool <file>)") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise SpecError(path, 1, "a store fixture must map table names to objects of records",
                        'write {"table": {"key": {...record...}}}')
    return data


class Store:
    """One trial's view of a shared base with its own copy-on-write overlay."""

    __slots__ = ("_base", "_overlay")

    def __init__(self, base: Tables, overlay: dict[RecordKey, Any] | None = None) -> None:
        self._base = base
        self._overlay: dict[RecordKey, Any] = dict(overlay or {})

    # -- reading -------------------------------------------------------------
    def get(self, table: str, key: str, default: Any = None) -> Any:
        """The current record, or ``default``. Do not mutate it: use :meth:`edit`."""
        found = self._overlay.get((table, key), _MISSING)
        if found is not _MISSING:
            return default if found is _DELETED else found
        return self._base.get(table, {}).get(key, default)

    def __contains__(self, item: RecordKey) -> bool:
        return self.get(*item, default=_DELETED) is not _DELETED

    def keys(self, table: str) -> list[str]:
        """Keys of a table in a stable order: base order, then records added by the trial."""
        base = self._base.get(table, {})
        out = [k for k in base if self._overlay.get((table, k)) is not _DELETED]
        out += [k for (t, k), v in self._overlay.items() if t == table and k not in base and v is not _DELETED]
        return out

    def records(self, table: str) -> Iterator[tuple[str, Any]]:
        for key in self.keys(table):
            yield key, self.get(table, key)

    def tables(self) -> list[str]:
        names = list(self._base)
        names += [t for t, _ in self._overlay if t not in self._base and t not in names]
        return names

    # -- writing -------------------------------------------------------------
    def edit(self, table: str, key: str) -> Any:
        """The record for in-place editing; copied into the overlay on first edit."""
        record_key = (table, key)
        found = self._overlay.get(record_key, _MISSING)
        if found is not _MISSING and found is not _DELETED:
            return found
        base = self._base.get(table, {}).get(key, _DELETED) if found is _MISSING else _DELETED
        if base is _DELETED:
            raise KeyError(f"{table}/{key} does not exist")
        record = copy.deepcopy(base)
        self._overlay[record_key] = record
        return record

    def put(self, table: str, key: str, record: Any) -> None:
        """Create or replace a record (the value is copied)."""
        self._overlay[(table, key)] = copy.deepcopy(record)

    def delete(self, table: str, key: str) -> None:
        self._overlay[(table, key)] = _DELETED

    # -- trials --------------------------------------------------------------
    def fork(self) -> Store:
        """A new store starting from this one's current state (overlay copied lazily)."""
        child = Store(self._base)
        # Records already in our overlay are shared until the child edits them,
        # which would break isolation; copy them now (overlays are small).
        child._overlay = {k: (v if v is _DELETED else copy.deepcopy(v)) for k, v in self._overlay.items()}
        return child

    def touched(self) -> set[RecordKey]:
        """Records this trial created, edited or deleted."""
        return set(self._overlay)

    def changed(self) -> list[RecordKey]:
        """Touched records whose value differs from the base, in a stable order."""
        out = []
        for (table, key), value in self._overlay.items():
            base = self._base.get(table, {}).get(key, _DELETED)
            if value is _DELETED or base is _DELETED:
                if value is not base:
                    out.append((table, key))
            elif value != base:
                out.append((table, key))
        return sorted(out)

    def diff_keys(self, other: Store) -> list[RecordKey]:
        """Records whose value differs between two stores on the same base."""
        if other._base is not self._base:
            raise ValueError("stores built on different bases cannot be compared by overlay")
        candidates = self.touched() | other.touched()
        return sorted(k for k in candidates if self.get(*k, default=_DELETED) != other.get(*k, default=_DELETED))

    def overlay_records(self) -> list[dict[str, Any]]:
        """The trial's writes as plain data, in a stable order: ``{"table", "key", "record"}`` for a
        record created or edited, ``{"table", "key", "deleted": True}`` for one deleted. With the
        base, they are the whole final store (:meth:`restore`): what a log keeps of it."""
        out: list[dict[str, Any]] = []
        for (table, key), value in sorted(self._overlay.items()):
            out.append({"table": table, "key": key, "deleted": True} if value is _DELETED
                       else {"table": table, "key": key, "record": copy.deepcopy(value)})
        return out

    def restore(self, records: list[dict[str, Any]]) -> Store:
        """Apply the writes :meth:`overlay_records` described (on the base they were made on): the
        trial's final store again. Returns ``self``."""
        for r in records:
            value = _DELETED if r.get("deleted") else copy.deepcopy(r.get("record"))
            self._overlay[(str(r["table"]), str(r["key"]))] = value
        return self

    def snapshot(self, keys: list[RecordKey] | None = None) -> dict[str, dict[str, Any]]:
        """Plain nested dict of the given records (all touched ones by default), for reports."""
        out: dict[str, dict[str, Any]] = {}
        for table, key in sorted(keys if keys is not None else self.touched()):
            value = self.get(table, key, default=_DELETED)
            out.setdefault(table, {})[key] = None if value is _DELETED else value
        return out

"""Browsing a store's seed data for task authors (``pytest-ecom data``): tables, records, ids.

A record is a mapping with at least one plain field. Some stores nest records in folders of
mappings (ECom-Bench: ``orders/jd/<shop>/<user>/<order>``); their ids are the path below the
table, joined with ``/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any


def _is_folder(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(isinstance(v, Mapping) for v in value.values())


def records(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(id, record) of every record of a table, in stored order."""
    for key, value in table.items():
        rid = f"{prefix}{key}"
        if _is_folder(value):
            yield from records(value, f"{rid}/")
        else:
            yield rid, value


def matches(rid: str, record: Any, needle: str) -> bool:
    """Whether ``needle`` (case-insensitive) appears in the record's id or JSON text."""
    needle = needle.casefold()
    return needle in rid.casefold() or needle in json.dumps(record, ensure_ascii=False).casefold()


def find(table: Mapping[str, Any], rid: str) -> Any:
    """The record ``rid`` (a ``/`` path for nested stores), or KeyError."""
    if rid in table:
        return table[rid]
    node: Any = table
    for part in rid.split("/"):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(rid)
        node = node[part]
    return node


def one_line(record: Any, width: int = 100) -> str:
    """The record's plain fields as ``key=value``, cut to ``width`` characters."""
    if not isinstance(record, Mapping):
        text = json.dumps(record, ensure_ascii=False)
    else:
        plain = [(k, v) for k, v in record.items() if not isinstance(v, (Mapping, list))]
        nested = [k for k, v in record.items() if isinstance(v, (Mapping, list))]
        text = "  ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in plain)
        if nested:
            text += ("  " if text else "") + "+" + ",".join(nested)
    return text if len(text) <= width else text[: width - 1] + "…"

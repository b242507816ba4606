"""What every importer needs: identifiers, exact YAML text, and all-or-nothing writes."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pytest_ecom.spec.schema import modeline, with_modeline

ID_MAX = 80  # max_length of spec.models.Identifier
_NOT_ID = re.compile(r"[^A-Za-z0-9_]")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the loader collection uses


class BadInput(Exception):
    """The input cannot be imported; ``problems`` names each entry and field at fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportResult:
    out: Path
    written: int = 0  # sample files the input yields
    unchanged: int = 0  # of those, files that already held exactly these bytes (left alone)
    by_task_type: dict[str, int] = field(default_factory=dict)
    flagged_samples: int = 0  # samples marked malformed (a sample may have several reasons)
    malformed: dict[str, int] = field(default_factory=dict)  # reason kind → samples with it


def safe_identifier(raw: str, prefix: str, taken: set[str]) -> str:
    """``raw`` as a unique identifier: ``prefix_`` + raw with other characters as ``_``.

    Too long → cut and suffixed with a digest of ``raw``; already taken → ``_2``, ``_3``...
    (in input order, so the same input always gives the same ids). Adds the result to ``taken``.
    """
    base = f"{prefix}_{_NOT_ID.sub('_', raw)}"
    if len(base) > ID_MAX:
        digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
        base = f"{base[:ID_MAX - 9]}_{digest}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"_{n}"
        candidate = base[:ID_MAX - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


class _PlainDumper(yaml.SafeDumper):
    """Never anchors and aliases (``&id001``): task files refuse them (spec/yaml_io.py)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _BlockDumper(_PlainDumper):
    """Multi-line text as ``|`` blocks (readable diffs); the emitter falls back to quotes on its own
    when a block cannot hold the text exactly (trailing spaces, control characters...)."""


# Read back as plain line breaks from a block or single quotes: only double quotes keep them.
_ODD_BREAKS = frozenset("\r\x85\u2028\u2029")


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if _ODD_BREAKS.intersection(text) else "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _list(dumper: yaml.SafeDumper, items: list) -> yaml.SequenceNode:
    # Short lists of words on one line (options: [A, B, C]); anything else as a block.
    short = all(isinstance(i, str) and "\n" not in i for i in items) and sum(len(i) + 2 for i in items) <= 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=short)


_BlockDumper.add_representer(str, _str)
_BlockDumper.add_representer(list, _list)


def dump_yaml(data: Mapping[str, Any]) -> str:
    """YAML text that loads back to exactly ``data`` (checked: quoted styles are used when a
    block would change a character, e.g. a NEL or LINE SEPARATOR read back as a line break)."""
    options: dict[str, Any] = {"allow_unicode": True, "sort_keys": False, "width": float("inf")}
    for dumper, style in ((_BlockDumper, None), (_PlainDumper, None), (_PlainDumper, '"')):
        text = yaml.dump(dict(data), Dumper=dumper, default_style=style, **options)
        if yaml.load(text, Loader=_Loader) == data:
            return text
    raise ValueError("this text cannot be written as YAML that reads back identically")  # pragma: no cover


def write_files(out: Path, files: Mapping[str, str]) -> tuple[int, int]:
    """Write ``{relative path: text}`` under ``out``, UTF-8: first into a staging folder beside
    ``out``, then each file moved into place. Files already holding the same bytes are left
    alone; nothing else in ``out`` is touched. Returns (files replaced, files unchanged)."""
    if out.exists() and not out.is_dir():
        raise BadInput([f"--out {out}: exists and is not a folder"])
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name or 'out'}.import-", dir=parent))
    written = unchanged = 0
    try:
        for rel, text in files.items():
            text = with_modeline(text, modeline(out / rel))  # the editor finds the schema (docs/authoring.md)
            staged = staging / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(text.encode("utf-8"))
        for rel in files:
            target = out / rel
            data = (staging / rel).read_bytes()
            if target.is_file() and target.read_bytes() == data:
                unchanged += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, target)
            written += 1
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written, unchanged


def model_problem(model: Any, data: dict[str, Any], where: str, what: str) -> str | None:
    """Why ``data`` does not validate as ``model`` (a gap between an importer's own checks and
    the model), said with the entry's place; None when it does."""
    from pydantic import ValidationError

    try:
        model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or f"({what})"
        return f"{where}: does not make a valid {what}: {loc}: {first['msg']}"
    return None

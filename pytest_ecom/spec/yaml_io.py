"""YAML reading: fast when the file is fine, precise when it is not.

Files are parsed once with libyaml's C loader where present. Line numbers are
only needed for error messages, so they come from a second, node-level parse
of the failing file instead of slowing down every collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from pytest_ecom.spec.errors import SpecError

_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_FastLoader):  # type: ignore[misc,valid-type]
    """The fast loader, refusing duplicate keys (YAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """Parse one YAML document; syntax errors become :class:`SpecError` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})", "save the file as UTF-8") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        fix = "keep only one of them" if problem.startswith("duplicate key") else "check indentation and quoting near this line"
        raise SpecError(path, line, f"invalid YAML: {problem}", fix) from None
    except yaml.YAMLError as exc:
        raise SpecError(path, None, f"invalid YAML: {exc}", "check the file's syntax") from None


def line_of(path: Path, loc: Sequence[str | int]) -> int | None:
    """1-based line of the value at ``loc`` (keys and list indexes), or of its nearest parent."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_FastLoader)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line

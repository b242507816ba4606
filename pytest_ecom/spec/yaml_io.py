"""YAML reading: fast when the file is fine, precise when it is not, bounded when it is hostile.

Files are parsed once, with libyaml's C parser where present. The events are
composed into nodes here (not by libyaml's recursive C composer, which crashes
the interpreter on deep nesting) so that every file is checked on the way:
its size, its nesting depth, no anchors or aliases (a 1 KB "billion laughs"
file expands to gigabytes), integers of reasonable length and text-only
mapping keys. Each problem is a :class:`SpecError` with the line and a fix.
Line numbers for later (schema) errors come from a second, node-level parse
of the failing file instead of slowing down every collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingEndEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from pytest_ecom.spec.errors import SpecError

# The largest task, sample or persona file read: the biggest shipped file is under 5 KB, and the
# checks of a file take time in proportion to its size.
MAX_FILE_BYTES = 1_048_576
# The deepest nesting of mappings and lists: shipped files use at most 7 levels; libyaml's own
# composer crashes the interpreter (not an exception) somewhere past 10,000.
MAX_DEPTH = 64
# The longest integer literal: ids and amounts need far fewer; Python refuses to read past 4,300.
MAX_INT_DIGITS = 64

if hasattr(yaml, "CSafeLoader"):
    from yaml._yaml import CParser as _Parser
else:  # no libyaml: PyYAML's pure-Python reader, scanner and parser
    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)

_INT = "tag:yaml.org,2002:int"
_STR = "tag:yaml.org,2002:str"
_KINDS = {"tag:yaml.org,2002:null": "null", "tag:yaml.org,2002:bool": "true/false",
          _INT: "a number", "tag:yaml.org,2002:float": "a number", "tag:yaml.org,2002:timestamp": "a date"}


class _Refused(Exception):
    """A file the checks refuse: where, what and how to fix it (read_yaml adds the path)."""

    def __init__(self, mark: Any, message: str, fix: str) -> None:
        super().__init__(message)
        self.line = mark.line + 1 if mark is not None else None
        self.message = message
        self.fix = fix


_FLATTEN = "flatten the data: no field of a task or sample needs more than a few levels"


class _CheckingComposer(Composer):
    """PyYAML's composer (without path resolvers, which task files never use), refusing anchors and
    aliases, nesting deeper than :data:`MAX_DEPTH`, long integers and mapping keys that are not text."""

    def compose_document(self) -> Any:
        self.get_event()  # document start
        node = self._compose(0)
        self.get_event()  # document end
        return node

    def _compose(self, depth: int) -> Any:
        event = self.get_event()
        kind = type(event)
        if kind is AliasEvent:
            raise _Refused(event.start_mark, f"YAML alias *{event.anchor} is not allowed in task files",
                           "write the value out in full where it is used (aliases can make a small file "
                           "expand to gigabytes)")
        if event.anchor is not None:
            raise _Refused(event.start_mark, f"YAML anchor &{event.anchor} is not allowed in task files",
                           "remove the anchor and write the value out in full wherever it is needed")
        tag = event.tag
        if kind is ScalarEvent:
            if tag is None or tag == "!":
                tag = self.resolve(ScalarNode, event.value, event.implicit)
            if tag == _INT and len(event.value) > MAX_INT_DIGITS:
                digits = len(event.value.lstrip("+-").replace("_", ""))
                if digits > MAX_INT_DIGITS:
                    raise _Refused(event.start_mark, f"an integer of {digits:,} digits (at most {MAX_INT_DIGITS})",
                                   "quote it if it is an id (\"...\"), or use a smaller number")
            return ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        depth += 1
        if depth > MAX_DEPTH:
            raise _Refused(event.start_mark, f"nested more than {MAX_DEPTH} levels deep", _FLATTEN)
        node: SequenceNode | MappingNode
        if kind is SequenceStartEvent:
            if tag is None or tag == "!":
                tag = self.resolve(SequenceNode, None, event.implicit)
            node = SequenceNode(tag, [], event.start_mark, None, flow_style=event.flow_style)
            items = node.value
            while not self.check_event(SequenceEndEvent):
                items.append(self._compose(depth))
        else:  # a mapping: the parser gives nothing else here
            if tag is None or tag == "!":
                tag = self.resolve(MappingNode, None, event.implicit)
            node = MappingNode(tag, [], event.start_mark, None, flow_style=event.flow_style)
            pairs = node.value
            while not self.check_event(MappingEndEvent):
                key = self._compose(depth)
                if type(key) is not ScalarNode or key.tag != _STR:
                    _refuse_key(key)
                pairs.append((key, self._compose(depth)))
        node.end_mark = self.get_event().end_mark
        return node


def _refuse_key(key: Any) -> None:
    if not isinstance(key, ScalarNode):
        kind = "list" if isinstance(key, SequenceNode) else "mapping"
        raise _Refused(key.start_mark, f"a mapping key is a {kind}; keys must be text",
                       "use a plain word or a quoted string as the key (not `? [...]` or `? {...}`)")
    if key.tag == "tag:yaml.org,2002:merge":
        raise _Refused(key.start_mark, "YAML merge keys (<<) are not allowed in task files", "write the fields out")
    if key.tag != _STR:
        kind = _KINDS.get(key.tag, f"type {key.tag}")
        if not key.value:
            raise _Refused(key.start_mark, f"a mapping key is empty (read as {kind}); keys must be text",
                           "give the key a name")
        raise _Refused(key.start_mark, f"mapping key {key.value} is read as {kind}; keys must be text",
                       f"quote the key: \"{key.value}\":")


class _Loader(_CheckingComposer, _Parser, SafeConstructor, Resolver):  # type: ignore[misc,valid-type]
    """The checked composer on the fast parser; the constructor refuses duplicate keys
    (YAML would silently keep the last one) and turns unreadable values into errors."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            # e.g. `date: 2024-02-30` (read as a date that does not exist) or `!!int abc`
            what = node.value if isinstance(node, ScalarNode) else "this value"
            why = "it is not written as one" if isinstance(exc, AttributeError) else str(exc)
            raise _Refused(node.start_mark, f"cannot read {what} as {node.tag.rsplit(':', 1)[-1]}: {why}",
                           "correct the value, or quote it to keep it as text") from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_text(path: Path) -> str:
    """The file's text (as ``Path.read_text`` gives it), refusing files over :data:`MAX_FILE_BYTES`."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # never more, whatever the file is (even /dev/zero)
    except OSError as exc:
        raise SpecError(path, None, f"cannot read the file: {exc.strerror or exc}",
                        "check the path and its permissions") from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError(path, data.count(b"\n", 0, MAX_FILE_BYTES) + 1,
                        f"the file is larger than {MAX_FILE_BYTES:,} bytes (the limit is passed on this line)",
                        "split it into several task files, or shorten its texts")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})", "save the file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as read_text


def _compose(text: str) -> Any:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def read_yaml(path: Path) -> Any:
    """Parse one YAML document; every problem (syntax or a refused input) is a :class:`SpecError`
    with the line and the fix."""
    text = _read_text(path)
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise SpecError(path, exc.line, exc.message, exc.fix) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        if "maximum nesting depth" in problem:  # newer libyaml stops deep nesting in its parser, before we look
            raise SpecError(path, line, f"nested more than {MAX_DEPTH} levels deep", _FLATTEN) from None
        fix = "keep only one of them" if problem.startswith("duplicate key") else "check indentation and quoting near this line"
        raise SpecError(path, line, f"invalid YAML: {problem}", fix) from None
    except yaml.YAMLError as exc:
        raise SpecError(path, None, f"invalid YAML: {exc}", "check the file's syntax") from None
    finally:
        loader.dispose()


def line_of(path: Path, loc: Sequence[str | int]) -> int | None:
    """1-based line of the value at ``loc`` (keys and list indexes), or of its nearest parent."""
    try:
        node = _compose(_read_text(path))  # the checked composer: this file may have changed since
    except (yaml.YAMLError, SpecError, _Refused):
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

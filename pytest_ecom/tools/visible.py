"""What an agent can see, and which of a call's argument values it had to find there.

One notion of "visible" serves two checks: at collection, every golden call's values must be
obtainable (``prepare/task.py``); at trial time, every write's values must already have been
shown to the agent before it made the call (the procedure dimension, ``scoring/procedure.py``),
and the oracle waits for them the same way.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from pytest_ecom.tools.dates import dates_in
from pytest_ecom.tools.registry import Tool


def needed_values(tool: Tool, args: dict[str, Any]) -> list[tuple[str, Any]]:
    """Argument values the agent must learn from somewhere: not enums, not free text
    (``x-free-text``), not values it computes (``x-derived``, e.g. a refund of a price difference)."""
    props = tool.parameters.get("properties", {})
    out = []
    for name, value in args.items():
        prop = props.get(name, {})
        unlearned = prop.get("x-free-text") or prop.get("x-derived")
        if "enum" in prop or "const" in prop or unlearned or isinstance(value, bool):
            continue
        if "default" in prop and value == prop["default"]:
            continue  # filled in from the schema: nobody has to find it
        values = value if isinstance(value, list) else [value]
        out += [(name, v) for v in values if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    return out


def spellings(value: Any) -> list[str]:
    """The ways a value may be written where the agent saw it (``12.0`` also as ``12``)."""
    if isinstance(value, float) and value.is_integer():
        return [str(value), str(int(value))]
    return [str(value)]


# Words of what the agent can see (ids, numbers, dates, codes): most values needed are one of them.
_WORD = re.compile(r"\w+(?:[-.:/@+]\w+)*")


class Seen:
    """All the agent can see so far (casefolded): texts joined by newlines, growing call by call.

    ``has(s)`` is ``s in "\n".join(texts)`` without building or rescanning that text for every
    value: values once found are remembered (so are the words of each text), and a value not found
    yet is looked for only in the texts added since. Checking stays linear in the number of calls.
    A date written in words ("March 20th", "3月20日") is also seen as its ISO form (tool arguments
    and results are ISO); one without a year is in ``today``'s year, or not read without a today.
    """

    def __init__(self, texts: Iterable[str] = (), today: date | None = None) -> None:
        self._today = today
        self._texts: list[str] = []
        self._found: set[str] = set()
        self._searched: dict[str, int] = {}  # a value not found yet -> texts already searched
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        text = text.casefold()
        self._texts.append(text)
        self._found.update(_WORD.findall(text))
        self._found.update(dates_in(text, self._today))

    def has(self, value: str) -> bool:
        if value in self._found:
            return True
        if "\n" in value:  # may span two texts: look at them joined (such values are rare)
            hit = value in "\n".join(self._texts)
        else:
            hit = any(value in text for text in itertools.islice(self._texts, self._searched.get(value, 0), None))
        if hit:
            self._found.add(value)
        else:
            self._searched[value] = len(self._texts)
        return hit

    def has_value(self, value: Any) -> bool:
        """Whether ``value`` (in any of its spellings) is in what was seen."""
        return any(self.has(s.casefold()) for s in spellings(value))


def unseen(tool: Tool, args: dict[str, Any], seen: Seen) -> list[tuple[str, Any]]:
    """The call's needed values that nothing seen so far supplies."""
    return [(name, value) for name, value in needed_values(tool, args) if not seen.has_value(value)]

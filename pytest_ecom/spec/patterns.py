"""Regular expressions from sample files (``pattern:``), matched with a time bound.

Python's ``re`` cannot be interrupted: a pattern that backtracks catastrophically (``^(a|aa)+$``
against a long run of ``a`` and a miss) hangs collection, where the pattern is tried on the
expected answer, or scoring, where it is tried on the agent's reply. The ``regex`` package
(imported on first use: most runs have no pattern) takes a timeout instead.
"""

from __future__ import annotations

from typing import Any

from pytest_ecom.spec.errors import FieldProblem

# A sound pattern matches an answer or a reply in well under a millisecond; one still running
# after a second is backtracking catastrophically and would not finish in any useful time.
PATTERN_TIMEOUT_S = 1.0


class PatternTimeout(Exception):
    """The pattern did not finish matching within :data:`PATTERN_TIMEOUT_S`."""


def check_pattern(pattern: str) -> None:
    """Compile ``pattern``; a syntax error is a :class:`FieldProblem` (a ``ValueError``) saying what is wrong."""
    import regex

    try:
        regex.compile(pattern)
    except regex.error as exc:
        raise FieldProblem(f"not a valid regular expression: {exc}", "fix its syntax (Python `re` syntax)") from None


def search(pattern: str, text: str, timeout_s: float = PATTERN_TIMEOUT_S) -> Any:
    """``re.search`` with a time bound: the match or None; :class:`PatternTimeout` when it takes longer."""
    import regex

    try:
        return regex.search(pattern, text, timeout=timeout_s)
    except TimeoutError:
        raise PatternTimeout(f"the pattern took longer than {timeout_s:g} s to match "
                             f"({len(text):,} characters): it backtracks catastrophically") from None
